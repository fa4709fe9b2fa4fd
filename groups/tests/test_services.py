import datetime

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.tests.factories import CheckInFactory
from groups import signals
from groups.access_codes import ALPHABET, LENGTH, generate_access_code
from groups.models import Group, GroupMembership, MembershipStatus, Role
from groups.services import group_create, group_join, group_leave
from groups.tests.factories import GroupFactory, MembershipFactory
from groups.tests.helpers import recording, run_then_roll_back

pytestmark = pytest.mark.django_db


def test_access_codes_are_eight_unambiguous_characters():
    codes = {generate_access_code() for _ in range(200)}
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set(ALPHABET) & set("0O1IL")
    assert len(codes) > 190


@time_machine.travel(datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.UTC), tick=False)
def test_group_create_makes_the_creator_admin_with_a_monday_anchor_in_the_group_timezone():
    creator = UserFactory.create()
    # Sunday 12:30 UTC is already Monday in Kiritimati (UTC+14).
    group = group_create(user=creator, name="Crew", timezone="Pacific/Kiritimati", max_members=5)
    assert group.period_anchor == datetime.date(2026, 3, 2)
    assert group.member_count == 1
    assert group.max_members == 5
    membership = GroupMembership.objects.get(group=group)
    assert (membership.user, membership.role, membership.status) == (creator, Role.ADMIN, MembershipStatus.ACTIVE)
    assert len(group.access_code) == LENGTH


def test_group_create_rejects_unknown_settings():
    with pytest.raises(TypeError):
        group_create(user=UserFactory.create(), name="x", colour="red")


def test_group_create_retries_when_the_access_code_is_taken(monkeypatch):
    GroupFactory.create(access_code="AAAAAAAA")
    codes = iter(["AAAAAAAA", "BBBBBBBB"])
    monkeypatch.setattr("groups.services.generate_access_code", lambda: next(codes))
    group = group_create(user=UserFactory.create(), name="Second")
    assert group.access_code == "BBBBBBBB"


def test_leaving_last_admin_hands_role_to_longest_standing_member(django_capture_on_commit_callbacks):
    admin = UserFactory.create()
    group = group_create(user=admin, name="Crew")
    first, second = UserFactory.create(), UserFactory.create()
    group_join(user=first, access_code=group.access_code.lower())
    group_join(user=second, access_code=group.access_code)
    with (
        recording(signals.member_left, signals.role_changed) as (left, changed),
        django_capture_on_commit_callbacks(execute=True),
    ):
        group_leave(group=group, user=admin)
    assert GroupMembership.objects.get(group=group, user=first).role == Role.ADMIN
    assert GroupMembership.objects.get(group=group, user=second).role == Role.MEMBER
    assert GroupMembership.objects.get(group=group, user=admin).status == MembershipStatus.INACTIVE
    assert Group.objects.get(pk=group.pk).member_count == 2
    assert left == [{"group": group, "user": admin}]
    assert len(changed) == 1
    assert changed[0]["old_role"] == Role.MEMBER
    assert changed[0]["membership"].user == first
    assert changed[0]["by"] == admin


def test_last_member_leaving_deletes_the_group_and_announces_it(django_capture_on_commit_callbacks):
    admin = UserFactory.create()
    group = group_create(user=admin, name="Solo")
    CheckInFactory.create(user=admin, group=group)
    with (
        recording(signals.group_deleted, signals.member_left) as (deleted, left),
        django_capture_on_commit_callbacks(execute=True),
    ):
        group_leave(group=group, user=admin)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert not CheckIn.objects.filter(group_id=group.pk).exists()
    assert deleted == [{"group_id": group.pk, "group_name": "Solo", "member_ids": [admin.pk], "by": admin}]
    assert left == []


def test_rejoining_after_leaving_restores_membership_as_plain_member():
    group = GroupFactory.create(member_count=2)
    MembershipFactory.create(group=group, role=Role.ADMIN)
    leaver = MembershipFactory.create(group=group, role=Role.MODERATOR).user
    group_leave(group=group, user=leaver)
    group_join(user=leaver, access_code=group.access_code)
    membership = GroupMembership.objects.get(group=group, user=leaver)
    assert (membership.status, membership.role, membership.left_at) == (MembershipStatus.ACTIVE, Role.MEMBER, None)
    assert Group.objects.get(pk=group.pk).member_count == 2


def test_leave_inside_a_rolled_back_transaction_leaves_nothing(django_capture_on_commit_callbacks):
    group = GroupFactory.create(member_count=2)
    MembershipFactory.create(group=group, role=Role.ADMIN)
    leaver = MembershipFactory.create(group=group).user
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_then_roll_back(lambda: group_leave(group=group, user=leaver))
    assert callbacks == []
    assert GroupMembership.objects.get(group=group, user=leaver).status == MembershipStatus.ACTIVE
