"""Importing the old client's data: both fixtures entry by entry, matching, dry runs and re-imports."""

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from checkins.importer import parse_export
from checkins.models import CheckIn, LocalStorageImport
from groups.models import Group, GroupMembership, Role
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

# The old client's exports, kept with the tests.
FIXTURES = Path(__file__).parent / "fixtures"
URL = reverse("migration-localstorage")

BERLIN = [
    ("2025-09-01", 7, 3, 6, 9),
    ("2025-09-08", 5, 10, 10, 10),
    ("2025-09-15", 5, 9, 10, 1),
    ("2025-09-22", 6, 7, 6, 1),
    ("2025-09-29", 2, 1, 8, 1),
    ("2025-10-06", 8, 6, 8, 8),
    ("2025-10-13", 4, 1, 7, 3),
    ("2025-10-20", 1, 5, 3, 4),
    ("2025-10-27", 10, 8, 3, 10),  # after the switch to CET: 23:00 UTC
    ("2025-11-03", 6, 10, 7, 5),
    ("2025-11-10", 1, 2, 3, 3),
    ("2025-11-17", 3, 10, 9, 2),
]
NEW_YORK = [
    ("2025-01-06", 4, 6, 3, 10),
    ("2025-01-13", 10, 2, 6, 1),
    ("2025-01-20", 7, 1, 1, 6),
    ("2025-01-27", 3, 9, 1, 7),
    ("2025-02-03", 8, 9, 10, 1),
    ("2025-02-10", 8, 9, 6, 3),
]


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def post(client, payload: Any, **params: str):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return client.post(f"{URL}?{query}" if query else URL, payload, format="json")


def rows(user) -> list[tuple]:
    return [
        (c.week_start_date.isoformat(), c.productive, c.satisfied, c.body, c.care)
        for c in CheckIn.objects.filter(user=user).order_by("week_start_date")
    ]


def test_berlin_export_is_imported_entry_by_entry(user, client_for) -> None:
    response = post(client_for(user), {**load("export-berlin.json"), "timezone": "Europe/Berlin"})

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["dryRun"] is False
    assert (data["groupsCreated"], data["groupsMatched"], data["checkInsImported"]) == (1, 0, 12)
    assert [s["index"] for s in data["checkInsSkipped"]] == [12, 13]
    assert data["checkInsSkipped"][0]["reason"].startswith("not the profile's own check-in")
    assert data["warnings"] == [
        {"index": None, "message": "friends are sample data of the old app and were not imported"}
    ]
    assert rows(user) == BERLIN
    group = Group.objects.get()
    assert (group.name, group.description, group.timezone) == ("Sunday Crew", "old friends", "Europe/Berlin")
    assert set(CheckIn.objects.values_list("group_id", flat=True)) == {group.id}
    assert GroupMembership.objects.get(group=group).user == user
    assert GroupMembership.objects.get(group=group).role == Role.ADMIN
    assert group.total_check_ins == 12
    assert group.access_code != "6ZC4PZ"
    assert len(group.access_code) == 8
    assert group.created_at.date() <= datetime.date(2025, 9, 1)
    first = CheckIn.objects.filter(user=user).order_by("week_start_date")[0]
    assert first.hu_cares_score == 7
    assert first.submitted_at == datetime.datetime(2025, 9, 6, 16, 5, tzinfo=datetime.UTC)
    record = LocalStorageImport.objects.get()
    assert record.pk.hex == data["importId"].replace("-", "")
    assert record.created_group_ids == [str(group.id)]
    assert len(record.created_check_in_ids) == 12


def test_raw_key_map_is_imported_in_the_profile_timezone(user, client_for) -> None:
    user.timezone = "America/New_York"
    user.save()
    response = post(client_for(user), load("raw-keys-newyork.json"))

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["timezone"] == "America/New_York"
    assert (data["groupsCreated"], data["checkInsImported"]) == (1, 6)
    assert [s["index"] for s in data["checkInsSkipped"]] == [6, 7]
    assert rows(user) == NEW_YORK
    assert Group.objects.get().name == "Sunday Crew"


def _week_notes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [warning for warning in data["warnings"] if "weekStartDate" in warning["message"]]


def test_berlin_export_read_as_utc_files_each_check_in_under_the_week_meant(user, client_for) -> None:
    data = post(client_for(user), {**load("export-berlin.json"), "timezone": "UTC"}).json()["data"]

    # 2025-08-31T22:00Z is Sunday evening in UTC but Monday midnight in Berlin: the week of 1 September.
    assert rows(user) == BERLIN
    notes = _week_notes(data)
    assert [note["index"] for note in notes] == list(range(12))
    assert notes[0]["message"] == (
        "weekStartDate 2025-08-31T22:00:00.000Z is not a Monday midnight in UTC; "
        "taken as the week of Monday 2025-09-01, the nearest Monday"
    )


