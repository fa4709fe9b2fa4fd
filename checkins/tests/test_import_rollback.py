"""Rolling an import back removes exactly what it created, and never other users' data."""

import io
import json
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.tests.factories import UserFactory
from checkins.importer import localstorage_import, localstorage_import_rollback
from checkins.models import CheckIn, LocalStorageImport
from checkins.services import checkin_submit
from checkins.tests.factories import CheckInFactory
from groups import signals as group_signals
from groups.models import Group, GroupMembership
from groups.tests.factories import GroupFactory, MembershipFactory
from groups.tests.helpers import recording

pytestmark = pytest.mark.django_db

URL = reverse("migration-localstorage")
ENTRY = {"userId": "me", "productive": 5, "satisfied": 5, "body": 5, "care": 5}


def export(*days: str, group_code: str | None = None) -> dict:
    groups = [{"id": "g1", "name": "Old crew", "accessCode": group_code or "OLD1"}]
    check_ins = [{**ENTRY, "groupId": "g1", "weekStartDate": day} for day in days]
    return {"userProfile": {"id": "me"}, "checkIns": check_ins, "groups": groups}


def rollback_url(import_id) -> str:
    return reverse("migration-rollback", kwargs={"import_id": import_id})


def do_import(client, payload) -> str:
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201
    return response.json()["data"]["importId"]


def test_rollback_removes_the_created_check_ins_and_groups(user, client_for) -> None:
    client = client_for(user)
    import_id = do_import(client, export("2025-03-03", "2025-03-10"))
    assert (CheckIn.objects.count(), Group.objects.count()) == (2, 1)

    response = client.post(rollback_url(import_id))

    assert response.status_code == 200
    assert response.json()["data"] == {
        "importId": import_id,
        "checkInsRemoved": 2,
        "groupsRemoved": 1,
        "groupsKept": [],
    }
    assert (CheckIn.objects.count(), Group.objects.count(), GroupMembership.objects.count()) == (0, 0, 0)
    assert LocalStorageImport.objects.get().rolled_back_at is not None


def test_second_rollback_is_a_conflict(user, client_for) -> None:
    client = client_for(user)
    import_id = do_import(client, export("2025-03-03"))
    client.post(rollback_url(import_id))
    response = client.post(rollback_url(import_id))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ALREADY_ROLLED_BACK"


def test_only_ones_own_imports_can_be_rolled_back(user, client_for) -> None:
    import_id = do_import(client_for(user), export("2025-03-03"))
    assert client_for(UserFactory.create()).post(rollback_url(import_id)).status_code == 404
    assert client_for(user).post(rollback_url(uuid.uuid4())).status_code == 404
    assert CheckIn.objects.count() == 1


def test_rolling_back_an_import_announces_each_group_it_deletes(user, django_capture_on_commit_callbacks) -> None:
    """The group goes through groups' service, so its deletion is announced as any other (live event,
    notification)."""
    report = localstorage_import(user=user, payload=export("2025-03-03"))
    group = Group.objects.get()

    with recording(group_signals.group_deleted) as (calls,), django_capture_on_commit_callbacks(execute=False):
        localstorage_import_rollback(user=user, import_id=report["import_id"])

    assert calls == [{"group_id": group.pk, "group_name": "Old crew", "member_ids": [user.pk], "by": user}]


def test_rolling_back_a_kept_group_takes_its_check_ins_off_its_total(user, client_for) -> None:
    import_id = do_import(client_for(user), export("2025-03-03", "2025-03-10"))
    group = Group.objects.get()
    MembershipFactory.create(group=group)
    assert Group.objects.get().total_check_ins == 2

    client_for(user).post(rollback_url(import_id))

    assert Group.objects.get().total_check_ins == 0


def test_a_group_another_user_joined_is_kept_with_their_data(user, client_for) -> None:
    client = client_for(user)
    import_id = do_import(client, export("2025-03-03", "2025-03-10"))
    group = Group.objects.get()
    friend = UserFactory.create()
    MembershipFactory.create(group=group, user=friend)
    # Through the service, as the API does: the group's total counts it.
    theirs = checkin_submit(user=friend, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)

    data = client.post(rollback_url(import_id)).json()["data"]

    assert data["checkInsRemoved"] == 2
    assert data["groupsRemoved"] == 0
    assert data["groupsKept"] == [
        {"groupId": str(group.id), "reason": "other users have joined this group since the import"}
    ]
    assert list(CheckIn.objects.all()) == [theirs]
    group.refresh_from_db()
    assert group.total_check_ins == 1


def test_a_group_with_later_own_check_ins_is_kept(user, client_for) -> None:
    client = client_for(user)
    import_id = do_import(client, export("2025-03-03"))
    group = Group.objects.get()
    later = CheckInFactory.create(user=user, group=group, week_start_date="2025-06-02")

    data = client.post(rollback_url(import_id)).json()["data"]

    assert data["groupsKept"][0]["reason"] == "you have checked in to this group since the import"
    assert list(CheckIn.objects.all()) == [later]


def test_rollback_into_a_matched_group_keeps_the_group_and_earlier_check_ins(user, client_for) -> None:
    group = GroupFactory.create(access_code="QRTUVWXY")
    MembershipFactory.create(group=group, user=user)
    earlier = CheckInFactory.create(user=user, group=group, week_start_date="2025-01-06")
    import_id = do_import(client_for(user), export("2025-03-03", group_code="QRTUVWXY"))

    data = client_for(user).post(rollback_url(import_id)).json()["data"]

    assert (data["checkInsRemoved"], data["groupsRemoved"]) == (1, 0)
    assert list(CheckIn.objects.all()) == [earlier]
    assert Group.objects.filter(pk=group.pk).exists()


def test_commands_import_and_roll_back(user, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export("2025-03-02T23:00:00.000Z")))
    dry = io.StringIO()
    call_command(
        "import_localstorage", str(path), user=user.email.upper(), timezone="Europe/Berlin", dry_run=True, stdout=dry
    )
    assert json.loads(dry.getvalue())["check_ins_imported"] == 1
    assert CheckIn.objects.count() == 0

    out = io.StringIO()
    call_command("import_localstorage", str(path), user=user.email, timezone="Europe/Berlin", stdout=out)
    report = json.loads(out.getvalue())
    assert CheckIn.objects.get().week_start_date.isoformat() == "2025-03-03"

    undo = io.StringIO()
    call_command("rollback_import", report["import_id"], stdout=undo)
    assert json.loads(undo.getvalue())["check_ins_removed"] == 1
    assert CheckIn.objects.count() == 0
    with pytest.raises(CommandError, match="ALREADY_ROLLED_BACK"):
        call_command("rollback_import", report["import_id"])


def test_commands_reject_bad_input(user, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("{broken")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_localstorage", str(path), user=user.email)
    path.write_text(json.dumps({"checkIns": []}))
    with pytest.raises(CommandError, match="VALIDATION_ERROR"):
        call_command("import_localstorage", str(path), user=user.email)
    with pytest.raises(CommandError, match="no user"):
        call_command("import_localstorage", str(path), user="nobody@example.com")
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_localstorage", str(tmp_path / "missing.json"), user=user.email)
    with pytest.raises(CommandError, match="not an import id"):
        call_command("rollback_import", "abc")
    with pytest.raises(CommandError, match="no import"):
        call_command("rollback_import", str(uuid.uuid4()))
