"""Analytics reads: aggregates computed by the database, shaped into small series.

Every figure that mixes in other people's check-ins filters them through
``checkins.privacy.scores_visible_q(viewer)``: a hidden score never reaches an
average, a count of scored rows or a percentile that someone else sees.
Counting that a check-in *exists* is allowed (members see that).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn
from checkins.privacy import scores_visible_q
from groups.models import Group, GroupMembership, MembershipStatus
from groups.periods import local_date, monday_of, period_length, period_start, previous_period_starts

from .stats import Streak, rounded, slope, streak_of

DIMENSIONS = ("productive", "satisfied", "body", "care", "hu_cares_score")


def _averages(filter_q: Q | None = None) -> dict[str, Avg]:
    return {name: Avg(name, filter=filter_q) for name in DIMENSIONS}


def _round_row(row: dict[str, Any]) -> dict[str, float | None]:
    return {name: rounded(row.get(name)) for name in DIMENSIONS}


def window_start(*, today: date, weeks: int) -> date:
    """The Monday ``weeks - 1`` weeks before this week's Monday: ``weeks`` calendar weeks."""
    return monday_of(today) - timedelta(weeks=weeks - 1)


@dataclass(frozen=True)
class Series:
    points: list[dict[str, Any]]
    averages: dict[str, float | None]
    count: int


def personal_series(*, user: User, start: date, group_id: UUID | None = None) -> Series:
    """The user's own check-ins since ``start``, averaged per calendar week (all groups, or one)."""
    rows = CheckIn.objects.filter(user=user, week_start_date__gte=start)
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    weekly = rows.annotate(week=TruncWeek("week_start_date")).values("week").annotate(**_averages()).order_by("week")
    points = [{"week_start_date": _as_date(row["week"]), **_round_row(row)} for row in weekly]
    overall = rows.aggregate(count=Count("id"), **_averages())
    return Series(points=points, averages=_round_row(overall), count=overall["count"])


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def trends(points: list[dict[str, Any]]) -> dict[str, float | None]:
    """Least-squares slope per week of each dimension over the weekly points (gaps keep their spacing)."""
    if not points:
        return dict.fromkeys(DIMENSIONS)
    first = points[0]["week_start_date"]
    xs = [(point["week_start_date"] - first).days / 7 for point in points]
    return {name: rounded(slope(xs, [point[name] for point in points]), 3) for name in DIMENSIONS}


