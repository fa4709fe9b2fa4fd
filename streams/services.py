"""Writes of the per-user event stream: append (inside the change's transaction), drop and trim.

After the appending transaction commits, each user whose stream moved gets
one wake-up ("your stream is at cursor N", :func:`streams.publish.wakeup`),
sent without waiting; the frames themselves are read from the stream by
each transport after its own cursor. Only this app writes stream rows.
"""

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from hucares.core.events import write_pooled

from . import publish
from .events import Frame
from .models import StreamCounter, StreamEvent

# One statement moves the counters of every user in a delivery: rows are
# locked in the order given (sorted), so two fan-outs never deadlock.
_ADVANCE_SQL = (
    "INSERT INTO event_stream_counters (user_id, last_cursor) VALUES {rows}"
    " ON CONFLICT (user_id) DO UPDATE SET last_cursor = event_stream_counters.last_cursor + excluded.last_cursor"
    " RETURNING user_id, last_cursor"
)

# PostgreSQL: counters and events in one statement, every row in one JSON
# parameter. Binding each column of each row as its own parameter (the ORM's
# bulk insert) cost more CPU than everything else a check-in's fan-out does.
# The counters are locked in user order here too.
_APPEND_SQL = """
WITH input AS (
    SELECT (item->>0)::uuid AS user_id, item->1 AS frame, position
    FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(item, position)
), counts AS (
    SELECT user_id, count(*) AS n FROM input GROUP BY user_id
), advanced AS (
    INSERT INTO event_stream_counters (user_id, last_cursor)
    SELECT user_id, n FROM counts ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET last_cursor = event_stream_counters.last_cursor + excluded.last_cursor
    RETURNING user_id, last_cursor
), numbered AS (
    SELECT input.user_id, input.frame, input.position,
        advanced.last_cursor - counts.n
            + row_number() OVER (PARTITION BY input.user_id ORDER BY input.position) AS cursor
    FROM input JOIN counts USING (user_id) JOIN advanced USING (user_id)
), stored AS (
    INSERT INTO event_stream (user_id, cursor, frame, created_at)
    SELECT user_id, cursor, frame, %s FROM numbered
)
SELECT cursor FROM numbered ORDER BY position
"""


def _append_in_one_statement(parsed: list[tuple[UUID, Frame]], now: datetime) -> list[int]:
    payload = json.dumps([[str(user_id), frame] for user_id, frame in parsed], separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL, [payload, now])
        return [int(row[0]) for row in cursor.fetchall()]


def _append_with_the_orm(parsed: list[tuple[UUID, Frame]], now: datetime) -> list[int]:
    """The same for other databases (SQLite of the embedded default)."""
    counts = Counter(user_id for user_id, _ in parsed)
    user_field = StreamCounter._meta.get_field("user_id")
    ordered = sorted(counts)
    params: list[Any] = []
    for user_id in ordered:
        params += [user_field.get_db_prep_value(user_id, connection), counts[user_id]]
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE_SQL.format(rows=", ".join(["(%s, %s)"] * len(ordered))), params)
        last = {user_field.to_python(user_id): value for user_id, value in cursor.fetchall()}
    # The first cursor of each user's share of this delivery.
    following = {user_id: last[user_id] - counts[user_id] + 1 for user_id in counts}
    cursors, rows = [], []
    for user_id, frame in parsed:
        cursors.append(following[user_id])
        rows.append(StreamEvent(user_id=user_id, cursor=following[user_id], frame=frame, created_at=now))
        following[user_id] += 1
    StreamEvent.objects.bulk_create(rows)
    return cursors


def stream_append(
    *, deliveries: Sequence[tuple[UUID | str, Frame]], appended_at: datetime | None = None
) -> list[tuple[UUID, Frame]]:
    """Give each ``(user, frame)`` the next cursor of that user's stream and store it.

    Must run inside a transaction (the caller's, so the events commit or roll
    back with the write that caused them). Returns the frames with their
    ``cursor``, in the order given, for publishing after commit. The events'
    ``created_at`` is ``appended_at``, now by default.
    """
    if not deliveries:
        return []
    parsed = [(UUID(str(user_id)), frame) for user_id, frame in deliveries]
    append = _append_in_one_statement if connection.vendor == "postgresql" else _append_with_the_orm
    cursors = append(parsed, appended_at or timezone.now())
    return [
        (user_id, {**frame, "cursor": str(cursor)}) for (user_id, frame), cursor in zip(parsed, cursors, strict=True)
    ]


def stream_deliver(*, deliveries: Sequence[tuple[UUID | str, Frame]]) -> None:
    """Append the events to their users' streams and wake their listeners once the transaction commits.

    Inside a caller's transaction the events are part of it (no savepoint: an
    append that fails fails the change); outside one they are written in a
    transaction of their own. The receivers of one domain signal append
    together, in one statement after the last of them (``write_pooled``), so
    that a transaction locks its users' counters once, in one order.
    """
    write_pooled("streams.append", deliveries, _append_and_wake)


def _append_and_wake(deliveries: list[tuple[UUID | str, Frame]]) -> None:
    appended_at = timezone.now()
    with transaction.atomic(savepoint=False):
        sent = stream_append(deliveries=deliveries, appended_at=appended_at)
        latest: dict[UUID, int] = {}
        for user_id, frame in sent:
            latest[user_id] = max(latest.get(user_id, 0), int(frame["cursor"]))
        transaction.on_commit(lambda: wake(latest, appended_at=appended_at.timestamp()))


def wake(latest: dict[UUID, int], *, appended_at: float) -> None:
    """One wake-up per user, with the user's newest cursor; handed off, not awaited (module docstring)."""
    publish.send_soon(
        publish.wakeup(user_id, cursor=cursor, appended_at=appended_at) for user_id, cursor in latest.items()
    )


def stream_drop(*, user_id: UUID | str) -> None:
    """Forget a deleted user's stream."""
    StreamEvent.objects.filter(user_id=user_id).delete()
    StreamCounter.objects.filter(user_id=user_id).delete()


def streams_trim() -> int:
    """Drop events past the window (``EVENT_STREAM_DAYS``, ``EVENT_STREAM_MAX_EVENTS`` per user)."""
    cutoff = timezone.now() - timedelta(days=settings.EVENT_STREAM_DAYS)
    old, _ = StreamEvent.objects.filter(created_at__lt=cutoff).delete()
    last = StreamCounter.objects.filter(user_id=OuterRef("user_id")).values("last_cursor")[:1]
    beyond = Subquery(last) - settings.EVENT_STREAM_MAX_EVENTS
    surplus, _ = StreamEvent.objects.filter(cursor__lte=beyond).delete()
    return old + surplus
