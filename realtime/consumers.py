"""The ``/ws/`` socket: authenticate, check membership, forward.

Frames are ``{"event", "data", "ref"?}`` both ways. Everything a client can
send is validated here; a bad frame gets an ``error`` frame and the socket
stays open, and nothing a client sends can raise out of this consumer.

Close codes:

- 4401: missing, bad, expired or revoked token; no ``authenticate`` as first
  frame within ``REALTIME_AUTH_TIMEOUT``; the access token expired and was
  not renewed with ``authenticate``.
- 4408: no ``heartbeat`` for ``REALTIME_PRESENCE_TTL`` seconds.
- 4429: flooding (frames keep arriving while the frame budget is spent).
- 1009: a frame over 64 KB.
- 4503: Redis was unreachable when the socket opened; it got an ``error``
  frame ``SERVICE_UNAVAILABLE`` first (realtime.middleware.AnswerRedisOutage).
- A browser Origin not in ``ALLOWED_HOSTS`` is refused at the handshake
  (HTTP 403); a handshake without ``Origin`` (a native app) is let in.

While Redis is unreachable, a frame that needs it (heartbeat, join-group,
authenticate) gets an ``error`` frame with code ``SERVICE_UNAVAILABLE`` and
the socket stays open, so the client can keep it or fall back to polling.
"""

import asyncio
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from groups.selectors import active_membership, group_member_ids
from hucares.core.ratelimit import client_ip

from . import events, presence, services
from .db import db_call
from .errors import REDIS_UNREACHABLE, UNAVAILABLE_MESSAGE
from .metrics import observe_stream_lag
from .middleware import SUBPROTOCOL
from .publish import Message, apublish_many, event_message, room_group, user_group
from .selectors import StreamPage, stream_read, stream_resume

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401
CLOSE_HEARTBEAT_TIMEOUT = 4408
CLOSE_FLOODING = 4429
CLOSE_TOO_BIG = 1009
# Frames refused for the budget in a row before the socket is closed.
FLOOD_LIMIT = 50


class FrameError(Exception):
    """A client frame that cannot be served; becomes an ``error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FrameBudget:
    """A token bucket: ``rate`` frames a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.refused_in_a_row = 0

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False