def best_and_worst(points: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The weeks with the highest and lowest huCaresScore (earliest week wins a tie)."""
    if not points:
        return None, None
    best = max(points, key=lambda p: (p["hu_cares_score"], -p["week_start_date"].toordinal()))
    worst = min(points, key=lambda p: (p["hu_cares_score"], p["week_start_date"].toordinal()))
    return (
        {"week_start_date": best["week_start_date"], "hu_cares_score": best["hu_cares_score"]},
        {"week_start_date": worst["week_start_date"], "hu_cares_score": worst["hu_cares_score"]},
    )


def user_streak(*, user: User, group_id: UUID | None = None, now: datetime | None = None) -> Streak:
    """Streaks per group (each in its own frequency); across groups the best current and longest win."""
    now = now or timezone.now()
    rows = CheckIn.objects.filter(user=user)
    if group_id is not None:
        rows = rows.filter(group_id=group_id)
    by_group: dict[UUID, list[date]] = {}
    groups: dict[UUID, tuple[str, str, date]] = {}
    # One row per period the user checked in: the per-period series itself.
    for gid, start, freq, tz, anchor in rows.order_by("group_id", "week_start_date").values_list(
        "group_id", "week_start_date", "group__check_in_frequency", "group__timezone", "group__period_anchor"
    ):
        by_group.setdefault(gid, []).append(start)
        groups[gid] = (freq, tz, anchor)
    best = Streak(current=0, longest=0)
    for gid, starts in by_group.items():
        freq, tz, anchor = groups[gid]
        streak = streak_of(starts, period_length(freq), period_start(freq, tz, now, anchor))
        best = Streak(current=max(best.current, streak.current), longest=max(best.longest, streak.longest))
    return best


def group_periods(*, group: Group, weeks: int, now: datetime) -> list[date]:
    """Starts of the group's periods that begin within the last ``weeks`` weeks and after it was created."""
    freq = group.check_in_frequency
    current = period_start(freq, group.timezone, now, group.period_anchor)
    count = max(1, (weeks * 7) // period_length(freq).days)
    created = local_date(group.created_at, group.timezone)
    step = period_length(freq)
    return [start for start in previous_period_starts(freq, current, count) if start + step > created]


def _membership_end(left: datetime | None, status: str, updated: datetime) -> datetime | None:
    """When a membership stopped counting: ``None`` while it is active."""
    if left is not None:
        return left
    return None if status == MembershipStatus.ACTIVE else updated


def _member_counts(*, group: Group, starts: list[date]) -> dict[date, int]:
    """How many members each period had: joined before it ended and had not left before it began."""
    tz = ZoneInfo(group.timezone)
    step = period_length(group.check_in_frequency)
    # At most a few hundred memberships per group: the spans are counted here, per period.
    spans = [
        (joined, _membership_end(left, status, updated))
        for joined, left, status, updated in GroupMembership.objects.filter(group=group).values_list(
            "joined_at", "left_at", "status", "updated_at"
        )
    ]
    counts: dict[date, int] = {}
    for start in starts:
        begin = datetime.combine(start, time.min, tz)
        end = datetime.combine(start + step, time.min, tz)
        counts[start] = sum(1 for joined, gone in spans if joined < end and (gone is None or gone >= begin))
    return counts


def group_series(*, group: Group, viewer: User, weeks: int, now: datetime | None = None) -> dict[str, Any]:
    """Per period: check-ins, participation and the averages of the scores ``viewer`` may see."""
    now = now or timezone.now()
    starts = group_periods(group=group, weeks=weeks, now=now)
    visible = scores_visible_q(viewer.id)
    rows = CheckIn.objects.filter(group=group, week_start_date__gte=starts[0]) if starts else CheckIn.objects.none()
    by_period = {
        row["week_start_date"]: row
        for row in rows.values("week_start_date").annotate(
            check_in_count=Count("id"), participants=Count("user_id", distinct=True), **_averages(visible)
        )
    }
    members = _member_counts(group=group, starts=starts)
    periods = []
    for start in starts:
        row = by_period.get(start, {})
        rate = min(1.0, row.get("participants", 0) / members[start]) if members[start] else None
        periods.append(
            {
                "week_start_date": start,
                "check_in_count": row.get("check_in_count", 0),
                "member_count": members[start],
                "participation_rate": rounded(rate, 3),
                "averages": _round_row(row),
            }
        )
    overall = rows.aggregate(total=Count("id"), **_averages(visible))
    rates = [p["participation_rate"] for p in periods if p["participation_rate"] is not None]
    return {
        "group_id": group.id,
        "check_in_frequency": group.check_in_frequency,
        "periods": periods,
        "overall": {
            "total_check_ins": overall["total"],
            "member_count": group.member_count,
            "average_participation_rate": rounded(sum(rates) / len(rates), 3) if rates else None,
            "averages": _round_row(overall),
        },
    }


def member_averages(*, group: Group, viewer: User, since: date) -> list[dict[str, Any]]:
    """Each active member's averages since ``since``, over the rows ``viewer`` may see."""
    active = GroupMembership.objects.filter(group=group, status=MembershipStatus.ACTIVE).values("user_id")
    rows = CheckIn.objects.filter(group=group, week_start_date__gte=since, user_id__in=active).filter(
        scores_visible_q(viewer.id)
    )
    return [
        {"user_id": row["user_id"], "count": row["count"], **_round_row(row)}
        for row in rows.values("user_id").annotate(count=Count("id"), **_averages()).order_by("user_id")
    ]


def group_averages(*, group: Group, viewer: User, since: date, exclude_viewer: bool = False) -> dict[str, Any]:
    """The active members' check-ins since ``since`` that ``viewer`` may see, averaged row by row."""
    active = GroupMembership.objects.filter(group=group, status=MembershipStatus.ACTIVE).values("user_id")
    rows = CheckIn.objects.filter(group=group, week_start_date__gte=since, user_id__in=active).filter(
        scores_visible_q(viewer.id)
    )
    if exclude_viewer:
        rows = rows.exclude(user=viewer)
    overall = rows.aggregate(count=Count("id"), **_averages())
    return {"count": overall["count"], **_round_row(overall)}
