"""The one way messages leave this process for the channel layer: ``(group, message)`` pairs.

Stream appends publish a wake-up per user after commit (:func:`wakeup`):
"this user's stream is at cursor N"; never the frame, which every transport
reads from the stream after its own cursor. The transport publishes its own
ephemeral messages (presence, typing, room control) the same way.

:func:`send_soon` (sync callers: on-commit callbacks, Celery tasks) hands a
batch to this process's publisher loop and returns at once: no request
waits for live delivery. :func:`abroadcast` (async callers) awaits the
send. Both are bounded by ``REALTIME_PUBLISH_TIMEOUT``, never raise, and
count what the layer did not take in ``live_events_lost_total``; a lost
wake-up costs only latency, as the reader's next read catches up. Both hand
the batch to :func:`deliver`, the only function that touches the layer.

The publisher loop is one event loop per process in a daemon thread,
started lazily (again after a fork): the Redis layers keep their
connections per loop, so one loop keeps them warm. The in-memory layer of
the embedded default only delivers on the loop its sockets run on, so for
it the send runs through ``async_to_sync`` (on the server's loop when called
from one of its threads), which is immediate.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from .metrics import LIVE_EVENTS_LOST

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Send = tuple[str, Message]

# Handled by the consumer's ``stream_wakeup``; any message wakes a waiting long-poll.
WAKEUP_MESSAGE_TYPE = "stream.wakeup"

# The channel-layer alias publishing goes through when configured (settings:
# a second instance of the Redis layer, so that sockets subscribing never
# wait behind a fan-out); else the default layer, as the in-memory layer of
# the embedded default must be the sockets' own instance.
BROADCAST_LAYER = "broadcast"


async def deliver(sends: list[Send]) -> None:
    """Send each ``(group, message)`` to the channel layer, each group's in the order given; may raise or hang.

    The groups are sent to at once, not one after another. The publisher loop
    shares its process with a worker that goes on serving requests, and each
    awaited round trip to Redis waits for that worker to let go of the GIL:
    one after another, a check-in's wake-ups to twenty members queued twenty
    such waits before the last left. A group's own messages keep their order.
    """
    layer = get_channel_layer(BROADCAST_LAYER if BROADCAST_LAYER in settings.CHANNEL_LAYERS else DEFAULT_CHANNEL_LAYER)
    if layer is None:
        return
    by_group: dict[str, list[Message]] = {}
    for group, message in sends:
        by_group.setdefault(group, []).append(message)

    async def in_order(group: str, messages: list[Message]) -> None:
        for message in messages:
            await layer.group_send(group, message)

    await asyncio.gather(*(in_order(group, messages) for group, messages in by_group.items()))


def _describe(batch: list[Send]) -> str:
    return f"{len(batch)} message(s) to {batch[0][0]}" + (" and others" if len(batch) > 1 else "")


async def abroadcast(sends: Iterable[Send]) -> bool:
    """Deliver a batch from async code; ``True`` when the layer took all of it. Bounded, never raises."""
    batch = list(sends)
    if not batch:
        return True
    timeout = settings.REALTIME_PUBLISH_TIMEOUT
    try:
        # Not ``wait_for``: on Python 3.11 it runs the send as a task of its own.
        async with asyncio.timeout(timeout):
            await deliver(batch)
    except TimeoutError:
        logger.warning("live event lost: %s timed out after %.2fs", _describe(batch), timeout)
        LIVE_EVENTS_LOST.inc(len(batch))
        return False
    except Exception as exc:  # noqa: BLE001 - a broken layer must never reach the caller
        logger.warning("live event lost: %s failed: %s: %s", _describe(batch), type(exc).__name__, exc)
        LIVE_EVENTS_LOST.inc(len(batch))
        return False
    return True


# Batches handed to the publisher loop and not yet sent; past this many the
# layer is not keeping up, and more would only queue memory: drop them.
MAX_PENDING_BATCHES = 1000


def send_soon(sends: Iterable[Send]) -> None:
    """Hand a batch to the publisher loop and return without waiting (module docstring). Never raises."""
    batch = list(sends)
    if not batch:
        return
    if isinstance(get_channel_layer(DEFAULT_CHANNEL_LAYER), InMemoryChannelLayer):
        async_to_sync(abroadcast)(batch)
        return
    if not _publisher.submit(batch):
        logger.warning("live event lost: %s: too many publishes pending", _describe(batch))
        LIVE_EVENTS_LOST.inc(len(batch))


def user_group(user_id: UUID | str) -> str:
    """The channel-layer group of one user's listeners (sockets and waiting long-polls)."""
    return f"user.{user_id}"


def wakeup(user_id: UUID | str, *, cursor: int, appended_at: float) -> Send:
    """ "``user_id``'s stream is at ``cursor``": a listener behind it reads the stream after its own cursor.

    ``appended_at`` (a Unix time) is when the events were appended, for the lag the sockets record.
    """
    return user_group(user_id), {"type": WAKEUP_MESSAGE_TYPE, "cursor": cursor, "appended_at": appended_at}


Batches = asyncio.Queue[list[Send]]


class _PublisherLoop:
    """One event loop per process, in a daemon thread, for every sync publish (module docstring).

    Batches are sent one after another, in the order handed in, by one task:
    each batch's timeout then bounds its own sends, not its wait behind
    others, and a user's messages leave in the order their commits did.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: Batches | None = None
        self._pid: int | None = None
        self._pending = 0

    def reserve(self) -> bool:
        with self._lock:
            if self._pending >= MAX_PENDING_BATCHES:
                return False
            self._pending += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._pending -= 1

    def submit(self, batch: list[Send]) -> bool:
        """Queue a batch for the sender task; ``False`` (not queued) past ``MAX_PENDING_BATCHES``."""
        if not self.reserve():
            return False
        loop = self.loop()
        assert self._queue is not None
        loop.call_soon_threadsafe(self._queue.put_nowait, batch)
        return True

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked worker inherits the object but not the thread: start anew.
            if self._loop is None or self._pid != os.getpid() or not self._loop.is_running():
                self._loop = asyncio.new_event_loop()
                self._queue = asyncio.Queue()
                self._pid = os.getpid()
                started = threading.Event()
                threading.Thread(
                    target=self._run, args=(self._loop, self._queue, started), name="publisher", daemon=True
                ).start()
                started.wait()
            return self._loop

    def _run(self, loop: asyncio.AbstractEventLoop, queue: "Batches", started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.create_task(self._send_in_order(queue))
        loop.call_soon(started.set)
        loop.run_forever()

    async def _send_in_order(self, queue: "Batches") -> None:
        while True:
            batch = await queue.get()
            try:
                await abroadcast(batch)
            finally:
                self.release()


_publisher = _PublisherLoop()