def test_new_york_export_read_as_utc_files_each_check_in_under_the_week_meant(user, client_for) -> None:
    data = post(client_for(user), {**load("raw-keys-newyork.json"), "timezone": "UTC"}).json()["data"]

    assert data["timezone"] == "UTC"
    assert rows(user) == NEW_YORK
    assert [note["index"] for note in _week_notes(data)] == list(range(6))


@pytest.mark.parametrize(
    ("fixture", "zone", "expected"),
    [("export-berlin.json", "Europe/Berlin", BERLIN), ("raw-keys-newyork.json", "America/New_York", NEW_YORK)],
)
def test_export_read_in_its_own_zone_needs_no_week_inference(user, client_for, fixture, zone, expected) -> None:
    data = post(client_for(user), {**load(fixture), "timezone": zone}).json()["data"]

    assert rows(user) == expected
    assert _week_notes(data) == []


@pytest.mark.parametrize("offset", range(-12, 15))
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_a_local_monday_midnight_of_any_offset_is_that_monday_in_any_zone(offset: int, zone: str) -> None:
    device = datetime.timezone(datetime.timedelta(hours=offset))
    instant = datetime.datetime(2025, 3, 10, tzinfo=device).astimezone(datetime.UTC)
    scores = {"productive": 5, "satisfied": 5, "body": 5, "care": 5}
    document = {
        "userProfile": {"id": "me"},
        "checkIns": [{"userId": "me", "weekStartDate": instant.isoformat(), **scores}],
    }

    parsed = parse_export(document, zone)

    assert [entry.local_day for entry in parsed.entries] == [datetime.date(2025, 3, 10)]


def test_second_import_of_the_same_file_adds_nothing(user, client_for) -> None:
    client = client_for(user)
    payload = {**load("export-berlin.json"), "timezone": "Europe/Berlin"}
    post(client, payload)
    group = Group.objects.get()
    # The old code does not fit today's format, so the group got a fresh one: the import
    # remembered the old group's id instead, and matches on it.
    assert group.access_code != payload["groups"][0]["accessCode"].upper()
    second = post(client, payload).json()["data"]

    assert (second["groupsCreated"], second["groupsMatched"], second["checkInsImported"]) == (0, 1, 0)
    assert len(second["checkInsSkipped"]) == 14
    assert "already imported" in second["checkInsSkipped"][0]["reason"]
    assert CheckIn.objects.count() == 12
    assert Group.objects.count() == 1


def test_a_group_is_matched_only_when_the_caller_is_a_member(user, client_for) -> None:
    stranger_group = GroupFactory.create(access_code="ABCDEFGH")
    payload = {**load("export-berlin.json"), "timezone": "Europe/Berlin"}
    payload["groups"][0]["accessCode"] = "abcdefgh"

    data = post(client_for(user), payload).json()["data"]
    assert (data["groupsCreated"], data["groupsMatched"]) == (1, 0)
    assert not CheckIn.objects.filter(group=stranger_group).exists()
    created = Group.objects.exclude(pk=stranger_group.pk).get()
    assert created.access_code != "ABCDEFGH"  # the old code is taken: a fresh one


def test_matched_group_receives_the_check_ins_in_its_periods(user, client_for) -> None:
    group = GroupFactory.create(access_code="QRTUVWXY", timezone="Europe/Berlin", total_check_ins=1)
    MembershipFactory.create(group=group, user=user)
    CheckIn.objects.create(
        user=user, group=group, week_start_date=datetime.date(2025, 9, 1), productive=1, satisfied=1, body=1, care=1
    )
    payload = {**load("export-berlin.json"), "timezone": "Europe/Berlin"}
    payload["groups"][0]["accessCode"] = "QRTUVWXY"

    data = post(client_for(user), payload).json()["data"]
    assert (data["groupsCreated"], data["groupsMatched"], data["checkInsImported"]) == (0, 1, 11)
    assert data["checkInsSkipped"][0] == {
        "index": 0,
        "reason": "a check-in for this group and the period of 2025-09-01 already exists",
    }
    group.refresh_from_db()
    assert group.total_check_ins == 12


