"""The services through which the apps above (check-ins, the importer) change a group's row.

Each app writes only its own rows: these are the only ways a group's
check-in total, participation rate, access code, creation date and existence
change from outside ``groups``.
"""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from groups import signals
from groups.cache import group_scope, user_scope, viewer_group
from groups.models import Group, GroupMembership, Role
from groups.services import (
    group_access_code_reuse,
    group_backdate,
    group_check_ins_counted,
    group_create,
    group_discard,
    group_participation_rate_set,
)
from groups.tests.factories import GroupFactory, MembershipFactory
from groups.tests.helpers import recording
from hucares.core import cache

pytestmark = pytest.mark.django_db


def _cached_under(*scopes: str) -> bool:
    """Store a marker under ``scopes``; whether it is readable right after."""
    _, versions = cache.get_many(["marker"], scopes)
    cache.set_many({"marker": 1}, versions, 60)
    return "marker" in cache.get_many(["marker"], scopes)[0]


def _still_cached(*scopes: str) -> bool:
    return "marker" in cache.get_many(["marker"], scopes)[0]


def test_check_ins_counted_adds_and_removes_but_never_goes_below_zero():
    group = GroupFactory.create(total_check_ins=2)
    member = UserFactory.create()

    group_check_ins_counted(group_id=group.pk, member_id=member.pk, delta=3)
    assert Group.objects.get(pk=group.pk).total_check_ins == 5
    group_check_ins_counted(group_id=group.pk, member_id=member.pk, delta=-1)
    assert Group.objects.get(pk=group.pk).total_check_ins == 4
    group_check_ins_counted(group_id=group.pk, member_id=member.pk, delta=-10)
    assert Group.objects.get(pk=group.pk).total_check_ins == 0


def test_check_ins_counted_makes_the_groups_and_the_members_cached_reads_stale():
    membership = MembershipFactory.create()
    group, member = membership.group, membership.user
    assert viewer_group(group.pk, member).total_check_ins == 0  # type: ignore[union-attr]
    assert _cached_under(group_scope(group.pk))
    assert _cached_under(user_scope(member.pk))

    group_check_ins_counted(group_id=group.pk, member_id=member.pk, delta=1)

    assert viewer_group(group.pk, member).total_check_ins == 1  # type: ignore[union-attr]
    assert not _still_cached(group_scope(group.pk))
    assert not _still_cached(user_scope(member.pk))


def test_a_count_that_adds_nothing_still_makes_the_cached_reads_stale():
    """An import into a group it adds nothing to still changed what the member's figures show."""
    membership = MembershipFactory.create()
    assert _cached_under(user_scope(membership.user_id))

    group_check_ins_counted(group_id=membership.group_id, member_id=membership.user_id, delta=0)

    assert not _still_cached(user_scope(membership.user_id))
    assert Group.objects.get(pk=membership.group_id).total_check_ins == 0


def test_participation_rate_set_is_seen_by_cached_reads():
    membership = MembershipFactory.create()
    assert viewer_group(membership.group_id, membership.user).average_participation_rate == 0  # type: ignore[union-attr]

    group_participation_rate_set(group_id=membership.group_id, rate=Decimal("62.50"))

    cached = viewer_group(membership.group_id, membership.user)
    assert cached is not None
    assert cached.average_participation_rate == Decimal("62.50")


def test_access_code_reuse_takes_a_free_code_of_todays_format():
    membership = MembershipFactory.create(role=Role.ADMIN)
    group = membership.group
    assert viewer_group(group.pk, membership.user).access_code == group.access_code  # type: ignore[union-attr]

    assert group_access_code_reuse(group=group, code=" qrtuvwxy ") is True

    assert group.access_code == "QRTUVWXY"
    assert Group.objects.get(pk=group.pk).access_code == "QRTUVWXY"
    assert viewer_group(group.pk, membership.user).access_code == "QRTUVWXY"  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["OLD1", "ABCDEFG0", "QRTUVWXYZ", ""])
def test_access_code_reuse_leaves_a_code_of_another_format_alone(code):
    group = GroupFactory.create(access_code="MNPQRTUV")
    assert group_access_code_reuse(group=group, code=code) is False
    assert Group.objects.get(pk=group.pk).access_code == group.access_code == "MNPQRTUV"


def test_access_code_reuse_leaves_a_code_another_active_group_holds():
    GroupFactory.create(access_code="QRTUVWXY")
    group = GroupFactory.create(access_code="MNPQRTUV")

    assert group_access_code_reuse(group=group, code="QRTUVWXY") is False

    assert Group.objects.get(pk=group.pk).access_code == group.access_code == "MNPQRTUV"


def test_access_code_reuse_may_take_the_code_of_a_deactivated_group():
    GroupFactory.create(access_code="QRTUVWXY", is_active=False)
    group = GroupFactory.create(access_code="MNPQRTUV")
    assert group_access_code_reuse(group=group, code="QRTUVWXY") is True


def test_backdate_moves_the_group_and_its_creators_membership_back_never_forward():
    creator = UserFactory.create()
    group = group_create(user=creator, name="Imported")
    other = MembershipFactory.create(group=group).user
    started = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)

    group_backdate(group=group, started=started)

    assert group.created_at == Group.objects.get(pk=group.pk).created_at == started
    assert GroupMembership.objects.get(group=group, user=creator).joined_at == started
    assert GroupMembership.objects.get(group=group, user=other).joined_at > started

    group_backdate(group=group, started=started + datetime.timedelta(days=30))
    assert Group.objects.get(pk=group.pk).created_at == started


def test_discard_deletes_without_a_role_check_and_announces_it(django_capture_on_commit_callbacks):
    group = GroupFactory.create()
    member = MembershipFactory.create(group=group).user
    outsider = UserFactory.create()

    with recording(signals.group_deleted) as (calls,), django_capture_on_commit_callbacks(execute=False):
        assert group_discard(group_id=group.pk, by=outsider) is True

    assert calls == [{"group_id": group.pk, "group_name": group.name, "member_ids": [member.pk], "by": outsider}]
    assert not Group.objects.filter(pk=group.pk).exists()


def test_discard_of_a_group_already_gone_does_nothing(django_capture_on_commit_callbacks):
    group = GroupFactory.create()
    group_id = group.pk
    group.delete()
    with recording(signals.group_deleted) as (calls,), django_capture_on_commit_callbacks(execute=True):
        assert group_discard(group_id=group_id, by=UserFactory.create()) is False
    assert calls == []
