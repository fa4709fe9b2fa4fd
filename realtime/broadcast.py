"""The one way live events leave this process: ``(group, message)`` pairs to the channel layer.

Everything that publishes goes through :func:`broadcast` (sync callers:
on-commit receivers, Celery tasks) or :func:`abroadcast` (the consumer).
Both are bounded by ``REALTIME_PUBLISH_TIMEOUT`` and never raise: a failing
or hung channel layer costs the caller at most that long and a log line, and
the event is lost for live delivery (counted in ``live_events_lost_total``,
one per message). Both hand the batch to :func:`deliver`,
the only function that touches the layer, which is the one tests replace to
see what would have been sent.

Sync callers publish from one event loop per process, in a daemon thread,
started lazily (again after a fork). ``async_to_sync`` would start a fresh
loop for every call, and the Redis layers keep their connections per loop, so
every publish would open a new Redis connection; the publisher loop keeps
them warm. The in-memory layer of the embedded default only delivers on the
loop its sockets run on, so for it sync callers use ``async_to_sync``, which
runs the send on the server's loop when called from one of its sync threads.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from .metrics import LIVE_EVENTS_LOST

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Send = tuple[str, Message]

# The channel-layer alias publishing goes through when configured (settings:
# a second instance of the Redis layer, so that sockets subscribing never
# wait behind a fan-out); else the default layer, as the in-memory layer of
# the embedded default must be the sockets' own instance.
BROADCAST_LAYER = "broadcast"


async def deliver(sends: list[Send]) -> None:
    """Send each ``(group, message)`` to the channel layer, in the order given; may raise or hang.

    The one function tests patch to record what is sent instead of sending it.
    """
    layer = get_channel_layer(BROADCAST_LAYER if BROADCAST_LAYER in settings.CHANNEL_LAYERS else DEFAULT_CHANNEL_LAYER)
    if layer is None:
        return
    for group, message in sends:
        await layer.group_send(group, message)


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


def broadcast(sends: Iterable[Send]) -> bool:
    """Deliver a batch from sync code (no running event loop in this thread); as :func:`abroadcast`."""
    batch = list(sends)
    if not batch:
        return True
    if isinstance(get_channel_layer(DEFAULT_CHANNEL_LAYER), InMemoryChannelLayer):
        return bool(async_to_sync(abroadcast)(batch))
    future = asyncio.run_coroutine_threadsafe(abroadcast(batch), _publisher.loop())
    try:
        # abroadcast bounds itself; the slack only covers a publisher loop that stopped answering.
        return bool(future.result(settings.REALTIME_PUBLISH_TIMEOUT + 1.0))
    except FutureTimeout:
        future.cancel()
        logger.warning("live event lost: %s: the publisher loop did not answer", _describe(batch))
        LIVE_EVENTS_LOST.inc(len(batch))
        return False


class _PublisherLoop:
    """One event loop per process, in a daemon thread, for every sync publish (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked worker inherits the object but not the thread: start anew.
            if self._loop is None or self._pid != os.getpid() or not self._loop.is_running():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                started = threading.Event()
                threading.Thread(
                    target=self._run, args=(self._loop, started), name="realtime-publisher", daemon=True
                ).start()
                started.wait()
            return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()


_publisher = _PublisherLoop()
