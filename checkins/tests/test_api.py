import csv
import datetime
import io
import json

import pytest
import time_machine
from prometheus_client import REGISTRY

from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.tests.factories import CheckInFactory
from groups.models import CheckInFrequency, Group
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}
# Wednesday; the weekly period is the week of Monday 2026-03-02.
NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)
MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def group():
    return GroupFactory.create(member_count=2)


@pytest.fixture
def me(group):
    return MembershipFactory.create(group=group).user


@pytest.fixture
def friend(group):
    return MembershipFactory.create(group=group).user


@pytest.fixture
def client(me, client_for):
    return client_for(me)


def submit(client, group, **extra):
    return client.post("/api/v1/checkins", {"groupId": str(group.pk), **SCORES, **extra}, format="json")


def test_original_spec_scores_give_12_and_a_second_checkin_is_409(client, group):
    response = submit(client, group)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["huCaresScore"] == 12
    assert data["weekStartDate"] == "2026-03-02"
    assert set(data) == {
        "id", "userId", "username", "groupId", "weekStartDate", "productive", "satisfied", "body", "care",
        "huCaresScore", "reflectionNote", "moodEmoji", "energyLevel", "isPrivate", "submittedAt", "updatedAt",
    }  # fmt: skip
    response = submit(client, group)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_CHECKIN"


