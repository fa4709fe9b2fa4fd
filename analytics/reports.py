"""The analytics payloads, composed from the selectors and cached per version (see analytics.cache).

Keys carry the hour of ``now``: the current period and the window move with
the clock, so a cached result never outlives the hour it was computed in.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.utils import timezone

from accounts.models import User
from groups.models import Group
from groups.periods import local_date
from groups.selectors import user_memberships

from . import selectors
from .cache import cached
from .insights import Facts, GroupFacts, evaluate
from .stats import Streak, percentile_rank

INSIGHT_WEEKS = 12
WIRE_NAMES = {name: name for name in selectors.DIMENSIONS} | {"hu_cares_score": "huCaresScore"}


def _hour(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d%H")


def personal_report(*, user: User, weeks: int, group_id: UUID | None = None, now: datetime | None = None) -> Any:
    now = now or timezone.now()

    def compute() -> dict[str, Any]:
        start = selectors.window_start(today=local_date(now, user.timezone), weeks=weeks)
        series = selectors.personal_series(user=user, start=start, group_id=group_id)
        best, worst = selectors.best_and_worst(series.points)
        streak = selectors.user_streak(user=user, group_id=group_id, now=now)
        return {
            "weeks": weeks,
            "group_id": group_id,
            "from_date": start,
            "check_in_count": series.count,
            "series": series.points,
            "averages": series.averages,
            "trends": selectors.trends(series.points),
            "streak": {"current": streak.current, "longest": streak.longest},
            "best": best,
            "worst": worst,
        }

    groups = [group_id] if group_id else []
    params = [user.id, weeks, group_id, user.timezone, _hour(now)]
    return cached("personal", params, compute, user_ids=[user.id], group_ids=groups)


def group_report(*, group: Group, viewer: User, weeks: int, now: datetime | None = None) -> Any:
    now = now or timezone.now()

    def compute() -> dict[str, Any]:
        return {"weeks": weeks, **selectors.group_series(group=group, viewer=viewer, weeks=weeks, now=now)}

    # Per viewer: the viewer's own hidden check-ins count in the figures only they see.
    params = [group.id, viewer.id, weeks, _hour(now)]
    return cached("group", params, compute, group_ids=[group.id])


def comparison_report(*, group: Group, viewer: User, weeks: int, now: datetime | None = None) -> Any:
    now = now or timezone.now()

    def compute() -> dict[str, Any]:
        since = selectors.window_start(today=local_date(now, group.timezone), weeks=weeks)
        members = selectors.member_averages(group=group, viewer=viewer, since=since)
        mine = next((row for row in members if row["user_id"] == viewer.id), None)
        others = [row for row in members if row["user_id"] != viewer.id]
        overall = selectors.group_averages(group=group, viewer=viewer, since=since)
        dimensions = []
        for name in selectors.DIMENSIONS:
            my_value = mine[name] if mine else None
            group_value = overall[name]
            dimensions.append(
                {
                    # A value, not a key: the renderer would not camelize it.
                    "dimension": WIRE_NAMES[name],
                    "mine": my_value,
                    "group": group_value,
                    "difference": _difference(my_value, group_value),
                    "percentile": (
                        percentile_rank(my_value, [row[name] for row in others]) if my_value is not None else None
                    ),
                }
            )
        return {
            "group_id": group.id,
            "weeks": weeks,
            "from_date": since,
            "my_check_ins": mine["count"] if mine else 0,
            "group_check_ins": overall["count"],
            "members_compared": len(others) + (1 if mine else 0),
            "dimensions": dimensions,
        }

    return cached("comparison", [group.id, viewer.id, weeks, _hour(now)], compute, group_ids=[group.id])


def _difference(mine: float | None, theirs: float | None) -> float | None:
    return None if mine is None or theirs is None else round(mine - theirs, 2)


def _group_facts(*, group: Group, viewer: User, now: datetime) -> GroupFacts:
    series = group_report(group=group, viewer=viewer, weeks=INSIGHT_WEEKS, now=now)
    # The last period is still open: its participation is not final yet.
    closed = [p["participation_rate"] for p in series["periods"][:-1] if p["participation_rate"] is not None]
    since = selectors.window_start(today=local_date(now, group.timezone), weeks=INSIGHT_WEEKS)
    members = selectors.member_averages(group=group, viewer=viewer, since=since)
    mine = next((row for row in members if row["user_id"] == viewer.id), None)
    others = selectors.group_averages(group=group, viewer=viewer, since=since, exclude_viewer=True)
    return GroupFacts(
        group_id=str(group.id),
        name=group.name,
        closed_rates=closed,
        my_average=mine["hu_cares_score"] if mine else None,
        my_count=mine["count"] if mine else 0,
        others_average=others["hu_cares_score"],
        others_count=others["count"],
    )


def insights_report(*, user: User, now: datetime | None = None) -> Any:
    now = now or timezone.now()
    groups = [membership.group for membership in user_memberships(user=user)]

    def compute() -> list[dict[str, Any]]:
        personal = personal_report(user=user, weeks=INSIGHT_WEEKS, now=now)
        facts = Facts(
            points=personal["series"],
            averages=personal["averages"],
            check_in_count=personal["check_in_count"],
            streak=Streak(**personal["streak"]),
            groups=[_group_facts(group=group, viewer=user, now=now) for group in groups],
        )
        return evaluate(facts)

    params = [user.id, user.timezone, _hour(now)]
    return cached("insights", params, compute, user_ids=[user.id], group_ids=[g.id for g in groups])
