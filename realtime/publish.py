"""Publishing live events to the channel layer from synchronous code.

Callers are on-commit receivers and Celery tasks, never code inside a
transaction. Publishing never raises: a failing or hung channel layer costs
the caller at most ``REALTIME_PUBLISH_TIMEOUT`` seconds and a log line, and
the event is lost.

``async_to_sync(layer.group_send)`` starts a fresh event loop in a fresh
thread on every call, and the Redis layers keep their connection pools per
event loop, so every publish would also open a new Redis connection. Instead
each process keeps one publisher loop in a daemon thread, started lazily (after
a fork), and hands coroutines to it; the layer's connections stay warm there.
Code running in a sync thread of an ASGI server uses the server's loop
instead. The measured difference is in the README.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, cast
from uuid import UUID

from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer
from django.conf import settings

from .layers import PubSubChannelLayer

logger = logging.getLogger(__name__)

EVENT_MESSAGE_TYPE = "realtime.event"
CONTROL_MESSAGE_TYPE = "realtime.control"

Message = dict[str, Any]


def user_group(user_id: UUID | str) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def room_group(group_id: UUID | str) -> str:
    """The channel-layer group of a HuCares group's room."""
    return f"group.{group_id}"


def event_message(event: dict[str, Any], *, room: str | None = None, exclude_user: str | None = None) -> Message:
    """Wrap a built event for the consumer's ``realtime_event`` handler."""
    return {"type": EVENT_MESSAGE_TYPE, "event": event, "room": room, "exclude_user": exclude_user}


class _PublisherLoop:
    """One event loop per process, in a daemon thread, for every sync publish."""

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


async def _send_all(sends: list[tuple[str, Message]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, PubSubChannelLayer):
        # One round trip per shard instead of one locked round trip per message.
        await layer.group_send_many(sends)
        return
    await asyncio.gather(*(layer.group_send(group, message) for group, message in sends))


def _target_loop() -> asyncio.AbstractEventLoop:
    """The server's own loop when called from its sync threads (ASGI), else the publisher loop.

    Under daphne, sync views and consumer database calls run in threads
    started by ``sync_to_async``; their loop holds warm layer connections,
    and the in-memory layer of the embedded default only works from it.
    Under gunicorn (WSGI) and Celery there is no such loop.
    """
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    same_process = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
    if loop is not None and same_process and loop.is_running():
        return cast(asyncio.AbstractEventLoop, loop)
    return _publisher.loop()


def _run_bounded(awaitable: Awaitable[None], description: str) -> bool:
    timeout = settings.REALTIME_PUBLISH_TIMEOUT
    future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(awaitable, timeout), _target_loop())
    try:
        # A little slack over the loop's own timeout so that wait_for, not
        # this wait, reports a hung layer and cancels the send.
        future.result(timeout + 0.5)
    except (TimeoutError, FutureTimeout):
        future.cancel()
        logger.warning("live event lost: %s timed out after %.2fs", description, timeout)
        return False
    except Exception as exc:  # noqa: BLE001 - a broken layer must never reach the caller
        logger.warning("live event lost: %s failed: %s: %s", description, type(exc).__name__, exc)
        return False
    return True


def publish_many(sends: Iterable[tuple[str, Message]]) -> bool:
    """Send each ``(group, message)`` concurrently; ``True`` when all were handed to the layer."""
    batch = list(sends)
    if not batch:
        return True
    description = f"{len(batch)} message(s) to {batch[0][0]}" + (" and others" if len(batch) > 1 else "")
    return _run_bounded(_send_all(batch), description)


def publish_to_users(user_ids: Iterable[UUID | str], event: dict[str, Any]) -> bool:
    """The same event to the personal stream of each user."""
    message = event_message(event)
    return publish_many((user_group(user_id), message) for user_id in user_ids)


def publish_to_user(user_id: UUID | str, event: dict[str, Any]) -> bool:
    return publish_to_users([user_id], event)


def publish_to_room(group_id: UUID | str, event: dict[str, Any], *, exclude_user: str | None = None) -> bool:
    """An event to the sockets that joined a group's room."""
    room = room_group(group_id)
    return publish_many([(room, event_message(event, room=room, exclude_user=exclude_user))])


def send_leave_room(user_id: UUID | str, group_id: UUID | str, *, event: dict[str, Any] | None = None) -> bool:
    """Make every socket of a user drop a room at once (removed or banned member).

    ``event``, if given, is delivered to those sockets after they left, so
    the client learns why.
    """
    message = {"type": CONTROL_MESSAGE_TYPE, "action": "leave-room", "room": room_group(group_id), "event": event}
    return publish_many([(user_group(user_id), message)])


async def apublish_many(sends: Iterable[tuple[str, Message]]) -> bool:
    """The async form of :func:`publish_many`, for the consumer: bounded, never raises."""
    batch = list(sends)
    if not batch:
        return True
    try:
        # Not ``wait_for``: on Python 3.11 it runs the send as a task of its own.
        async with asyncio.timeout(settings.REALTIME_PUBLISH_TIMEOUT):
            await _send_all(batch)
    except Exception as exc:  # noqa: BLE001 - a broken layer must never reach the socket
        logger.warning("live event lost: %d message(s) to %s: %s", len(batch), batch[0][0], type(exc).__name__)
        return False
    return True
