"""Reads of check-ins, and the one place the privacy rule is applied to them."""

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from rest_framework.fields import DateTimeField

from accounts.models import User
from groups.cache import group_scope, user_scope, viewer_groups
from groups.models import Group, GroupMembership, MembershipStatus
from groups.periods import period_length, period_start
from hucares.core import cache

from .models import CheckIn
from .privacy import HIDDEN_FIELDS, scores_hidden, scores_visible_q

Row = dict[str, Any]
# Entries are versioned by the group's scope; the TTL only bounds what an idle group keeps.
PERIOD_TTL_SECONDS = 300

ROW_FIELDS = (
    "id",
    "user_id",
    "group_id",
    "week_start_date",
    "productive",
    "satisfied",
    "body",
    "care",
    "hu_cares_score",
    "reflection_note",
    "mood_emoji",
    "energy_level",
    "is_private",
    "submitted_at",
    "updated_at",
)
_DATETIME = DateTimeField()


def current_period_start(group: Group, instant: datetime | None = None) -> date:
    """The first day of the group's period containing ``instant`` (default: now)."""
    return period_start(group.check_in_frequency, group.timezone, instant or timezone.now(), group.period_anchor)


def _rows(queryset: QuerySet[CheckIn]) -> list[Row]:
    return list(queryset.values(*ROW_FIELDS, username=F("user__username"), owner_privacy=F("user__privacy_settings")))


def checkin_row(check_in: CheckIn) -> Row:
    """The raw row of a loaded check-in (``user`` loaded), as :func:`checkin_payload` takes it."""
    row = {name: getattr(check_in, name) for name in ROW_FIELDS}
    row["username"] = check_in.user.username
    row["owner_privacy"] = check_in.user.privacy_settings
    return row


def _shown(row: Row) -> dict[str, Any]:
    """The JSON-safe CheckIn of the API with everything shown (snake_case keys)."""
    return {
        "id": str(row["id"]),
        "user_id": str(row["user_id"]),
        "username": row["username"],
        "group_id": str(row["group_id"]),
        "week_start_date": row["week_start_date"].isoformat(),
        "productive": row["productive"],
        "satisfied": row["satisfied"],
        "body": row["body"],
        "care": row["care"],
        "hu_cares_score": row["hu_cares_score"],
        # An empty note reads as null, so a hidden note and no note look alike.
        "reflection_note": row["reflection_note"] or None,
        "mood_emoji": row["mood_emoji"] or None,
        "energy_level": row["energy_level"],
        "is_private": row["is_private"],
        "submitted_at": _DATETIME.to_representation(row["submitted_at"]),
        "updated_at": _DATETIME.to_representation(row["updated_at"]),
    }


def _for_viewer(shown: dict[str, Any], owner: Row, viewer_id: UUID | str | None) -> dict[str, Any]:
    """``shown`` as ``viewer_id`` may see it; ``owner`` holds the rule's inputs of the check-in."""
    hidden = scores_hidden(
        owner_id=str(owner["user_id"]),
        viewer_id=None if viewer_id is None else str(viewer_id),
        is_private=owner["is_private"],
        owner_privacy=owner["owner_privacy"],
    )
    return {**shown, **dict.fromkeys(HIDDEN_FIELDS)} if hidden else shown


def checkin_payload(row: Row, *, viewer_id: UUID | str | None) -> dict[str, Any]:
    """The JSON-safe CheckIn of the API as ``viewer_id`` may see it (snake_case keys)."""
    return _for_viewer(_shown(row), row, viewer_id)


def checkin_for_viewer(check_in: CheckIn, *, viewer_id: UUID | str | None) -> dict[str, Any]:
    """A loaded check-in as ``viewer_id`` may see it: REST responses and live events."""
    return checkin_payload(checkin_row(check_in), viewer_id=viewer_id)


def visible_score(check_in: CheckIn, *, viewer_id: UUID | str | None) -> int | None:
    """``huCaresScore`` for ``friend-checked-in``: ``None`` when hidden from the viewer."""
    hidden = scores_hidden(
        owner_id=check_in.user_id,
        viewer_id=viewer_id,
        is_private=check_in.is_private,
        owner_privacy=check_in.user.privacy_settings,
    )
    return None if hidden else check_in.hu_cares_score


def checkins_visible_to(*, viewer: User, group_id: UUID | str | None = None) -> QuerySet[CheckIn]:
    """Check-ins the viewer may know of (own, and those of their active groups), each with
    ``scores_visible`` telling whether the viewer may see its scores."""
    group_ids = GroupMembership.objects.filter(
        user=viewer, status=MembershipStatus.ACTIVE, group__is_active=True
    ).values("group_id")
    queryset = CheckIn.objects.filter(Q(user=viewer) | Q(group_id__in=group_ids))
    if group_id is not None:
        queryset = queryset.filter(group_id=group_id)
    return queryset.annotate(scores_visible=ExpressionWrapper(scores_visible_q(viewer.pk), output_field=BooleanField()))


