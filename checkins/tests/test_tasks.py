import datetime
from decimal import Decimal

import pytest
import time_machine

from checkins.tasks import rollup_participation_rates
from checkins.tests.factories import CheckInFactory
from groups.models import Group, MembershipStatus
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)
MONDAY = datetime.date(2026, 3, 2)


def old_group(**kwargs):
    group = GroupFactory.create(**kwargs)
    Group.objects.filter(pk=group.pk).update(created_at=NOW - datetime.timedelta(days=365))
    return Group.objects.get(pk=group.pk)


@time_machine.travel(NOW, tick=False)
def test_rollup_computes_rate_over_last_twelve_periods_and_is_idempotent(client_for):
    group = old_group(member_count=2)
    first, second = MembershipFactory.create_batch(2, group=group)
    for week in range(12):
        CheckInFactory.create(user=first.user, group=group, week_start_date=MONDAY - datetime.timedelta(weeks=week))
    for week in range(3):
        CheckInFactory.create(user=second.user, group=group, week_start_date=MONDAY - datetime.timedelta(weeks=week))
    # Outside the window, and by someone who left: neither counts.
    CheckInFactory.create(user=second.user, group=group, week_start_date=MONDAY - datetime.timedelta(weeks=12))
    gone = MembershipFactory.create(group=group, status=MembershipStatus.INACTIVE)
    CheckInFactory.create(user=gone.user, group=group, week_start_date=MONDAY)
    reader = client_for(first.user)
    assert reader.get(f"/api/v1/groups/{group.pk}").json()["data"]["averageParticipationRate"] == 0.0

    assert rollup_participation_rates.delay().get() == 1
    group.refresh_from_db()
    assert group.average_participation_rate == Decimal("62.50")  # 15 / (2 x 12)
    assert reader.get(f"/api/v1/groups/{group.pk}").json()["data"]["averageParticipationRate"] == 62.5
    assert rollup_participation_rates() == 0
    group.refresh_from_db()
    assert group.average_participation_rate == Decimal("62.50")


@time_machine.travel(NOW, tick=False)
def test_young_groups_are_measured_over_the_periods_they_existed():
    group = GroupFactory.create(member_count=1, check_in_frequency="daily")
    Group.objects.filter(pk=group.pk).update(created_at=NOW - datetime.timedelta(days=3))
    member = MembershipFactory.create(group=group)
    for day in range(4):
        CheckInFactory.create(user=member.user, group=group, week_start_date=datetime.date(2026, 3, 4 - day))
    rollup_participation_rates()
    assert Group.objects.get(pk=group.pk).average_participation_rate == Decimal("100.00")


@time_machine.travel(NOW, tick=False)
def test_empty_and_inactive_groups():
    empty = old_group(member_count=0)
    inactive = old_group(member_count=1, is_active=False, average_participation_rate=Decimal("10.00"))
    assert rollup_participation_rates() == 0
    assert Group.objects.get(pk=empty.pk).average_participation_rate == 0
    assert Group.objects.get(pk=inactive.pk).average_participation_rate == Decimal("10.00")
