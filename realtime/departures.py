"""Closed sockets, handled in batches: one flush for many departures instead of one trip each.

A socket that closes hands ``(user, socket)`` to this process's batcher
(:func:`depart`) and waits for the flush that takes it. A flush starts
``REALTIME_DEPARTURE_INTERVAL`` after the first departure it finds waiting
and takes up to ``REALTIME_DEPARTURE_BATCH`` of them in one trip to a
thread (:func:`realtime.services.sockets_left`: one DELETE of their rows,
presence in one Redis round trip, one co-member query for the users who went
offline), then sends the ``user-offline`` announcements in one batch. One
flush runs at a time per event loop; departures that arrive meanwhile wait
for the next, which starts as soon as it ends. So a mass disconnect (a
proxy restart, a network blip, heartbeats lapsing together) costs a few
queries instead of a few per socket, and the database sees at most one
flush of each server process at a time.

Nothing is lost by a socket that stops waiting: a departure stays queued
until a flush has taken it, and whatever is still queued when the process
exits is flushed then (:func:`flush_at_exit`). A process killed outright
leaves its rows to the periodic sweep (``services.sessions_sweep_stale``),
and its presence lapses after ``REALTIME_PRESENCE_TTL``.
"""

import asyncio
import atexit
import logging
import threading
import weakref
from dataclasses import dataclass, field

from django.conf import settings

from streams.publish import Send, abroadcast

from . import services
from .db import db_call
from .errors import REDIS_UNREACHABLE

logger = logging.getLogger(__name__)

Departure = tuple[str, str]  # (user id, socket id)


@dataclass
class _Waiting:
    departure: Departure
    done: asyncio.Future[None]


@dataclass
class Batcher:
    """The departures of one event loop (the server's; each test has its own), used on that loop only.

    It keeps no reference to its loop, which keys it weakly (:func:`batcher`).
    """

    waiting: list[_Waiting] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    flushing: asyncio.Task[None] | None = None

    def add(self, departure: Departure) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        entry = _Waiting(departure, loop.create_future())
        self.waiting.append(entry)
        if self.flushing is None and self.timer is None:
            self.timer = loop.call_later(settings.REALTIME_DEPARTURE_INTERVAL, self._start)
        return entry.done

    def _start(self) -> None:
        self.timer = None
        if self.flushing is None and self.waiting:
            self.flushing = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.waiting:
                cap = max(1, int(settings.REALTIME_DEPARTURE_BATCH))
                batch, self.waiting = self.waiting[:cap], self.waiting[cap:]
                try:
                    await flush([entry.departure for entry in batch])
                finally:
                    for entry in batch:
                        if not entry.done.done():
                            entry.done.set_result(None)
        finally:
            self.flushing = None

    def take_all(self) -> list[Departure]:
        """Everything still waiting, for the flush at exit."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        taken, self.waiting = [entry.departure for entry in self.waiting], []
        return taken


_lock = threading.Lock()
_batchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batcher]" = weakref.WeakKeyDictionary()
_exit_hook = False


def batcher() -> Batcher:
    """The running loop's batcher, made on first use."""
    global _exit_hook
    loop = asyncio.get_running_loop()
    with _lock:
        found = _batchers.get(loop)
        if found is None:
            found = _batchers[loop] = Batcher()
        if not _exit_hook:
            atexit.register(flush_at_exit)
            _exit_hook = True
        return found


def depart(*, user_id: str, socket_id: str) -> "asyncio.Future[None]":
    """Queue a closed socket; await the result to wait until a flush has dropped its row and presence.

    Queued at once, before the caller's next await. Never raises for the
    flush's sake (a failed flush is logged). A caller cancelled while
    waiting leaves the departure queued.
    """
    return asyncio.shield(batcher().add((user_id, socket_id)))


async def flush(departures: list[Departure]) -> None:
    """Drop the departures' rows and presence in one trip to a thread, then announce who went offline."""
    try:
        sends: list[Send] = await db_call(services.sockets_left)(departures)
    except REDIS_UNREACHABLE as exc:
        logger.warning("presence of %d closed socket(s) left to expire: %s", len(departures), type(exc).__name__)
        return
    except Exception:
        # The sweep deletes the rows later; presence lapses on its own.
        logger.exception("flushing %d closed socket(s) failed", len(departures))
        return
    await abroadcast(sends)


def flush_at_exit() -> None:
    """Flush what every loop still has queued as the process exits (atexit: the loops have stopped).

    In this thread: at exit no new thread can be started, and no loop runs
    here, so the ORM may be called directly.
    """
    with _lock:
        departures = [departure for found in list(_batchers.values()) for departure in found.take_all()]
    cap = max(1, int(settings.REALTIME_DEPARTURE_BATCH))
    for start in range(0, len(departures), cap):
        chunk = departures[start : start + cap]
        try:
            sends = services.sockets_left(chunk)
            asyncio.run(abroadcast(sends))
        except Exception:
            logger.exception("flushing %d closed socket(s) at exit failed", len(chunk))
    if departures:
        logger.info("flushed %d closed socket(s) at exit", len(departures))