def group_period_rows(*, group_id: UUID | str, start: date) -> list[Row]:
    """A group's check-ins of one period, through the cache, for :func:`period_payload`.

    Each entry holds the check-in as shown to its owner, rendered once when
    the cache is filled, and the privacy rule's inputs for everyone else. The
    entries are the same for every viewer: the privacy rule is applied per
    viewer on the way out (:func:`period_payload`), so a cached value never
    carries one viewer's view to another. Every write to the group's
    check-ins, memberships or members' privacy bumps the group's scope.
    """

    def read() -> list[Row]:
        queryset = CheckIn.objects.filter(group_id=group_id, week_start_date=start).order_by("submitted_at", "id")
        return [
            {
                "shown": _shown(row),
                "user_id": str(row["user_id"]),
                "is_private": row["is_private"],
                "owner_privacy": row["owner_privacy"],
            }
            for row in _rows(queryset)
        ]

    key = f"checkins:group:{group_id}:{start.isoformat()}:shown"
    return cache.cached(key, [group_scope(group_id)], read, timeout=PERIOD_TTL_SECONDS)


def period_payload(entry: Row, *, viewer_id: UUID | str | None) -> dict[str, Any]:
    """One entry of :func:`group_period_rows` as ``viewer_id`` may see it."""
    return _for_viewer(entry["shown"], entry, viewer_id)


def own_checkins(
    *, user: User, group_id: UUID | str | None = None, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[CheckIn]:
    """The user's own check-ins, newest period first, ``user`` loaded."""
    queryset = CheckIn.objects.select_related("user").filter(user=user)
    if group_id is not None:
        queryset = queryset.filter(group_id=group_id)
    if date_from is not None:
        queryset = queryset.filter(week_start_date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(week_start_date__lte=date_to)
    return queryset.order_by("-week_start_date", "-submitted_at", "id")


def current_periods(*, user: User) -> list[dict[str, Any]]:
    """For each of the user's groups: its current period and the user's check-in in it, if any.

    A phone asks this on every open; warm it is read from the versioned cache
    with no query. The groups come from ``viewer_groups``; the answer is kept
    under the user's scope (each of their check-in writes and membership
    changes bumps it) and each group's, and the periods are part of its key,
    since a new period begins without any write.
    """
    groups = viewer_groups(user)
    starts = {group.pk: current_period_start(group) for group in groups}

    def read() -> list[dict[str, Any]]:
        wanted = Q(pk__in=[])
        for group_id, start in starts.items():
            wanted |= Q(group_id=group_id, week_start_date=start)
        found = {row["group_id"]: row for row in _rows(CheckIn.objects.filter(wanted, user=user))}
        return [
            {
                "group_id": str(group.pk),
                "group_name": group.name,
                "period_start": starts[group.pk].isoformat(),
                "check_in": checkin_payload(found[group.pk], viewer_id=user.pk) if group.pk in found else None,
            }
            for group in groups
        ]

    periods = hashlib.blake2b(repr(sorted(starts.items())).encode(), digest_size=16).hexdigest()
    scopes = [user_scope(user.pk), *(group_scope(group_id) for group_id in starts)]
    return cache.cached(f"checkins:current:{user.pk}:{periods}", scopes, read, timeout=PERIOD_TTL_SECONDS)


def streaks(starts: set[date], step: timedelta, current: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive periods. The current run still counts while
    its latest period is the one before ``current``: a streak breaks only when a period is missed."""
    longest = run = 0
    previous: date | None = None
    for start in sorted(starts):
        run = run + 1 if previous is not None and start - previous == step else 1
        longest, previous = max(longest, run), start
    cursor = current if current in starts else current - step
    streak = 0
    while cursor in starts:
        streak, cursor = streak + 1, cursor - step
    return streak, longest


def history_summary(*, user: User, group_id: UUID | str | None = None) -> dict[str, Any]:
    """``{totalCheckIns, averageScore, highestScore, currentStreak, longestStreak}``; streaks
    are counted per group in its own frequency, and the best group's run is reported."""
    queryset = CheckIn.objects.filter(user=user)
    if group_id is not None:
        queryset = queryset.filter(group_id=group_id)
    rows = queryset.values(
        "group_id",
        "week_start_date",
        "hu_cares_score",
        "group__check_in_frequency",
        "group__timezone",
        "group__period_anchor",
    )
    scores: list[int] = []
    per_group: dict[UUID, tuple[set[date], Group]] = {}
    for row in rows:
        scores.append(row["hu_cares_score"])
        group = Group(
            id=row["group_id"],
            check_in_frequency=row["group__check_in_frequency"],
            timezone=row["group__timezone"],
            period_anchor=row["group__period_anchor"],
        )
        per_group.setdefault(row["group_id"], (set(), group))[0].add(row["week_start_date"])
    runs = [
        streaks(starts, period_length(group.check_in_frequency), current_period_start(group))
        for starts, group in per_group.values()
    ]
    # camelCase here: the renderer camelizes ``data`` only, and this goes into ``meta``.
    return {
        "totalCheckIns": len(scores),
        "averageScore": round(sum(scores) / len(scores), 2) if scores else None,
        "highestScore": max(scores) if scores else None,
        "currentStreak": max((run[0] for run in runs), default=0),
        "longestStreak": max((run[1] for run in runs), default=0),
    }


def export_rows(*, user: User) -> Iterator[dict[str, Any]]:
    """Every own check-in as its payload, oldest first, read in chunks."""
    queryset = CheckIn.objects.filter(user=user).order_by("week_start_date", "submitted_at", "id")
    values = queryset.values(*ROW_FIELDS, username=F("user__username"), owner_privacy=F("user__privacy_settings"))
    for row in values.iterator(chunk_size=500):
        yield checkin_payload(row, viewer_id=user.pk)
