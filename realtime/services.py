"""Writes of the real-time layer: socket rows, presence announcements and the per-user event stream."""

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.errors import TokenInvalid
from accounts.models import User
from accounts.tokens import user_for_access_token
from hucares.core.events import write_pooled

from . import events, presence
from .errors import REDIS_UNREACHABLE
from .events import Frame
from .models import StreamCounter, StreamEvent, UserSession
from .publish import event_message, publish_many, publish_to_users, user_group
from .selectors import co_member_ids, stale_sessions

logger = logging.getLogger(__name__)


def session_open(*, user_id: UUID | str, socket_id: str, user_agent: str, ip_address: str | None) -> UserSession:
    """Record an open socket (one ``user_sessions`` row per socket)."""
    return UserSession.objects.create(
        user_id=user_id, socket_id=socket_id, user_agent=user_agent[:512], ip_address=ip_address
    )


def token_user(token: str) -> tuple[User, dict[str, Any]] | None:
    """The user and claims of a valid, unrevoked access token, or ``None``."""
    try:
        return user_for_access_token(token)
    except TokenInvalid:
        return None


@dataclass(frozen=True)
class OpenedSocket:
    user: User
    claims: dict[str, Any]
    session: UserSession
    # Who to tell ``user-online`` (empty unless this is the user's first socket).
    audience: set[UUID]


def socket_open(*, token: str, socket_id: str, user_agent: str, ip_address: str | None) -> OpenedSocket | None:
    """Start a socket from its access token: check the token, record the row, count it in presence.

    ``None`` for a bad, expired or revoked token (nothing is recorded then).
    One call so that a handshake makes one trip to a thread instead of one
    per step; the steps are those of :func:`session_open` and :func:`socket_arrived`.
    """
    checked = token_user(token)
    if checked is None:
        return None
    user, claims = checked
    session = session_open(user_id=user.pk, socket_id=socket_id, user_agent=user_agent, ip_address=ip_address)
    audience = socket_arrived(user_id=user.pk, socket_id=socket_id)
    return OpenedSocket(user=user, claims=claims, session=session, audience=audience)


def session_heartbeat(*, socket_id: str) -> None:
    UserSession.objects.filter(socket_id=socket_id).update(last_heartbeat=timezone.now())


def session_close(*, socket_id: str) -> None:
    UserSession.objects.filter(socket_id=socket_id).delete()


def socket_arrived(*, user_id: UUID | str, socket_id: str) -> set[UUID]:
    """Count a connected socket in presence; who to tell ``user-online`` (nobody unless it is the user's first)."""
    if not presence.socket_connected(user_id, socket_id):
        return set()
    return co_member_ids(user_id=user_id)


def socket_left(*, user_id: UUID | str, socket_id: str) -> set[UUID]:
    """Drop a closed socket's row and presence; who to tell ``user-offline`` (nobody unless it was the last)."""
    session_close(socket_id=socket_id)
    if not presence.socket_gone(user_id, socket_id):
        return set()
    return co_member_ids(user_id=user_id)


def stale_after() -> timedelta:
    """A row is stale once its socket would have lapsed even with the slowest heartbeat write."""
    return timedelta(seconds=settings.REALTIME_PRESENCE_TTL + settings.REALTIME_HEARTBEAT_WRITE_INTERVAL)


def announce_presence(*, user_id: UUID | str, online: bool) -> None:
    """``user-online`` / ``user-offline`` to the personal stream of everyone sharing a group."""
    event = events.user_online(user_id=user_id) if online else events.user_offline(user_id=user_id)
    publish_to_users(co_member_ids(user_id=user_id), event)


def sessions_sweep_stale() -> int:
    """Delete rows of sockets that stopped heartbeating (a dead process) and announce who went offline."""
    with transaction.atomic():
        rows = list(stale_sessions(before=timezone.now() - stale_after()).select_for_update(skip_locked=True))
        UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    sockets: dict[UUID, list[str]] = defaultdict(list)
    for row in rows:
        sockets[row.user_id].append(row.socket_id)
    for user_id, socket_ids in sockets.items():
        went_offline = [presence.socket_gone(user_id, socket_id) for socket_id in socket_ids]
        if any(went_offline):
            announce_presence(user_id=user_id, online=False)
    if rows:
        logger.info("swept %d stale socket(s)", len(rows))
    return len(rows)


# --- the per-user event stream ---------------------------------------------------------

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
    """Append the events to their users' streams and send them live once the transaction commits.

    Inside a caller's transaction the events are part of it (no savepoint: an
    append that fails fails the change); outside one they are written in a
    transaction of their own. The receivers of one domain signal append
    together, in one statement after the last of them (``write_pooled``), so
    that a transaction locks its users' counters once, in one order.
    """
    write_pooled("realtime.stream", deliveries, _append_and_publish)


def _append_and_publish(deliveries: list[tuple[UUID | str, Frame]]) -> None:
    appended_at = timezone.now()
    with transaction.atomic(savepoint=False):
        sent = stream_append(deliveries=deliveries, appended_at=appended_at)
        transaction.on_commit(lambda: _publish_to_connected(sent, appended_at=appended_at.timestamp()))


def _publish_to_connected(sent: list[tuple[UUID, Frame]], *, appended_at: float) -> None:
    """Send stream events live to the users who have a socket open now; the others read them from the stream.

    Most members are not connected when a friend checks in, and a publish
    nobody receives still cost a Redis round trip and its CPU, one per
    member and event. Skipping them loses nothing: a socket registers its
    presence before it subscribes and reads the stream, and these events
    were committed before this check, so a socket that opens meanwhile finds
    them in its read. While presence cannot be read, everyone is sent to.
    Each message carries the append instant, for the lag the sockets record.
    """
    try:
        connected = presence.online_user_ids({user_id for user_id, _ in sent})
    except REDIS_UNREACHABLE:
        connected = {user_id for user_id, _ in sent}
    publish_many(
        (user_group(user_id), event_message(frame, appended_at=appended_at))
        for user_id, frame in sent
        if user_id in connected
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
