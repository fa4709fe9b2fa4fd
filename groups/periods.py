"""When a check-in period starts.

A pure function of the group's frequency, timezone and period anchor and an
instant: no database, no clock. Everything that needs "the current period"
calls it with ``timezone.now()``.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .models import CheckInFrequency


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_date(instant: datetime, tz_name: str) -> date:
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(tz_name)).date()


def period_start_for_date(frequency: str, day: date, anchor: date) -> date:
    """The first day of the period containing the local calendar ``day``."""
    if frequency == CheckInFrequency.DAILY:
        return day
    monday = monday_of(day)
    if frequency == CheckInFrequency.WEEKLY:
        return monday
    if frequency == CheckInFrequency.BIWEEKLY:
        # Two-week blocks counted from the anchor Monday, also before it.
        weeks = (monday - monday_of(anchor)).days // 7
        return monday - timedelta(weeks=weeks % 2)
    raise ValueError(f"unknown check-in frequency: {frequency!r}")


def period_start(frequency: str, tz_name: str, instant: datetime, anchor: date) -> date:
    """The first day of the period containing ``instant``, in the group's timezone."""
    return period_start_for_date(frequency, local_date(instant, tz_name), anchor)


def period_length(frequency: str) -> timedelta:
    return {
        CheckInFrequency.DAILY: timedelta(days=1),
        CheckInFrequency.WEEKLY: timedelta(weeks=1),
        CheckInFrequency.BIWEEKLY: timedelta(weeks=2),
    }[CheckInFrequency(frequency)]


def previous_period_starts(frequency: str, current: date, count: int) -> list[date]:
    """``count`` period starts ending with ``current``, oldest first."""
    step = period_length(frequency)
    return [current - step * offset for offset in range(count - 1, -1, -1)]
