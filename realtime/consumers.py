"""The ``/ws/`` socket: authenticate, check membership, forward (the wire protocol: docs/asyncapi.yaml).

The consumer is glue between the socket, the channel layer and the
protocol's steps, plain functions in :mod:`realtime.protocol`. A bad frame,
or one that needs Redis while it is unreachable, gets an ``error`` frame and
the socket stays open. Stream events arrive as wake-ups ("your stream is at
cursor N"): the socket reads its user's stream after the last cursor it
delivered and sends what it finds, in order. Connect with ``?since=``,
``resume``, a wake-up and the heartbeat's catch-up all make that one read;
messages reach a consumer one at a time, so there is nothing to reconcile.
"""

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.models import User
from groups.selectors import active_membership, group_member_ids
from streams.publish import Message, user_group
from streams.selectors import StreamPage

from . import arrivals, departures, frames, presence, protocol, services
from .db import db_call
from .errors import REDIS_UNREACHABLE
from .metrics import observe_stream_lag
from .protocol import CLOSE_UNAUTHENTICATED, FrameError
from .publish import apublish_to_room, apublish_to_users, room_group

logger = logging.getLogger(__name__)


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
        self.typing = protocol.TypingThrottle()
        self.budget = protocol.FrameBudget(settings.REALTIME_FRAME_RATE, settings.REALTIME_FRAME_BURST)
        self.opened_at = self.last_heartbeat = self.heartbeat_written = time.monotonic()
        self.watchdog: asyncio.TimerHandle | None = None
        self.closing: asyncio.Future[None] | None = None
        await self.accept(subprotocol=protocol.subprotocol(self.scope))
        token = self.scope.get("token")
        if token is not None and not await self._start(token):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self._watch()

    async def _start(self, token: str) -> bool:
        """Authenticate with ``token`` (token, socket row and presence in one trip to a thread), subscribe,
        then read the stream: an event committed after the read wakes the socket, one before is in it."""
        await arrivals.turn()  # paced per process: a reconnect storm is spread out (realtime/arrivals.py)
        opened = await protocol.socket_open(token=token, socket_id=self.channel_name, scope=self.scope)
        if opened is None:
            return False
        self.user, self.claims, self.token, self.user_key = opened.user, opened.claims, token, str(opened.user.pk)
        self.last_heartbeat = time.monotonic()
        group = user_group(self.user_key)
        await self.channel_layer.group_add(group, self.channel_name)
        self.subscribed.append(group)
        since = protocol.url_since(self.scope)
        page = await protocol.read_resume(self.user_key, since)
        await self.send_frame(frames.connected(user_id=self.user_key, session_id=opened.session.pk, cursor=page.cursor))
        self.cursor = page.cursor if since is None else since
        await self._deliver(page)
        await apublish_to_users(opened.audience, frames.user_online(user_id=self.user_key))
        return True

    async def _deliver(self, page: StreamPage) -> None:
        """Send a page read after ``self.cursor`` (or ``resync-required``) and move the cursor past it."""
        for frame in protocol.page_frames(page):
            await self.send_frame(frame)
            room = protocol.leaves_room(frame, self.user_key)
            if room is not None:
                await self._drop_room(room_group(room))
        self.cursor = protocol.cursor_after(self.cursor, page)

    async def _catch_up(self) -> None:
        await self._deliver(await protocol.read_after(self.user_key, self.cursor))

    def _watch(self) -> None:
        """Close the socket at the first deadline (authentication, token expiry, heartbeat). A timer, not a task
        per socket (which costs memory for as long as the socket lives); when it fires it checks the deadlines
        again, since a heartbeat or a new token may have moved them."""
        now = time.monotonic()
        deadline, code = protocol.next_deadline(
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
        """Queue the socket for the process's flush of closed sockets after the offline grace
        (:mod:`realtime.departures`: its row, presence, ``user-offline`` when it was the user's last) and
        leave the groups."""
        watchdog: asyncio.TimerHandle | None = getattr(self, "watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        if self.user is not None:
            departures.depart(user_id=self.user_key, socket_id=self.channel_name)
        try:
            for group in [*getattr(self, "rooms", ()), *getattr(self, "subscribed", ())]:
                await self.channel_layer.group_discard(group, self.channel_name)
        except REDIS_UNREACHABLE as exc:
            logger.warning("socket closed while Redis is unreachable: %s", type(exc).__name__)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=frames.encode(frame))

    # --- client frames ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        refusal = protocol.admit(self.budget, text_data, bytes_data)
        if refusal is not None:
            await (self.close(code=refusal) if isinstance(refusal, int) else self.send_frame(refusal))
            return
        ref: Any = None
        name = ""
        try:
            frame = protocol.parse_frame(text_data)
            name, ref = frame.name, frame.ref
            await self._handle(name, frame.data, ref)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error frame (protocol.failure_frame)
            await self.send_frame(protocol.failure_frame(exc, name=name, ref=ref, log=logger))

    async def _handle(self, name: str, data: dict[str, Any], ref: Any) -> None:
        handlers = {
            "authenticate": self._authenticate,
            "heartbeat": self._heartbeat,
            "join-group": self._join_group,
            "leave-group": self._leave_group,
            "user-typing": self._user_typing,
            "resume": self._resume,
        }
        handler = handlers.get(name)
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
        token = protocol.token_of(data)
        if self.user is None:
            if not await self._start(token):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
        else:
            self.claims = protocol.claims_for(await db_call(services.token_user)(token), self.user_key)
            self.token = token
        await self._ack(ref)

    async def _resume(self, data: dict[str, Any], ref: Any) -> None:
        """Everything after the client's cursor, then the events that follow, as ``?since=`` on connect."""
        self.cursor = protocol.resume_cursor(data)
        await self._catch_up()
        await self._ack(ref)

    async def _heartbeat(self, data: dict[str, Any], ref: Any) -> None:
        self.last_heartbeat = time.monotonic()
        await sync_to_async(presence.socket_alive, thread_sensitive=False)(self.user_key, self.channel_name)
        if protocol.heartbeat_write_due(self.heartbeat_written):
            self.heartbeat_written = time.monotonic()
            if not await protocol.heartbeat_write(token=self.token, socket_id=self.channel_name):
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            # And a lost wake-up: the stream kept the events.
            await self._catch_up()
        await self.send_frame(frames.heartbeat_ack(ref=ref))

    async def _join_group(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        group_id = protocol.group_id_of(data)
        if await db_call(active_membership)(group_id=group_id, user=self.user) is None:
            raise FrameError("NOT_FOUND", "Group not found.")
        room = room_group(group_id)
        await self.channel_layer.group_add(room, self.channel_name)
        self.rooms.add(room)
        members = await db_call(group_member_ids)(group_id=group_id)
        online = await sync_to_async(presence.online_user_ids, thread_sensitive=False)(members)
        await self.send_frame(frames.group_joined(group_id=group_id, online_user_ids=list(online), ref=ref))

    async def _leave_group(self, data: dict[str, Any], ref: Any) -> None:
        await self._drop_room(room_group(protocol.group_id_of(data)))
        await self._ack(ref)

    async def _drop_room(self, room: str) -> None:
        self.rooms.discard(room)
        await self.channel_layer.group_discard(room, self.channel_name)

    async def _user_typing(self, data: dict[str, Any], ref: Any) -> None:
        assert self.user is not None
        group_id, is_typing = protocol.typing_of(data)
        room = room_group(group_id)
        if room not in self.rooms:
            raise FrameError("NOT_JOINED", "Join the group before typing in it.")
        if self.typing.allows(room, is_typing):
            name = self.user.username
            event = frames.user_typing(group_id=group_id, user_id=self.user_key, username=name, is_typing=is_typing)
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
        if protocol.forwards(message, self.rooms, self.user_key):
            await self.send_frame(message["event"])

    async def session_revoked(self, message: Message) -> None:
        """Sessions of the user ended (logout, revocation, password change): close if this socket's is one."""
        if str(self.claims.get("sid")) in message["session_ids"]:
            await self.close(code=CLOSE_UNAUTHENTICATED)
