"""Each group signal: sent once with exact kwargs inside the change's transaction; a rolled-back change
leaves nothing to run after it, and a receiver that fails rolls the change back."""

from collections.abc import Callable
from typing import Any

import pytest

from accounts.tests.factories import UserFactory
from groups import services, signals
from groups.models import GroupMembership, MembershipStatus, Role
from groups.tests.conftest import Crew
from groups.tests.helpers import recording, run_then_roll_back

pytestmark = pytest.mark.django_db

Case = tuple[Any, Callable[[Crew], Any], Callable[[Crew, Any], dict[str, Any]]]


def _membership(crew: Crew, user: Any) -> GroupMembership:
    return GroupMembership.objects.get(group=crew.group, user=user)


CASES: dict[str, Case] = {
    "member_joined": (
        signals.member_joined,
        lambda crew: services.group_join(user=crew.outsider, access_code=crew.group.access_code),
        lambda crew, result: {"group": crew.group, "membership": _membership(crew, crew.outsider)},
    ),
    "member_left": (
        signals.member_left,
        lambda crew: services.group_leave(group=crew.group, user=crew.member),
        lambda crew, result: {"group": crew.group, "user": crew.member},
    ),
    "member_removed": (
        signals.member_removed,
        lambda crew: services.member_remove(group=crew.group, user=crew.target, by=crew.moderator, ban=True),
        lambda crew, result: {"group": crew.group, "user": crew.target, "by": crew.moderator, "banned": True},
    ),
    "member_invited": (
        signals.member_invited,
        lambda crew: services.group_invite(group=crew.group, by=crew.admin, username=crew.outsider.username),
        lambda crew, result: {"group": crew.group, "invitee": crew.outsider, "by": crew.admin},
    ),
    "role_changed": (
        signals.role_changed,
        lambda crew: services.member_role_change(
            group=crew.group, user=crew.member, role=Role.MODERATOR, by=crew.admin
        ),
        lambda crew, result: {"group": crew.group, "membership": result, "old_role": Role.MEMBER, "by": crew.admin},
    ),
    "group_settings_changed": (
        signals.group_settings_changed,
        lambda crew: services.group_update(group=crew.group, by=crew.admin, name="New", description=""),
        lambda crew, result: {"group": crew.group, "changed": ["name"], "by": crew.admin},
    ),
    "group_deleted": (
        signals.group_deleted,
        lambda crew: services.group_delete(group=crew.group, by=crew.admin),
        lambda crew, result: {
            "group_id": crew.group.pk,
            "group_name": crew.group.name,
            "member_ids": [crew.admin.pk, crew.moderator.pk, crew.member.pk, crew.target.pk],
            "by": crew.admin,
        },
    ),
    # An import's rollback takes back a group it made: announced as any deletion.
    "group_deleted_by_discard": (
        signals.group_deleted,
        lambda crew: services.group_discard(group_id=crew.group.pk, by=crew.outsider),
        lambda crew, result: {
            "group_id": crew.group.pk,
            "group_name": crew.group.name,
            "member_ids": [crew.admin.pk, crew.moderator.pk, crew.member.pk, crew.target.pk],
            "by": crew.outsider,
        },
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_signal_is_sent_once_inside_the_transaction_with_exact_kwargs(crew, django_capture_on_commit_callbacks, name):
    signal, action, expected = CASES[name]
    with recording(signal) as (calls,), django_capture_on_commit_callbacks(execute=False):
        result = action(crew)
        # Before anything that runs after commit: receivers write in the change's transaction.
        assert calls == [expected(crew, result)]


@pytest.mark.parametrize("name", CASES)
def test_a_rolled_back_change_leaves_nothing_to_run_after_it(crew, django_capture_on_commit_callbacks, name):
    signal, action, _ = CASES[name]
    with recording(signal) as (calls,), django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_then_roll_back(lambda: action(crew))
    assert len(calls) == 1
    assert callbacks == []


def test_an_update_that_changes_nothing_sends_nothing(crew, django_capture_on_commit_callbacks):
    with recording(signals.group_settings_changed) as (calls,), django_capture_on_commit_callbacks(execute=True):
        services.group_update(group=crew.group, by=crew.admin, name=crew.group.name)
    assert calls == []


def test_a_failing_receiver_rolls_the_change_back(crew, django_capture_on_commit_callbacks):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver down")

    signals.member_left.connect(broken, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
            services.group_leave(group=crew.group, user=crew.member)
    finally:
        signals.member_left.disconnect(broken)
    assert callbacks == []
    assert _membership(crew, crew.member).status == MembershipStatus.ACTIVE


def test_role_change_to_same_role_is_a_no_op(crew, django_capture_on_commit_callbacks):
    with recording(signals.role_changed) as (calls,), django_capture_on_commit_callbacks(execute=True):
        services.member_role_change(group=crew.group, user=crew.member, role=Role.MEMBER, by=crew.admin)
    assert calls == []


def test_unknown_update_fields_are_refused(crew):
    with pytest.raises(TypeError):
        services.group_update(group=crew.group, by=crew.admin, access_code="X")


def test_invite_by_email_finds_the_user_case_insensitively(crew, django_capture_on_commit_callbacks):
    invitee = UserFactory.create(email="pal@example.com")
    with recording(signals.member_invited) as (calls,), django_capture_on_commit_callbacks(execute=True):
        services.group_invite_email(group=crew.group, by=crew.admin, email=" PAL@example.com ")
    assert [call["invitee"] for call in calls] == [invitee]