def _group_id(data: dict[str, Any]) -> str:
    value = data.get("groupId")
    if not isinstance(value, str):
        _invalid("groupId must be a UUID string.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        _invalid("groupId must be a UUID string.")


def _cursor(value: Any) -> int | None:
    """A cursor sent by the client (a string or number holding a decimal integer), or ``None``."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _since(scope: dict[str, Any]) -> int | None:
    """The ``?since=`` cursor of the socket's URL (resume on connect)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since")
    return _cursor(values[0]) if values else None


def _invalid(message: str) -> NoReturn:
    raise FrameError("VALIDATION_ERROR", message)


def _client_address(scope: dict[str, Any]) -> str | None:
    """The client's IP by the same proxy rule as HTTP (``TRUSTED_PROXY_COUNT``)."""
    request = HttpRequest()
    client = scope.get("client")
    request.META = {
        "REMOTE_ADDR": client[0] if client else "",
        "HTTP_X_FORWARDED_FOR": _header(scope, b"x-forwarded-for"),
    }
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class RealtimeConsumer(AsyncWebsocketConsumer):
    user: User | None
    claims: dict[str, Any]

    async def connect(self) -> None:
        self.user, self.claims, self.token = None, {}, ""
        self.user_key = ""  # str(user.pk), once authenticated
        # The last stream cursor this socket delivered: later events only, in order.
        self.cursor = 0
        self.session_id: uuid.UUID | None = None
        self.rooms: set[str] = set()
        self.typing: dict[str, tuple[float, bool]] = {}
        self.budget = FrameBudget(settings.REALTIME_FRAME_RATE, settings.REALTIME_FRAME_BURST)
        self.opened_at = self.last_heartbeat = time.monotonic()
        self.heartbeat_written = time.monotonic()
        self.watchdog: asyncio.TimerHandle | None = None
        self.closing: asyncio.Future[None] | None = None
        offered = self.scope.get("subprotocols", [])
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        token = self.scope.get("token")
        if token is not None and not await self._start(token):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self._watch()

    async def _start(self, token: str) -> bool:
        """Authenticate the socket with ``token`` and start it; ``False`` for a bad token.

        Token, ``user_sessions`` row and presence are one trip to a thread.
        """
        opened = await db_call(services.socket_open)(
            token=token,
            socket_id=self.channel_name,
            user_agent=_header(self.scope, b"user-agent"),
            ip_address=_client_address(self.scope),
        )
        if opened is None:
            return False
        user = opened.user
        self.user, self.claims, self.token = user, opened.claims, token
        self.session_id = opened.session.pk
        self.user_key = str(user.pk)
        self.last_heartbeat = time.monotonic()
        # Subscribed before the stream is read and ``connected`` sent: an event
        # committed after the read arrives live, one before it is in the read.
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        since = _since(self.scope)
        page = await db_call(stream_resume)(user_id=user.pk, since=since)
        await self.send_frame(events.connected(user_id=user.pk, session_id=opened.session.pk, cursor=page.cursor))
        self.cursor = page.cursor if since is None else since
        await self._replay(page)
        await self._announce(opened.audience, online=True)
        return True

    async def _replay(self, page: StreamPage) -> None:
        """Send a page of the stream after ``self.cursor``, or ``resync-required`` for a lost window."""
        if page.resync:
            await self.send_frame(events.resync_required(cursor=page.cursor))
            self.cursor = page.cursor
            return
        for frame in page.events:
            await self._send_event(frame)
        self.cursor = max(self.cursor, page.cursor)

    async def _send_event(self, event: dict[str, Any]) -> None:
        """Send a live or replayed event, and leave the room of a group it says was deleted."""
        await self.send_frame(event)
        if event["event"] == "group-updated" and event["data"]["type"] == "group-deleted":
            room = room_group(event["data"]["groupId"])
            if room in self.rooms:
                await self._drop_room(room)

    async def _stream_event(self, event: dict[str, Any], appended_at: float | None) -> None:
        """A live event of the user's stream: sent once, in cursor order.

        Messages reach the socket one at a time, so events published during a
        replay wait until it is done and then arrive here: those the replay
        already sent are dropped. Two processes may publish consecutive events
        in the opposite order; a cursor ahead of the next expected one makes
        the socket read the stream from where it is, which brings both.
        Either way the event's lag since its append (``appended_at``) is
        recorded once its frame, or the replay that brings it, is written; a
        dropped repeat records nothing.
        """
        cursor = int(event["cursor"])
        if cursor <= self.cursor:
            return
        if cursor == self.cursor + 1:
            await self._send_event(event)
            self.cursor = cursor
        else:
            await self._replay(await db_call(stream_read)(user_id=self.user_key, since=self.cursor))
        observe_stream_lag(appended_at)

    async def _announce(self, audience: set[uuid.UUID], *, online: bool) -> None:
        assert self.user is not None
        user_id = self.user.pk
        event = events.user_online(user_id=user_id) if online else events.user_offline(user_id=user_id)
        message = event_message(event)
        await apublish_many([(user_group(member), message) for member in audience])

    def _watch(self) -> None:
        """Close the socket at the first deadline: authentication, token expiry, heartbeat.

        A timer rather than a task per socket (a task and its coroutine cost
        memory for as long as the socket lives); when it fires it checks the
        deadlines again, since a heartbeat or a new token may have moved them.
        """
        now = time.monotonic()
        if self.user is None:
            deadline, code = self.opened_at + settings.REALTIME_AUTH_TIMEOUT, CLOSE_UNAUTHENTICATED
        else:
            expires_in = float(self.claims.get("exp", 0)) - time.time()
            token_deadline = now + expires_in
            beat_deadline = self.last_heartbeat + settings.REALTIME_PRESENCE_TTL
            deadline, code = min((token_deadline, CLOSE_UNAUTHENTICATED), (beat_deadline, CLOSE_HEARTBEAT_TIMEOUT))
        if now >= deadline:
            self.watchdog = None
            self.closing = asyncio.ensure_future(self.close(code=code))
            return
        self.watchdog = asyncio.get_running_loop().call_later(deadline - now, self._watch)

    async def disconnect(self, code: int) -> None:
        """Leave the groups, drop the socket's row and presence, tell co-members when it was the last.

        With Redis unreachable the rest still runs: the row goes, and presence
        lapses on its own after ``REALTIME_PRESENCE_TTL``.
        """
        if self.watchdog is not None:
            self.watchdog.cancel()
        groups = [*self.rooms, *([user_group(self.user.pk)] if self.user is not None else [])]
        try:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except REDIS_UNREACHABLE as exc:
            logger.warning("socket closed while Redis is unreachable: %s", type(exc).__name__)
        if self.user is None:
            return
        try:
            audience = await db_call(services.socket_left)(user_id=self.user.pk, socket_id=self.channel_name)
        except REDIS_UNREACHABLE as exc:
            logger.warning("socket presence left to expire, Redis unreachable: %s", type(exc).__name__)
            return
        await self._announce(audience, online=False)

    async def dispatch(self, message: Message) -> None:
        """Channels' dispatch without its database clean-up hop.

        Channels sends every message (each client frame, each event for the
        socket) to its single sync thread to run ``close_old_connections``
        before the handler: a thread round trip per message, and all sockets
        of the process queue for that one thread. This consumer runs every
        query through :func:`realtime.db.db_call`, which returns its
        connection itself, so there is never anything to close here.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=events.encode(frame))

    # --- client frames ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not self.budget.take():
            if self.budget.refused_in_a_row >= FLOOD_LIMIT:
                await self.close(code=CLOSE_FLOODING)
            else:
                await self.send_frame(events.error(code="RATE_LIMITED", message="Too many frames; slow down."))
            return
        ref: Any = None
        name = ""
        try:
            name, data, ref = self._parse(text_data)
            await self._dispatch(name, data, ref)
        except FrameError as exc:
            await self.send_frame(events.error(code=exc.code, message=exc.message, ref=ref))
        except REDIS_UNREACHABLE as exc:
            logger.warning("websocket frame %r failed: Redis unreachable: %s", name, type(exc).__name__)
            await self.send_frame(events.error(code="SERVICE_UNAVAILABLE", message=UNAVAILABLE_MESSAGE, ref=ref))
        except Exception:
            logger.exception("websocket frame failed")
            await self.send_frame(events.error(code="INTERNAL_ERROR", message="Something went wrong.", ref=ref))

    @staticmethod
    def _parse(text_data: str | None) -> tuple[str, dict[str, Any], Any]:
        if text_data is None:
            raise FrameError("MALFORMED_FRAME", "Frames must be JSON text.")
        try:
            frame = json.loads(text_data)
        except ValueError as exc:
            raise FrameError("MALFORMED_FRAME", "Frames must be JSON text.") from exc
        if isinstance(frame, dict) and frame.get("type") == "resume" and "event" not in frame:
            # The resume frame's own shape: {"type": "resume", "since": "<cursor>"}.
            return "resume", {"since": frame.get("since")}, frame.get("ref")
        if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
            raise FrameError("INVALID_FRAME", 'A frame is an object {"event": string, "data": object}.')
        ref = frame.get("ref")
        if ref is not None and not isinstance(ref, str | int):
            raise FrameError("INVALID_FRAME", "ref must be a string or a number.")
        data = frame.get("data", {})
        if not isinstance(data, dict):
            raise FrameError("VALIDATION_ERROR", "data must be an object.")
        return frame["event"], data, ref

    def _handlers(self) -> dict[str, Callable[[dict[str, Any], Any], Awaitable[None]]]:
        return {
            "authenticate": self._authenticate,
            "heartbeat": self._heartbeat,
            "join-group": self._join_group,
            "leave-group": self._leave_group,
            "user-typing": self._user_typing,
            "resume": self._resume,
        }

    async def _dispatch(self, name: str, data: dict[str, Any], ref: Any) -> None:
        handler = self._handlers().get(name)
        if handler is None:
            raise FrameError("UNKNOWN_EVENT", f"Unknown event {name[:50]!r}.")
        if self.user is None and name != "authenticate":
            # The first frame of a socket without ?token= must authenticate it.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await handler(data, ref)

    async def _authenticate(self, data: dict[str, Any], ref: Any) -> None:
        token = data.get("token")
        if not isinstance(token, str) or not token:
            _invalid("token must be a non-empty string.")
        if self.user is None:
            if not await self._start(token):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        else:
            result = await db_call(services.token_user)(token)
            if result is None:
                raise FrameError("TOKEN_INVALID", "The token is invalid or expired.")
            if result[0].pk != self.user.pk:
                raise FrameError("PERMISSION_DENIED", "The token belongs to another user.")
            self.claims, self.token = result[1], token
        if ref is not None:
            await self.send_frame(events.ack(ref=ref))

    async def _resume(self, data: dict[str, Any], ref: Any) -> None:
        """Everything after the client's cursor, then live events, as with ``?since=`` on connect."""
        since = _cursor(data.get("since"))
        if since is None:
            _invalid("since must be a cursor (a string holding a decimal integer).")
        self.cursor = since
        await self._replay(await db_call(stream_read)(user_id=self.user_key, since=since))
        if ref is not None:
            await self.send_frame(events.ack(ref=ref))

    async def _heartbeat(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        self.last_heartbeat = time.monotonic()
        await sync_to_async(presence.socket_alive, thread_sensitive=False)(self.user.pk, self.channel_name)
        if time.monotonic() - self.heartbeat_written >= settings.REALTIME_HEARTBEAT_WRITE_INTERVAL:
            self.heartbeat_written = time.monotonic()
            # Also the moment to notice a token revoked by logout since connect.
            if await db_call(services.token_user)(self.token) is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await db_call(services.session_heartbeat)(socket_id=self.channel_name)
            # And to deliver events whose live message the channel layer lost: the stream kept them.
            await self._replay(await db_call(stream_read)(user_id=self.user_key, since=self.cursor))
        await self.send_frame(events.heartbeat_ack(ref=ref))

    async def _join_group(self, data: dict[str, Any], ref: Any) -> None:
        group_id = _group_id(data)
        if not await self._is_member(group_id):
            raise FrameError("NOT_FOUND", "Group not found.")
        room = room_group(group_id)
        await self.channel_layer.group_add(room, self.channel_name)
        self.rooms.add(room)
        members = await db_call(group_member_ids)(group_id=group_id)
        online = await sync_to_async(presence.online_user_ids, thread_sensitive=False)(members)
        await self.send_frame(events.group_joined(group_id=group_id, online_user_ids=list(online), ref=ref))

    @db_call
    def _is_member(self, group_id: str) -> bool:
        assert self.user is not None
        return active_membership(group_id=group_id, user=self.user) is not None

    async def _leave_group(self, data: dict[str, Any], ref: Any) -> None:
        room = room_group(_group_id(data))
        await self._drop_room(room)
        if ref is not None:
            await self.send_frame(events.ack(ref=ref))

    async def _drop_room(self, room: str) -> None:
        self.rooms.discard(room)
        await self.channel_layer.group_discard(room, self.channel_name)

    async def _user_typing(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        group_id = _group_id(data)
        is_typing = data.get("isTyping")
        if not isinstance(is_typing, bool):
            _invalid("isTyping must be a boolean.")
        room = room_group(group_id)
        if room not in self.rooms:
            raise FrameError("NOT_JOINED", "Join the group before typing in it.")
        if self._typing_allowed(room, is_typing):
            event = events.user_typing(
                group_id=group_id, user_id=self.user.pk, username=self.user.username, is_typing=is_typing
            )
            await apublish_many([(room, event_message(event, room=room, exclude_user=str(self.user.pk)))])
        if ref is not None:
            await self.send_frame(events.ack(ref=ref))

    def _typing_allowed(self, room: str, is_typing: bool) -> bool:
        """A change of state always passes; a repeat at most once per ``REALTIME_TYPING_INTERVAL``."""
        now = time.monotonic()
        last = self.typing.get(room)
        if last is not None and last[1] == is_typing and now - last[0] < settings.REALTIME_TYPING_INTERVAL:
            return False
        self.typing[room] = (now, is_typing)
        return True

    # --- channel-layer messages (types realtime.event / realtime.control of publish.py) ---

    async def realtime_event(self, message: Message) -> None:
        room = message.get("room")
        if room is not None and room not in self.rooms:
            # Sent to the room just before this socket left it.
            return
        if self.user is not None and message.get("exclude_user") == self.user_key:
            return
        event = message["event"]
        if "cursor" in event and self.user is not None:
            await self._stream_event(event, message.get("appended_at"))
        else:
            await self._send_event(event)

    async def realtime_control(self, message: Message) -> None:
        if message.get("action") == "leave-room":
            await self._drop_room(message["room"])
            if message.get("event"):
                await self.send_frame(message["event"])
