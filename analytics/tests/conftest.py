"""A fixed clock and a weekly group with history, shared by the analytics tests."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from accounts.models import User
from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.tests.factories import CheckInFactory
from groups.models import Group, GroupMembership, Role
from groups.tests.factories import GroupFactory, MembershipFactory

# A Wednesday: the current weekly period started on Monday 2025-03-10.
NOW = datetime.datetime(2025, 3, 12, 12, 0, tzinfo=datetime.UTC)
THIS_WEEK = datetime.date(2025, 3, 10)
LONG_AGO = datetime.datetime(2024, 11, 1, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def week(offset: int) -> datetime.date:
    """The Monday ``offset`` weeks before this week's (0 = this week)."""
    return THIS_WEEK - datetime.timedelta(weeks=offset)


def make_group(*members: User, **fields: Any) -> Group:
    """A group that has existed for months, with ``members`` (the first one admin) joined long ago."""
    group = GroupFactory.create(created_by=members[0] if members else None, member_count=len(members), **fields)
    for index, member in enumerate(members):
        MembershipFactory.create(group=group, user=member, role=Role.ADMIN if index == 0 else Role.MEMBER)
    Group.objects.filter(pk=group.pk).update(created_at=LONG_AGO)
    GroupMembership.objects.filter(group=group).update(joined_at=LONG_AGO)
    group.refresh_from_db()
    return group


def check_in(user: User, group: Group, offset: int, scores: tuple[int, int, int, int], **extra: Any) -> CheckIn:
    productive, satisfied, body, care = scores
    return CheckInFactory.create(
        user=user,
        group=group,
        week_start_date=week(offset),
        productive=productive,
        satisfied=satisfied,
        body=body,
        care=care,
        **extra,
    )


@pytest.fixture
def members(db: None) -> list[User]:
    return [UserFactory.create() for _ in range(3)]
