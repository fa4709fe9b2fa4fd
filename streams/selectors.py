"""Reads of the per-user event stream: every transport reads after its own cursor through these."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db.models import Q

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


def stream_read(*, user_id: UUID | str, since: int) -> StreamPage:
    """The user's events after ``since``, or ``resync`` when some of them are no longer kept."""
    return stream_read_many(reads=[(str(user_id), since)])[(str(user_id), since)]


def stream_read_many(*, reads: Iterable[tuple[str, int]]) -> dict[tuple[str, int], StreamPage]:
    """The pages of several readers, each ``(user_id, since)``, in two queries whatever their number.

    A process holding many sockets is woken for many users at once (a check-in
    wakes every co-member); reading them together costs two round trips instead
    of two per socket. Readers outside their retained window get ``resync``
    without reading their rows.
    """
    wanted = {(str(user_id), since) for user_id, since in reads}
    latest = {
        str(user_id): last
        for user_id, last in StreamCounter.objects.filter(user_id__in={user for user, _ in wanted}).values_list(
            "user_id", "last_cursor"
        )
    }
    # Per user, the lowest cursor read after by a reader still inside the window.
    oldest: dict[str, int] = {}
    for user, since in wanted:
        last = latest.get(user, 0)
        if last - settings.EVENT_STREAM_MAX_EVENTS <= since < last:
            oldest[user] = min(since, oldest.get(user, since))
    rows: dict[str, list[tuple[int, Frame]]] = defaultdict(list)
    if oldest:
        after = Q()
        for user, since in oldest.items():
            after |= Q(user_id=user, cursor__gt=since)
        for user_id, cursor, frame in (
            StreamEvent.objects.filter(after).order_by("user_id", "cursor").values_list("user_id", "cursor", "frame")
        ):
            rows[str(user_id)].append((cursor, frame))
    return {
        (user, since): _page(since, latest.get(user, 0), [row for row in rows[user] if row[0] > since])
        for user, since in wanted
    }


def stream_resume(*, user_id: UUID | str, since: int | None) -> StreamPage:
    """The page a reconnecting reader starts with: the events after ``since``, or none and the latest cursor."""
    if since is None:
        return StreamPage(events=[], cursor=stream_latest(user_id=user_id))
    return stream_read(user_id=user_id, since=since)
