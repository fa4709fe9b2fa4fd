"""A group's cached check-in periods follow every change below them, whichever code path made it:
they share the group's cache scope, which groups bumps on each membership or group write."""

import datetime

import pytest

from accounts.models import User
from checkins.selectors import group_period_rows
from checkins.tests.factories import CheckInFactory
from groups.models import MembershipStatus
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 3, 2)


def cached_then_written_behind_the_cache(group) -> None:
    """Fill the cache, then add a row without any service, so only an invalidation can reveal it."""
    assert group_period_rows(group_id=group.pk, start=START) == []
    CheckInFactory.create(group=group, week_start_date=START)
    assert group_period_rows(group_id=group.pk, start=START) == []  # still the cached period


def test_a_membership_saved_outside_the_services_makes_the_periods_stale() -> None:
    group = GroupFactory.create()
    membership = MembershipFactory.create(group=group)
    cached_then_written_behind_the_cache(group)

    membership.status = MembershipStatus.INACTIVE
    membership.save()  # as the Django admin would

    assert len(group_period_rows(group_id=group.pk, start=START)) == 1


def test_a_group_saved_outside_the_services_makes_the_periods_stale() -> None:
    group = GroupFactory.create()
    cached_then_written_behind_the_cache(group)

    group.name = "Renamed"
    group.save()

    assert len(group_period_rows(group_id=group.pk, start=START)) == 1


def test_a_members_privacy_change_makes_the_periods_stale() -> None:
    membership = MembershipFactory.create()
    cached_then_written_behind_the_cache(membership.group)
    user = User.objects.get(pk=membership.user_id)

    user.privacy_settings = {**user.privacy_settings, "scores": "private"}
    user.save(update_fields=["privacy_settings"])

    assert len(group_period_rows(group_id=membership.group_id, start=START)) == 1


def test_a_login_save_leaves_the_periods_cached() -> None:
    membership = MembershipFactory.create()
    cached_then_written_behind_the_cache(membership.group)
    user = User.objects.get(pk=membership.user_id)

    user.save(update_fields=["last_login"])

    assert group_period_rows(group_id=membership.group_id, start=START) == []