def test_submit_to_unknown_group_or_as_non_member_is_404(client_for, group):
    import uuid

    outsider = client_for(UserFactory.create())
    assert submit(outsider, group).status_code == 404
    response = outsider.post("/api/v1/checkins", {"groupId": str(uuid.uuid4()), **SCORES}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"productive": "8"}, "productive"),
        ({"satisfied": 7.5}, "satisfied"),
        ({"body": 6.0}, "body"),
        ({"care": 0}, "care"),
        ({"care": 11}, "care"),
        ({"productive": None}, "productive"),
        ({"productive": True}, "productive"),
        ({"energyLevel": 6}, "energyLevel"),
        ({"reflectionNote": "x" * 2001}, "reflectionNote"),
        ({"moodEmoji": "x" * 11}, "moodEmoji"),
        ({"groupId": "nope"}, "groupId"),
    ],
)
def test_submit_rejects_bad_bodies_with_field_details(client, group, change, field):
    response = client.post("/api/v1/checkins", {"groupId": str(group.pk), **SCORES, **change}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == field


def test_missing_score_is_a_validation_error(client, group):
    response = client.post("/api/v1/checkins", {"groupId": str(group.pk), "productive": 5}, format="json")
    fields = {item["field"] for item in response.json()["error"]["details"]}
    assert fields == {"satisfied", "body", "care"}


def test_body_that_is_not_json_is_malformed(client):
    response = client.post("/api/v1/checkins", "{oops", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"


def test_optional_fields_round_trip(client, group):
    data = submit(client, group, reflectionNote="good week", moodEmoji="🙂", energyLevel=4, isPrivate=True).json()[
        "data"
    ]
    assert (data["reflectionNote"], data["moodEmoji"], data["energyLevel"], data["isPrivate"]) == (
        "good week",
        "🙂",
        4,
        True,
    )


def test_list_own_with_filters(client, me, group):
    other_group = MembershipFactory.create(user=me).group
    CheckInFactory.create(user=me, group=group, week_start_date=datetime.date(2026, 2, 2))
    CheckInFactory.create(user=me, group=group, week_start_date=datetime.date(2026, 2, 9))
    CheckInFactory.create(user=me, group=other_group, week_start_date=datetime.date(2026, 2, 16))
    CheckInFactory.create(group=group, week_start_date=datetime.date(2026, 2, 9))
    body = client.get("/api/v1/checkins").json()
    assert [c["weekStartDate"] for c in body["data"]] == ["2026-02-16", "2026-02-09", "2026-02-02"]
    assert body["meta"]["pagination"]["total"] == 3
    only_group = client.get(f"/api/v1/checkins?groupId={group.pk}&from=2026-02-03&to=2026-02-28").json()["data"]
    assert [c["weekStartDate"] for c in only_group] == ["2026-02-09"]
    assert client.get("/api/v1/checkins?limit=1&page=2").json()["data"][0]["weekStartDate"] == "2026-02-09"


@pytest.mark.parametrize("query", ["from=yesterday", "to=2026-13-01", "groupId=123"])
def test_list_rejects_bad_filters(client, query):
    response = client.get(f"/api/v1/checkins?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == query.split("=")[0]


def test_current_lists_each_group_with_its_period_and_checkin(client, me, group):
    daily = GroupFactory.create(name="Daily", check_in_frequency=CheckInFrequency.DAILY, timezone="Pacific/Kiritimati")
    MembershipFactory.create(user=me, group=daily)
    submit(client, group)
    data = client.get("/api/v1/checkins/current").json()["data"]
    by_name = {item["groupName"]: item for item in data}
    # 12:00 UTC Wednesday is already Thursday 02:00 in Kiritimati (UTC+14).
    assert by_name["Daily"]["periodStart"] == "2026-03-05"
    assert by_name["Daily"]["checkIn"] is None
    assert by_name[group.name]["periodStart"] == "2026-03-02"
    assert by_name[group.name]["checkIn"]["huCaresScore"] == 12


def test_update_own_current_checkin(client, group):
    check_in_id = submit(client, group).json()["data"]["id"]
    response = client.patch(f"/api/v1/checkins/{check_in_id}", {"care": 1, "moodEmoji": None}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["huCaresScore"] == 20
    response = client.put(f"/api/v1/checkins/{check_in_id}", {"care": 2}, format="json")
    assert response.status_code == 400
    response = client.put(f"/api/v1/checkins/{check_in_id}", {**SCORES, "care": 2}, format="json")
    assert response.json()["data"]["huCaresScore"] == 19


def test_update_of_closed_period_is_422(client, me, group):
    old = CheckInFactory.create(user=me, group=group, week_start_date=datetime.date(2026, 2, 23))
    response = client.patch(f"/api/v1/checkins/{old.pk}", {"care": 1}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "CHECKIN_PERIOD_CLOSED"


def test_others_checkins_cannot_be_changed_or_deleted(client, friend, group):
    theirs = CheckInFactory.create(user=friend, group=group, week_start_date=MONDAY)
    assert client.patch(f"/api/v1/checkins/{theirs.pk}", {"care": 1}, format="json").status_code == 404
    assert client.delete(f"/api/v1/checkins/{theirs.pk}").status_code == 404
    assert CheckIn.objects.filter(pk=theirs.pk).exists()


def test_delete_own_is_204_with_empty_body(client, group):
    check_in_id = submit(client, group).json()["data"]["id"]
    response = client.delete(f"/api/v1/checkins/{check_in_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert Group.objects.get(pk=group.pk).total_check_ins == 0


def test_group_view_hides_private_scores_from_others_only(client_for, me, friend, group):
    submit(client_for(me), group, reflectionNote="mine", isPrivate=True)
    submit(client_for(friend), group, reflectionNote="theirs")
    url = f"/api/v1/checkins/group/{group.pk}"
    as_friend = {c["userId"]: c for c in client_for(friend).get(url).json()["data"]}
    hidden = as_friend[str(me.pk)]
    assert hidden["isPrivate"] is True
    for name in ("productive", "satisfied", "body", "care", "huCaresScore", "reflectionNote", "moodEmoji"):
        assert hidden[name] is None
    assert as_friend[str(friend.pk)]["huCaresScore"] == 12
    as_me = {c["userId"]: c for c in client_for(me).get(url).json()["data"]}
    assert as_me[str(me.pk)]["huCaresScore"] == 12
    assert as_me[str(me.pk)]["reflectionNote"] == "mine"


def test_owner_privacy_setting_hides_scores_and_cache_follows_the_change(client_for, me, friend, group):
    submit(client_for(me), group)
    url = f"/api/v1/checkins/group/{group.pk}"
    assert client_for(friend).get(url).json()["data"][0]["huCaresScore"] == 12
    me.privacy_settings = {"profile": "friends", "scores": "private"}
    me.save(update_fields=["privacy_settings"])
    assert client_for(friend).get(url).json()["data"][0]["huCaresScore"] is None
    assert client_for(me).get(url).json()["data"][0]["huCaresScore"] == 12


def test_group_view_week_parameter_is_normalised_to_the_period_start(client_for, me, friend, group):
    CheckInFactory.create(user=me, group=group, week_start_date=datetime.date(2026, 2, 16))
    body = client_for(friend).get(f"/api/v1/checkins/group/{group.pk}?week=2026-02-21").json()
    assert body["meta"]["periodStart"] == "2026-02-16"
    assert len(body["data"]) == 1
    body = client_for(friend).get(f"/api/v1/checkins/group/{group.pk}").json()
    assert body["meta"]["periodStart"] == "2026-03-02"
    assert body["data"] == []


def test_group_view_rejects_a_week_that_is_not_a_date(client, group):
    response = client.get(f"/api/v1/checkins/group/{group.pk}?week=last-week")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "week"


def test_group_view_shows_a_new_checkin_and_update_on_next_read(client_for, me, friend, group):
    url = f"/api/v1/checkins/group/{group.pk}"
    reader = client_for(friend)
    assert reader.get(url).json()["data"] == []
    check_in_id = submit(client_for(me), group).json()["data"]["id"]
    assert [c["huCaresScore"] for c in reader.get(url).json()["data"]] == [12]
    client_for(me).patch(f"/api/v1/checkins/{check_in_id}", {"care": 1}, format="json")
    assert [c["huCaresScore"] for c in reader.get(url).json()["data"]] == [20]
    client_for(me).delete(f"/api/v1/checkins/{check_in_id}")
    assert reader.get(url).json()["data"] == []


def test_history_is_newest_first_with_summary(client, me, group):
    for day in (datetime.date(2026, 2, 9), datetime.date(2026, 2, 16), datetime.date(2026, 2, 23)):
        CheckInFactory.create(user=me, group=group, week_start_date=day, care=day.day % 5 + 1)
    CheckInFactory.create(user=me, group=group, week_start_date=datetime.date(2026, 1, 19))
    body = client.get("/api/v1/checkins/history").json()
    assert [c["weekStartDate"] for c in body["data"]] == ["2026-02-23", "2026-02-16", "2026-02-09", "2026-01-19"]
    summary = body["meta"]["summary"]
    # care: 9 % 5 + 1 = 5, 16 % 5 + 1 = 2, 23 % 5 + 1 = 4 and the factory's 4 -> scores 13, 16, 14, 14.
    assert summary == {
        "totalCheckIns": 4,
        "averageScore": 14.25,
        "highestScore": 16,
        "currentStreak": 3,
        "longestStreak": 3,
    }
    submit(client, group)
    assert client.get("/api/v1/checkins/history").json()["meta"]["summary"]["currentStreak"] == 4


def test_history_of_nobody_has_empty_summary(client):
    summary = client.get("/api/v1/checkins/history").json()["meta"]["summary"]
    assert summary == {
        "totalCheckIns": 0,
        "averageScore": None,
        "highestScore": None,
        "currentStreak": 0,
        "longestStreak": 0,
    }


def test_export_json_and_csv_are_downloads_of_own_checkins(client, me, friend, group):
    submit(client, group, reflectionNote='comma, "quote"')
    CheckInFactory.create(user=friend, group=group, week_start_date=MONDAY)
    response = client.get("/api/v1/checkins/export?format=json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hucares-checkins-2026-03-04.json"'
    rows = json.loads(b"".join(response.streaming_content))
    assert [(r["huCaresScore"], r["reflectionNote"]) for r in rows] == [(12, 'comma, "quote"')]
    response = client.get("/api/v1/checkins/export?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["huCaresScore"], r["reflectionNote"], r["weekStartDate"]) for r in rows] == [
        ("12", 'comma, "quote"', "2026-03-02")
    ]


def test_export_of_other_formats_is_400(client):
    response = client.get("/api/v1/checkins/export?format=xml")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "format"


def test_checkins_total_counts_each_submitted_check_in(client, group, django_capture_on_commit_callbacks):
    def total() -> float:
        return REGISTRY.get_sample_value("checkins_total") or 0.0

    before = total()
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, group).status_code == 201
    assert total() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, group).status_code == 409  # a refused check-in is not counted
    assert total() == before + 1
