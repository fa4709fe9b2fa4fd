"""The audience of presence: who shares an active group with a user."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from groups.models import MembershipStatus
from groups.selectors import co_member_ids, co_member_ids_of
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_co_members_are_the_other_active_members_of_every_active_group_once() -> None:
    me = UserFactory.create()
    first, second = GroupFactory.create(), GroupFactory.create()
    MembershipFactory.create(group=first, user=me)
    MembershipFactory.create(group=second, user=me)
    friend = MembershipFactory.create(group=first).user
    in_both = MembershipFactory.create(group=first).user
    MembershipFactory.create(group=second, user=in_both)
    other = MembershipFactory.create(group=second).user
    MembershipFactory.create()  # a stranger's group
    assert co_member_ids(user_id=me.pk) == {friend.pk, in_both.pk, other.pk}
    assert co_member_ids(user_id=str(me.pk)) == {friend.pk, in_both.pk, other.pk}


@pytest.mark.parametrize("status", [MembershipStatus.INACTIVE, MembershipStatus.BANNED])
def test_members_who_left_or_were_banned_are_not_an_audience_and_have_none(status: str) -> None:
    me = MembershipFactory.create()
    gone = MembershipFactory.create(group=me.group, status=status)
    assert co_member_ids(user_id=me.user_id) == set()
    assert co_member_ids(user_id=gone.user_id) == set()


def test_a_hidden_group_has_no_audience() -> None:
    group = GroupFactory.create(is_active=False)
    me = MembershipFactory.create(group=group)
    MembershipFactory.create(group=group)
    assert co_member_ids(user_id=me.user_id) == set()


def test_a_user_without_groups_has_no_audience() -> None:
    assert co_member_ids(user_id=uuid.uuid4()) == set()


def test_the_audience_query_names_the_models_tables() -> None:
    from groups.models import Group, GroupMembership
    from groups.selectors import _CO_MEMBERS_SQL

    assert f"FROM {GroupMembership._meta.db_table} mine" in _CO_MEMBERS_SQL
    assert f"JOIN {Group._meta.db_table} g" in _CO_MEMBERS_SQL


def test_co_members_of_many_users_are_each_ones_co_members_in_one_query(django_assert_num_queries) -> None:
    first, second, hidden = GroupFactory.create(), GroupFactory.create(), GroupFactory.create(is_active=False)
    a, b, c, loner = (UserFactory.create() for _ in range(4))
    for group, members in ((first, [a, b]), (second, [b, c]), (hidden, [a, c])):
        for member in members:
            MembershipFactory.create(group=group, user=member)
    MembershipFactory.create(group=first, status=MembershipStatus.BANNED)

    with django_assert_num_queries(1):
        found = co_member_ids_of(user_ids=[a.pk, str(b.pk), c.pk, loner.pk, uuid.uuid4()])

    assert found == {a.pk: {b.pk}, b.pk: {a.pk, c.pk}, c.pk: {b.pk}}
    assert co_member_ids_of(user_ids=[]) == {}


def test_co_members_of_more_users_than_one_query_takes(monkeypatch) -> None:
    monkeypatch.setattr("groups.selectors._CO_MEMBERS_CHUNK", 2)
    group = GroupFactory.create()
    members = [MembershipFactory.create(group=group).user for _ in range(5)]
    found = co_member_ids_of(user_ids=[member.pk for member in members])
    assert found == {member.pk: {other.pk for other in members if other != member} for member in members}
