"""``GET /api/v1/events?since=&wait=``: the event stream for clients without a socket.

The same cursors as the socket's frames, so a client can switch transport at
any time. Without ``since`` the answer comes at once, with no events and the
current cursor to start from. With ``since`` and nothing newer, the request
waits up to ``wait`` seconds subscribed to the user's channel-layer group:
a wake-up (or any message for the user) makes it read the stream after
``since`` again; nothing polls the database while it waits.

The wait is a coroutine (an async Django view, realtime.api.views) under an
ASGI server, not a worker or a thread. Each user may have at most
``EVENT_POLL_MAX_CONCURRENT`` waits at once, counted in Redis across
processes (in this process without Redis); beyond it the answer is 429 with
``Retry-After``. While Redis cannot count, waits are let through, as rate
limits are.
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from hucares.core.errors import RateLimited, ValidationFailed
from streams import cursor
from streams.publish import user_group
from streams.selectors import StreamPage

from . import presence
from .errors import REDIS_UNREACHABLE, ResyncRequired
from .protocol import read_after, read_resume
from .stores import shared_store

logger = logging.getLogger(__name__)

# While the channel layer is unreachable a waiting request reads the stream this often instead.
DEGRADED_POLL_INTERVAL = 1.0


def parse_query(*, since: str | None, wait: str | None) -> tuple[int | None, float]:
    """``since`` (a cursor, or absent) and ``wait`` (seconds, 0 to ``EVENT_POLL_MAX_WAIT``)."""
    parsed = None
    if since is not None and since != "":
        parsed = cursor.parse(since)
        if parsed is None:
            raise ValidationFailed.for_field("since", "since must be a cursor (a decimal integer).")
    seconds = 0.0
    if wait is not None and wait != "":
        try:
            seconds = float(wait)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= settings.EVENT_POLL_MAX_WAIT:
            limit = f"{settings.EVENT_POLL_MAX_WAIT:g}"
            raise ValidationFailed.for_field("wait", f"wait must be a number of seconds from 0 to {limit}.")
    return parsed, seconds


# --- at most EVENT_POLL_MAX_CONCURRENT waits per user -----------------------------------


class _LocalWaits:
    """The count of this process, for the embedded default (one process, no Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def enter(self, user_id: str) -> int:
        with self._lock:
            self._counts[user_id] = self._counts.get(user_id, 0) + 1
            return self._counts[user_id]

    def leave(self, user_id: str) -> None:
        with self._lock:
            self._counts[user_id] = self._counts.get(user_id, 1) - 1
            if self._counts[user_id] <= 0:
                del self._counts[user_id]


class _RedisWaits:
    """A counter per user; it expires after the longest wait, so a process that died holding waits
    does not keep them counted."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix

    def _key(self, user_id: str) -> str:
        return f"{self.prefix}:longpolls:{user_id}"

    def enter(self, user_id: str) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(self._key(user_id))
        pipe.expire(self._key(user_id), int(settings.EVENT_POLL_MAX_WAIT) + 10)
        return int(pipe.execute()[0])

    def leave(self, user_id: str) -> None:
        self.client.decr(self._key(user_id))


def _counter() -> "_LocalWaits | _RedisWaits":
    return shared_store("longpoll-waits", _make_counter)


def _make_counter(redis_url: str, prefix: str) -> "_LocalWaits | _RedisWaits":
    return _RedisWaits(redis_url, prefix) if redis_url else _LocalWaits()


def _enter(user_id: str) -> bool:
    """Count a wait; ``False`` (and not counted) when the user already has the most allowed."""
    counter = _counter()
    try:
        if counter.enter(user_id) <= settings.EVENT_POLL_MAX_CONCURRENT:
            return True
        counter.leave(user_id)
        return False
    except REDIS_UNREACHABLE as exc:
        logger.warning("long-poll waits not counted, Redis unreachable: %s", type(exc).__name__)
        return True


def _leave(user_id: str) -> None:
    try:
        _counter().leave(user_id)
    except REDIS_UNREACHABLE:
        logger.warning("long-poll wait left uncounted; its counter expires by itself")


@contextlib.asynccontextmanager
async def counted_wait(user_id: UUID | str) -> AsyncIterator[None]:
    """Hold one of the user's concurrent waits, or raise ``RateLimited`` (with ``Retry-After``)."""
    key = str(user_id)
    if not await sync_to_async(_enter, thread_sensitive=False)(key):
        raise RateLimited(
            f"At most {settings.EVENT_POLL_MAX_CONCURRENT} waiting requests per user.",
            headers={"Retry-After": str(int(settings.EVENT_POLL_RETRY_AFTER))},
        )
    try:
        yield
    finally:
        await sync_to_async(_leave, thread_sensitive=False)(key)


# --- the wait ------------------------------------------------------------------------------


async def events_wait(*, user_id: UUID | str, since: int | None, wait: float) -> StreamPage:
    """The user's events after ``since``, waiting up to ``wait`` seconds for the first one."""
    if since is None or wait <= 0:
        return await read_resume(user_id, since)
    async with counted_wait(user_id):
        return await _wait(user_id, since, time.monotonic() + wait)


async def _wait(user_id: UUID | str, since: int, deadline: float) -> StreamPage:
    layer = get_channel_layer()
    channel = None
    try:
        if layer is not None:
            channel = await layer.new_channel("longpoll.")
            # Present as a socket is (without the user-online a socket announces).
            await sync_to_async(presence.socket_connected, thread_sensitive=False)(user_id, channel)
            await layer.group_add(user_group(user_id), channel)
    except Exception as exc:  # noqa: BLE001 - a broken layer degrades to reading the stream now and then
        logger.warning("long-poll without wake-ups: %s: %s", type(exc).__name__, exc)
        layer = None
    try:
        # Read only once subscribed: an event committed before is found here, one after wakes the wait.
        page = await read_after(user_id, since)
        while not page.events and not page.resync and (remaining := deadline - time.monotonic()) > 0:
            layer = await _woken(layer, channel, remaining)
            page = await read_after(user_id, since)
        return page
    finally:
        if channel is not None:
            await _unsubscribe(layer or get_channel_layer(), user_id, channel)


async def _woken(layer: Any, channel: str | None, remaining: float) -> Any:
    """Return at the next message for the user, or at the deadline; the layer, or ``None`` once it failed
    (then the wait reads the stream every ``DEGRADED_POLL_INTERVAL`` seconds until the deadline)."""
    if layer is None or channel is None:
        await asyncio.sleep(min(remaining, DEGRADED_POLL_INTERVAL))
        return None
    try:
        async with asyncio.timeout(remaining):
            await layer.receive(channel)
    except TimeoutError:
        pass
    except Exception as exc:  # noqa: BLE001 - as in _wait
        logger.warning("long-poll lost its wake-ups: %s: %s", type(exc).__name__, exc)
        return None
    return layer


async def _unsubscribe(layer: Any, user_id: UUID | str, channel: str) -> None:
    try:
        await sync_to_async(presence.socket_gone, thread_sensitive=False)(user_id, channel)
        async with asyncio.timeout(settings.REALTIME_PUBLISH_TIMEOUT):
            await layer.group_discard(user_group(user_id), channel)
    except Exception:  # the presence entry and the group entry lapse by themselves
        logger.warning("long-poll left late", exc_info=True)


def page_data(page: StreamPage) -> dict[str, Any]:
    """The ``data`` of the answer; raises ``RESYNC_REQUIRED`` for a page that needs a refetch."""
    if page.resync:
        raise ResyncRequired(details={"cursor": str(page.cursor)})
    return {"events": page.events, "cursor": str(page.cursor)}
