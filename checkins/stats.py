"""Participation rate of a group: check-ins / (active members x periods), as a percentage.

It counts check-ins, so it lives with them; the group keeps the result in ``average_participation_rate``.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from groups.models import Group, MembershipStatus
from groups.periods import period_start, previous_period_starts

from .models import CheckIn

WINDOW_PERIODS = 12
HUNDRED = Decimal(100)


def participation_rate(group: Group, now: datetime | None = None) -> Decimal:
    """Over the last 12 periods, or fewer when the group is younger: periods before it existed
    cannot be missed. Only check-ins of current active members count, so the rate stays <= 100."""
    now = now or timezone.now()
    current = period_start(group.check_in_frequency, group.timezone, now, group.period_anchor)
    first = period_start(group.check_in_frequency, group.timezone, group.created_at, group.period_anchor)
    window = previous_period_starts(group.check_in_frequency, current, WINDOW_PERIODS)
    periods = [start for start in window if start >= first] or [current]
    members = group.memberships.filter(status=MembershipStatus.ACTIVE)
    if not group.member_count:
        return Decimal("0.00")
    count = CheckIn.objects.filter(
        group=group, week_start_date__in=periods, user_id__in=members.values("user_id")
    ).count()
    rate = min(HUNDRED * count / (group.member_count * len(periods)), HUNDRED)
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