def test_free_old_code_in_the_current_format_is_kept(user, client_for) -> None:
    payload = {**load("export-berlin.json"), "timezone": "Europe/Berlin"}
    payload["groups"][0]["accessCode"] = "mnpqrtuv"
    post(client_for(user), payload)
    assert Group.objects.get().access_code == "MNPQRTUV"


def test_check_ins_of_groups_not_in_the_export_go_to_one_new_group(user, client_for) -> None:
    profile = {"id": "me"}
    check_ins = [
        {
            "userId": "me",
            "groupId": "default-group",
            "weekStartDate": "2025-03-03T00:00:00.000Z",
            "productive": 5,
            "satisfied": 5,
            "body": 5,
            "care": 5,
        },
        {
            "userId": "me",
            "groupId": "gone",
            "weekStartDate": "2025-03-10T00:00:00.000Z",
            "productive": 6,
            "satisfied": 5,
            "body": 5,
            "care": 5,
        },
        {"userId": "me", "weekStartDate": "2025-03-17", "productive": 7, "satisfied": 5, "body": 5, "care": 5},
    ]
    data = post(client_for(user), {"userProfile": profile, "checkIns": check_ins, "timezone": "UTC"}).json()["data"]

    assert (data["groupsCreated"], data["checkInsImported"]) == (1, 3)
    group = Group.objects.get()
    assert group.name == "My check-ins"
    assert [r[:2] for r in rows(user)] == [("2025-03-03", 5), ("2025-03-10", 6), ("2025-03-17", 7)]


def test_hu_cares_score_mismatch_is_a_warning_and_is_recomputed(user, client_for) -> None:
    entry = {
        "userId": "me",
        "weekStartDate": "2025-03-03",
        "productive": 5,
        "satisfied": 5,
        "body": 5,
        "care": 1,
        "huCaresScore": 99,
    }
    data = post(client_for(user), {"userProfile": {"id": "me"}, "checkIns": [entry]}).json()["data"]
    assert data["warnings"] == [{"index": 0, "message": "huCaresScore 99 did not match the scores; stored 14"}]
    assert CheckIn.objects.get().hu_cares_score == 14


def test_dry_run_reports_the_same_figures_and_keeps_nothing(user, client_for) -> None:
    client = client_for(user)
    payload = {**load("export-berlin.json"), "timezone": "Europe/Berlin"}
    dry = post(client, payload, dryRun="true")
    assert dry.status_code == 200
    assert (CheckIn.objects.count(), Group.objects.count(), LocalStorageImport.objects.count()) == (0, 0, 0)

    real = post(client, payload)
    dry_data, real_data = dry.json()["data"], real.json()["data"]
    assert dry_data["importId"] is None
    assert dry_data["dryRun"] is True
    for key in ("groupsCreated", "groupsMatched", "checkInsImported", "checkInsSkipped", "warnings"):
        assert dry_data[key] == real_data[key]


def test_duplicate_ids_and_duplicate_periods_in_one_file(user, client_for) -> None:
    base = {"userId": "me", "weekStartDate": "2025-03-03", "productive": 5, "satisfied": 5, "body": 5, "care": 5}
    check_ins = [{**base, "id": "a"}, {**base, "id": "a"}, {**base, "id": "b", "weekStartDate": "2025-03-05"}]
    data = post(client_for(user), {"userProfile": {"id": "me"}, "checkIns": check_ins}).json()["data"]
    assert data["checkInsImported"] == 1
    assert [s["index"] for s in data["checkInsSkipped"]] == [1, 2]
    assert data["checkInsSkipped"][0]["reason"].startswith("duplicate id")


def test_import_requires_authentication(api_client) -> None:
    assert api_client.post(URL, {}, format="json").status_code == 401


def test_imported_and_rolled_back_data_is_visible_to_the_next_analytics_read(
    user, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(user)
    analytics = reverse("analytics-personal")
    assert client.get(analytics, {"weeks": 104}).json()["data"]["checkInCount"] == 0
    entry = {
        "userId": "me",
        "weekStartDate": datetime.date.today().isoformat(),
        "productive": 5,
        "satisfied": 5,
        "body": 5,
        "care": 5,
    }

    with django_capture_on_commit_callbacks(execute=True):
        import_id = post(client, {"userProfile": {"id": "me"}, "checkIns": [entry]}).json()["data"]["importId"]
    assert client.get(analytics, {"weeks": 104}).json()["data"]["checkInCount"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("migration-rollback", kwargs={"import_id": import_id}))
    assert client.get(analytics, {"weeks": 104}).json()["data"]["checkInCount"] == 0
