"""The ``/ws/`` socket: authenticate, check membership, forward.

Frames are ``{"event", "data", "ref"?}`` both ways; the protocol's steps are
plain functions in :mod:`realtime.protocol`. A bad frame gets an ``error``
frame and the socket stays open; nothing a client sends can raise out of
this consumer. The wire protocol (frames, close codes, subprotocol auth,
resume) is docs/asyncapi.yaml.

Stream events arrive as wake-ups ("your stream is at cursor N"): the socket
reads its user's stream after the last cursor it delivered and sends what it
finds, in order. Connect with ``?since=``, ``resume``, a wake-up and the
heartbeat's catch-up all make that one read; messages reach a consumer one
at a time, so there is nothing to reconcile.

While Redis is unreachable, a frame that needs it gets an ``error`` frame
``SERVICE_UNAVAILABLE`` and the socket stays open.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.models import User
from groups.selectors import active_membership, group_member_ids
from streams.publish import Message, user_group
from streams.selectors import StreamPage

from . import arrivals, departures, frames, presence, services
from .db import db_call
from .errors import REDIS_UNREACHABLE, UNAVAILABLE_MESSAGE
from .metrics import observe_stream_lag
from .middleware import SUBPROTOCOL
from .protocol import (
    CLOSE_FLOODING,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    FLOOD_LIMIT,
    MAX_FRAME_BYTES,
    FrameBudget,
    FrameError,
    TypingThrottle,
    client_address,
    group_id_of,
    header,
    invalid,
    leaves_room,
    next_deadline,
    page_frames,
    parse_frame,
    read_after,
    read_resume,
    resume_cursor,
    url_since,
)
from .publish import apublish_to_room, apublish_to_users, room_group

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Awaitable[None]]


class RealtimeConsumer(AsyncWebsocketConsumer):
    user: User | None = None

    async def connect(self) -> None:
        self.claims: dict[str, Any] = {}
        self.token, self.user_key = "", ""
        # Channel-layer groups the socket joined for its user and session (rooms apart).
        self.subscribed: list[str] = []
        # The last stream cursor this socket delivered: it reads after it, in order.
        self.cursor = 0
        self.rooms: set[str] = set()
        self.typing = TypingThrottle()
        self.budget = FrameBudget(settings.REALTIME_FRAME_RATE, settings.REALTIME_FRAME_BURST)
        self.opened_at = self.last_heartbeat = self.heartbeat_written = time.monotonic()
        self.watchdog: asyncio.TimerHandle | None = None
        self.closing: asyncio.Future[None] | None = None
        await self.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in self.scope.get("subprotocols", []) else None)
        token = self.scope.get("token")
        if token is not None and not await self._start(token):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self._watch()

    async def _start(self, token: str) -> bool:
        """Authenticate with ``token`` (token, socket row and presence in one trip to a thread), subscribe,
        then read the stream: an event committed after the read wakes the socket, one before is in it."""
        await arrivals.turn()  # paced per process: a reconnect storm is spread out (realtime/arrivals.py)
        opened = await db_call(services.socket_open)(
            token=token,
            socket_id=self.channel_name,
            user_agent=header(self.scope, b"user-agent"),
            ip_address=client_address(self.scope),
        )
        if opened is None:
            return False
        self.user, self.claims, self.token, self.user_key = opened.user, opened.claims, token, str(opened.user.pk)
        self.last_heartbeat = time.monotonic()
        await self._subscribe(user_group(self.user_key))
        since = url_since(self.scope)
        page = await read_resume(self.user_key, since)
        await self.send_frame(frames.connected(user_id=self.user_key, session_id=opened.session.pk, cursor=page.cursor))
        self.cursor = page.cursor if since is None else since
        await self._deliver(page)
        await apublish_to_users(opened.audience, frames.user_online(user_id=self.user_key))
        return True

    async def _subscribe(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.subscribed.append(group)

    async def _deliver(self, page: StreamPage) -> None:
        """Send a page read after ``self.cursor`` (or ``resync-required``) and move the cursor past it."""
        for frame in page_frames(page):
            await self.send_frame(frame)
            room = leaves_room(frame, self.user_key)
            if room is not None:
                await self._drop_room(room_group(room))
        self.cursor = page.cursor if page.resync else max(self.cursor, page.cursor)

    async def _catch_up(self) -> None:
        await self._deliver(await read_after(self.user_key, self.cursor))

    def _watch(self) -> None:
        """Close the socket at the first deadline: authentication, token expiry, heartbeat.

        A timer rather than a task per socket (a task costs memory for as long
        as the socket lives); when it fires it checks the deadlines again, since
        a heartbeat or a new token may have moved them.
        """
        now = time.monotonic()
        deadline, code = next_deadline(
            authenticated=self.user is not None,
            opened_at=self.opened_at,
            last_heartbeat=self.last_heartbeat,
            expires_at=float(self.claims.get("exp", 0)),
        )
        if now >= deadline:
            self.watchdog = None
            self.closing = asyncio.ensure_future(self.close(code=code))
            return
        self.watchdog = asyncio.get_running_loop().call_later(deadline - now, self._watch)

    async def disconnect(self, code: int) -> None:
        """Queue the socket for the process's next flush of closed sockets (:mod:`realtime.departures`: its row,
        presence, ``user-offline`` when it was the user's last), leave the groups, wait for the flush."""
        watchdog: asyncio.TimerHandle | None = getattr(self, "watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        left = departures.depart(user_id=self.user_key, socket_id=self.channel_name) if self.user is not None else None
        try:
            for group in [*getattr(self, "rooms", ()), *getattr(self, "subscribed", ())]:
                await self.channel_layer.group_discard(group, self.channel_name)
        except REDIS_UNREACHABLE as exc:
            logger.warning("socket closed while Redis is unreachable: %s", type(exc).__name__)
        if left is not None:
            await left

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=frames.encode(frame))

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
                await self.send_frame(frames.error(code="RATE_LIMITED", message="Too many frames; slow down."))
            return
        ref: Any = None
        name = ""
        try:
            frame = parse_frame(text_data)
            name, ref = frame.name, frame.ref
            await self._handle(name, frame.data, ref)
        except FrameError as exc:
            await self.send_frame(frames.error(code=exc.code, message=exc.message, ref=ref))
        except REDIS_UNREACHABLE as exc:
            logger.warning("websocket frame %r failed: Redis unreachable: %s", name, type(exc).__name__)
            await self.send_frame(frames.error(code="SERVICE_UNAVAILABLE", message=UNAVAILABLE_MESSAGE, ref=ref))
        except Exception:
            logger.exception("websocket frame failed")
            await self.send_frame(frames.error(code="INTERNAL_ERROR", message="Something went wrong.", ref=ref))

    def _handlers(self) -> dict[str, Handler]:
        return {
            "authenticate": self._authenticate,
            "heartbeat": self._heartbeat,
            "join-group": self._join_group,
            "leave-group": self._leave_group,
            "user-typing": self._user_typing,
            "resume": self._resume,
        }

    async def _handle(self, name: str, data: dict[str, Any], ref: Any) -> None:
        handler = self._handlers().get(name)
        if handler is None:
            raise FrameError("UNKNOWN_EVENT", f"Unknown event {name[:50]!r}.")
        if self.user is None and name != "authenticate":
            # The first frame of a socket without a token in its handshake must authenticate it.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await handler(data, ref)

    async def _ack(self, ref: Any) -> None:
        if ref is not None:
            await self.send_frame(frames.ack(ref=ref))

    async def _authenticate(self, data: dict[str, Any], ref: Any) -> None:
        token = data.get("token")
        if not isinstance(token, str) or not token:
            invalid("token must be a non-empty string.")
        if self.user is None:
            if not await self._start(token):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        else:
            result = await db_call(services.token_user)(token)
            if result is None:
                raise FrameError("TOKEN_INVALID", "The token is invalid or expired.")
            if str(result[0].pk) != self.user_key:
                raise FrameError("PERMISSION_DENIED", "The token belongs to another user.")
            self.claims, self.token = result[1], token
        await self._ack(ref)

    async def _resume(self, data: dict[str, Any], ref: Any) -> None:
        """Everything after the client's cursor, then the events that follow, as ``?since=`` on connect."""
        self.cursor = resume_cursor(data)
        await self._catch_up()
        await self._ack(ref)

    async def _heartbeat(self, data: dict[str, Any], ref: Any) -> None:
        self.last_heartbeat = time.monotonic()
        await sync_to_async(presence.socket_alive, thread_sensitive=False)(self.user_key, self.channel_name)
        if time.monotonic() - self.heartbeat_written >= settings.REALTIME_HEARTBEAT_WRITE_INTERVAL:
            self.heartbeat_written = time.monotonic()
            # A revocation whose message was lost is noticed here at the latest.
            if await db_call(services.token_user)(self.token) is None:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await db_call(services.session_heartbeat)(socket_id=self.channel_name)
            # And a lost wake-up: the stream kept the events.
            await self._catch_up()
        await self.send_frame(frames.heartbeat_ack(ref=ref))

    async def _join_group(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        group_id = group_id_of(data)
        if await db_call(active_membership)(group_id=group_id, user=self.user) is None:
            raise FrameError("NOT_FOUND", "Group not found.")
        room = room_group(group_id)
        await self.channel_layer.group_add(room, self.channel_name)
        self.rooms.add(room)
        members = await db_call(group_member_ids)(group_id=group_id)
        online = await sync_to_async(presence.online_user_ids, thread_sensitive=False)(members)
        await self.send_frame(frames.group_joined(group_id=group_id, online_user_ids=list(online), ref=ref))

    async def _leave_group(self, data: dict[str, Any], ref: Any) -> None:
        await self._drop_room(room_group(group_id_of(data)))
        await self._ack(ref)

    async def _drop_room(self, room: str) -> None:
        self.rooms.discard(room)
        await self.channel_layer.group_discard(room, self.channel_name)

    async def _user_typing(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        group_id = group_id_of(data)
        is_typing = data.get("isTyping")
        if not isinstance(is_typing, bool):
            invalid("isTyping must be a boolean.")
        room = room_group(group_id)
        if room not in self.rooms:
            raise FrameError("NOT_JOINED", "Join the group before typing in it.")
        if self.typing.allows(room, is_typing):
            event = frames.user_typing(
                group_id=group_id, user_id=self.user_key, username=self.user.username, is_typing=is_typing
            )
            await apublish_to_room(room, event, exclude_user=self.user_key)
        await self._ack(ref)

    # --- channel-layer messages -------------------------------------------------------

    async def stream_wakeup(self, message: Message) -> None:
        """The user's stream moved to ``cursor``: read after this socket's own cursor if it is behind."""
        if self.user is not None and message["cursor"] > self.cursor:
            await self._catch_up()
            observe_stream_lag(message.get("appended_at"))

    async def realtime_event(self, message: Message) -> None:
        """An ephemeral frame (presence, typing): forwarded unless it was for a room this socket left."""
        room = message.get("room")
        if (room is not None and room not in self.rooms) or message.get("exclude_user") == self.user_key:
            return
        await self.send_frame(message["event"])

    async def session_revoked(self, message: Message) -> None:
        """Sessions of the user ended (logout, revocation, password change): close if this socket's is one."""
        if str(self.claims.get("sid")) in message["session_ids"]:
            await self.close(code=CLOSE_UNAUTHENTICATED)
