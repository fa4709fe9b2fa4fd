"""Reads of the per-user event stream: every transport reads after its own cursor through these."""

from dataclasses import dataclass
from uuid import UUID

from django.conf import settings

from .events import Frame
from .models import StreamCounter, StreamEvent


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


def _page(since: int, latest: int, rows: list[tuple[int, Frame]]) -> StreamPage:
    """Cursors of one user have no holes (the counter and the events commit together), so the first
    event after ``since`` must be ``since + 1``; anything else means the window moved past the reader."""
    if since == latest and not rows:
        return StreamPage(events=[], cursor=latest)
    if since > latest or since < latest - settings.EVENT_STREAM_MAX_EVENTS or not rows or rows[0][0] != since + 1:
        return StreamPage(events=[], cursor=latest, resync=True)
    return StreamPage(events=[{**frame, "cursor": str(cursor)} for cursor, frame in rows], cursor=rows[-1][0])


def stream_read(*, user_id: UUID | str, since: int, limit: int | None = None) -> StreamPage:
    """The user's events after ``since``, or ``resync`` when some of them are no longer kept."""
    latest = stream_latest(user_id=user_id)
    if since == latest:
        return StreamPage(events=[], cursor=latest)
    rows = list(
        StreamEvent.objects.filter(user_id=user_id, cursor__gt=since)
        .order_by("cursor")
        .values_list("cursor", "frame")[: limit or settings.EVENT_STREAM_MAX_EVENTS]
    )
    return _page(since, latest, rows)


def stream_resume(*, user_id: UUID | str, since: int | None) -> StreamPage:
    """The page a reconnecting reader starts with: the events after ``since``, or none and the latest cursor."""
    if since is None:
        return StreamPage(events=[], cursor=stream_latest(user_id=user_id))
    return stream_read(user_id=user_id, since=since)
