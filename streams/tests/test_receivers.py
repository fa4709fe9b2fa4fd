"""Which stream events the domain services append, to whom, with what payload: in the change's
transaction, with one wake-up per user only after it commits."""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from checkins import services as checkin_services
from groups import services as group_services
from groups.models import Role
from groups.tests.factories import GroupFactory, MembershipFactory
from streams.selectors import stream_read

from .helpers import events_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio():
    group = GroupFactory.create(member_count=3)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    members = [MembershipFactory.create(group=group).user for _ in range(2)]
    return group, admin, members


class Rollback(Exception):
    pass


def rolled_back(action) -> None:
    """Run ``action`` in a transaction that is then rolled back."""
    try:
        with transaction.atomic():
            action()
            raise Rollback
    except Rollback:
        pass


def submit(user, group, **extra):
    return checkin_services.checkin_submit(
        user=user, group_id=group.pk, productive=8, satisfied=7, body=6, care=3, **extra
    )


def test_a_committed_check_in_has_its_events_before_any_on_commit_callback_runs(
    trio, published, django_capture_on_commit_callbacks
):
    group, admin, members = trio
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        check_in = submit(admin, group)
    # A process that dies here, after the commit, has lost only the live publish: the streams hold the events.
    for member in members:
        assert [frame["event"] for frame in stream_read(user_id=member.pk, since=0).events] == [
            "notification",
            "friend-checked-in",
        ]
    assert [frame["event"] for frame in stream_read(user_id=admin.pk, since=0).events] == ["checkin-created"]
    assert published == []
    for callback in after_commit:
        callback()
    assert sorted(target for target, _ in events_named(published, "friend-checked-in")) == sorted(
        f"user.{m.pk}" for m in members
    )
    assert events_named(published, "checkin-created")[0][1]["event"]["data"]["checkInId"] == str(check_in.pk)


@pytest.mark.services_only  # PostgreSQL's one-statement append
def test_a_check_in_moves_its_users_stream_counters_in_one_statement(trio):
    # Notifications and friend-checked-in in two statements locked the
    # counters in two orders: concurrent check-ins sharing members deadlocked.
    group, admin, _ = trio
    with CaptureQueriesContext(connection) as queries:
        submit(admin, group)
    assert len([query for query in queries if "event_stream_counters" in query["sql"]]) == 1


def test_one_wake_up_per_user_carries_the_newest_cursor_not_the_frames(
    trio, published, django_capture_on_commit_callbacks
):
    group, admin, members = trio
    with django_capture_on_commit_callbacks(execute=True):
        submit(admin, group)
    # Each member got a notification and friend-checked-in (cursors 1 and 2): one wake-up at 2.
    wakeups = dict(published)
    assert set(wakeups) == {f"user.{user.pk}" for user in (admin, *members)}
    assert wakeups[f"user.{members[0].pk}"]["cursor"] == 2
    assert wakeups[f"user.{admin.pk}"]["cursor"] == 1
    assert all(set(message) == {"type", "cursor", "appended_at"} for message in wakeups.values())


def test_a_group_change_has_its_events_in_its_transaction(trio, published, django_capture_on_commit_callbacks):
    group, admin, members = trio
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        group_services.group_leave(group=group, user=members[0])
    for user in (admin, members[0], members[1]):
        assert [frame["data"]["type"] for frame in stream_read(user_id=user.pk, since=0).events] == ["member-left"]
    assert published == []
    for callback in after_commit:
        callback()
    assert len(events_named(published, "group-updated")) == 3


def test_checkin_sends_friend_checked_in_to_every_other_member(trio, published, django_capture_on_commit_callbacks):
    group, admin, members = trio
    MembershipFactory.create()  # someone in another group
    with django_capture_on_commit_callbacks(execute=True):
        check_in = submit(admin, group)
    sent = events_named(published, "friend-checked-in")
    assert sorted(target for target, _ in sent) == sorted(f"user.{m.pk}" for m in members)
    _, message = sent[0]
    assert message["type"] == "stream.wakeup"
    # The member's notification of the same check-in came first in their stream.
    assert message["event"].pop("cursor") == "2"
    assert json.loads(json.dumps(message["event"])) == {
        "event": "friend-checked-in",
        "data": {
            "userId": str(admin.pk),
            "username": admin.username,
            "groupId": str(group.pk),
            "checkInId": str(check_in.pk),
            "huCaresScore": 18,
            "timestamp": check_in.submitted_at.isoformat(),
            "updated": False,
        },
    }


def test_checkin_rolled_back_sends_nothing(trio, published, django_capture_on_commit_callbacks):
    group, admin, _ = trio
    with django_capture_on_commit_callbacks(execute=True):
        rolled_back(lambda: submit(admin, group))
    assert published == []


@pytest.mark.parametrize("private_how", ["check-in", "profile"])
def test_hidden_scores_are_null_in_friend_checked_in(trio, published, django_capture_on_commit_callbacks, private_how):
    group, admin, _ = trio
    if private_how == "profile":
        admin.privacy_settings = {"profile": "friends", "scores": "private"}
        admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(admin, group, is_private=private_how == "check-in")
    sent = events_named(published, "friend-checked-in")
    assert len(sent) == 2
    assert {message["event"]["data"]["huCaresScore"] for _, message in sent} == {None}


