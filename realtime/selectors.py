"""Reads the real-time layer needs."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from groups.models import GroupMembership, MembershipStatus

from .events import Frame
from .models import StreamCounter, StreamEvent, UserSession

# Every handshake and every last socket's close runs this. The same query
# through the ORM (a membership subquery, a join, an exclude) cost several
# times this text's CPU to build and compile on every call (docs/performance.md).
# The tables are the models' ``db_table`` (checked by a test).
_CO_MEMBERS_SQL = (
    "SELECT DISTINCT other.user_id"
    " FROM group_memberships mine"
    " JOIN groups g ON g.id = mine.group_id AND g.is_active"
    " JOIN group_memberships other ON other.group_id = mine.group_id"
    " AND other.status = %s AND other.user_id <> mine.user_id"
    " WHERE mine.user_id = %s AND mine.status = %s"
)


def co_member_ids(*, user_id: UUID | str) -> set[UUID]:
    """Users who share an active group with ``user_id`` (not the user): the audience of presence.

    Both memberships must be active and the group not hidden.
    """
    # The key as this database stores it (SQLite keeps UUIDs as hex text).
    user_field = GroupMembership._meta.get_field("user").target_field
    key = user_field.get_db_prep_value(user_field.to_python(user_id), connection)
    active = MembershipStatus.ACTIVE.value
    with connection.cursor() as cursor:
        cursor.execute(_CO_MEMBERS_SQL, [active, key, active])
        return {user_field.to_python(row[0]) for row in cursor.fetchall()}


def stale_sessions(*, before: datetime) -> QuerySet[UserSession]:
    """Sockets whose last recorded heartbeat is older than ``before``."""
    return UserSession.objects.filter(last_heartbeat__lt=before)


@dataclass(frozen=True)
class StreamPage:
    """What a reader of a user's stream gets after a cursor."""

    # Frames with their ``cursor``, oldest first.
    events: list[Frame]
    # The cursor to read after next: the last event's, or the latest when there were none.
    cursor: int
    # The cursor is outside the retained window (or unknown): refetch, then read after ``cursor``.
    resync: bool = False


def stream_latest(*, user_id: UUID | str) -> int:
    """The last cursor given to the user's stream (0 before the first event)."""
    return StreamCounter.objects.filter(user_id=user_id).values_list("last_cursor", flat=True).first() or 0


def stream_read(*, user_id: UUID | str, since: int, limit: int | None = None) -> StreamPage:
    """The user's events after ``since``, or ``resync`` when some of them are no longer kept.

    Cursors of one user have no holes (the counter and the events commit
    together), so the first event after ``since`` must be ``since + 1``;
    anything else means the window moved past the reader.
    """
    latest = stream_latest(user_id=user_id)
    limit = limit or settings.EVENT_STREAM_MAX_EVENTS
    if since == latest:
        return StreamPage(events=[], cursor=latest)
    if since > latest or since < latest - settings.EVENT_STREAM_MAX_EVENTS:
        return StreamPage(events=[], cursor=latest, resync=True)
    rows = list(
        StreamEvent.objects.filter(user_id=user_id, cursor__gt=since)
        .order_by("cursor")
        .values_list("cursor", "frame")[:limit]
    )
    if not rows or rows[0][0] != since + 1:
        return StreamPage(events=[], cursor=latest, resync=True)
    return StreamPage(events=[{**frame, "cursor": str(cursor)} for cursor, frame in rows], cursor=rows[-1][0])


def stream_resume(*, user_id: UUID | str, since: int | None) -> StreamPage:
    """The page a reconnecting reader starts with: the events after ``since``, or none and the latest cursor."""
    if since is None:
        return StreamPage(events=[], cursor=stream_latest(user_id=user_id))
    return stream_read(user_id=user_id, since=since)