def test_checkin_update_sends_friend_checked_in_marked_updated(trio, published, django_capture_on_commit_callbacks):
    group, admin, _ = trio
    check_in = submit(admin, group)
    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_update(check_in=check_in, user=admin, care=1)
    sent = events_named(published, "friend-checked-in")
    assert len(sent) == 2
    assert all(m["event"]["data"]["updated"] is True and m["event"]["data"]["huCaresScore"] == 20 for _, m in sent)


def group_updates(published, group) -> dict[str, dict]:
    """The ``group-updated`` frame each user's stream got (without its cursor), by channel-layer group."""
    frames = {}
    for target, message in events_named(published, "group-updated"):
        assert message["room"] is None
        assert message["event"]["data"]["groupId"] == str(group.pk if hasattr(group, "pk") else group)
        frames[target] = {key: value for key, value in message["event"].items() if key != "cursor"}
    return frames


def members_of(*users) -> set[str]:
    return {f"user.{user.pk}" for user in users}


def test_join_sends_member_joined_to_every_member_including_the_joiner(published, django_capture_on_commit_callbacks):
    group = GroupFactory.create(member_count=1)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    joiner = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_join(user=joiner, access_code=group.access_code)
    frames = group_updates(published, group)
    assert set(frames) == members_of(admin, joiner)
    assert frames[f"user.{admin.pk}"] == {
        "event": "group-updated",
        "data": {
            "groupId": str(group.pk),
            "type": "member-joined",
            "data": {"userId": str(joiner.pk), "username": joiner.username, "role": "member"},
        },
    }


def test_leave_sends_member_left_to_the_members_and_the_leaver(trio, published, django_capture_on_commit_callbacks):
    group, admin, (leaver, other) = trio
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_leave(group=group, user=leaver)
    frames = group_updates(published, group)
    # The leaver's own other devices hear it too.
    assert set(frames) == members_of(admin, other, leaver)
    assert frames[f"user.{admin.pk}"]["data"]["type"] == "member-left"
    assert frames[f"user.{admin.pk}"]["data"]["data"] == {"userId": str(leaver.pk), "username": leaver.username}


@pytest.mark.parametrize("ban", [False, True])
def test_removal_tells_everyone_and_the_removed_member(trio, published, django_capture_on_commit_callbacks, ban):
    group, admin, (removed, other) = trio
    with django_capture_on_commit_callbacks(execute=True):
        group_services.member_remove(group=group, user=removed, by=admin, ban=ban)
    event = {
        "event": "group-updated",
        "data": {
            "groupId": str(group.pk),
            "type": "member-removed",
            "data": {"userId": str(removed.pk), "username": removed.username, "banned": ban},
        },
    }
    frames = group_updates(published, group)
    assert set(frames) == members_of(admin, other, removed)
    assert all(frame == event for frame in frames.values())


def test_role_change_sends_role_changed(trio, published, django_capture_on_commit_callbacks):
    group, admin, (member, other) = trio
    with django_capture_on_commit_callbacks(execute=True):
        group_services.member_role_change(group=group, user=member, role=Role.MODERATOR, by=admin)
    frames = group_updates(published, group)
    assert set(frames) == members_of(admin, member, other)
    assert frames[f"user.{member.pk}"]["data"] == {
        "groupId": str(group.pk),
        "type": "role-changed",
        "data": {"userId": str(member.pk), "username": member.username, "role": "moderator", "oldRole": "member"},
    }


def test_settings_change_names_the_changed_fields_in_camel_case(trio, published, django_capture_on_commit_callbacks):
    group, admin, _ = trio
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_update(group=group, by=admin, max_members=30, allow_member_invite=False)
    frame = group_updates(published, group)[f"user.{admin.pk}"]
    assert frame["data"]["type"] == "settings-changed"
    assert sorted(frame["data"]["data"]["changed"]) == ["allowMemberInvite", "maxMembers"]


def test_delete_sends_group_deleted_to_every_former_member(trio, published, django_capture_on_commit_callbacks):
    group, admin, members = trio
    group_id, name = group.pk, group.name
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_delete(group=group, by=admin)
    frames = group_updates(published, group_id)
    assert set(frames) == members_of(admin, *members)
    assert frames[f"user.{admin.pk}"]["data"] == {
        "groupId": str(group_id),
        "type": "group-deleted",
        "data": {"groupName": name},
    }


@pytest.mark.parametrize("action", ["join", "leave", "remove", "role", "settings", "delete"])
def test_group_changes_rolled_back_send_nothing(trio, published, django_capture_on_commit_callbacks, action):
    group, admin, (member, _) = trio
    outsider = UserFactory.create()
    calls = {
        "join": lambda: group_services.group_join(user=outsider, access_code=group.access_code),
        "leave": lambda: group_services.group_leave(group=group, user=member),
        "remove": lambda: group_services.member_remove(group=group, user=member, by=admin),
        "role": lambda: group_services.member_role_change(group=group, user=member, role=Role.MODERATOR, by=admin),
        "settings": lambda: group_services.group_update(group=group, by=admin, name="Renamed"),
        "delete": lambda: group_services.group_delete(group=group, by=admin),
    }
    with django_capture_on_commit_callbacks(execute=True):
        rolled_back(calls[action])
    assert published == []
