"""Closed sockets, handled late and in batches: a socket that comes back soon costs nothing, many
departures cost one flush.

A socket that closes hands ``(user, socket)`` to this process's batcher
(:func:`depart`) and goes. The departure counts as still there for
``REALTIME_OFFLINE_GRACE`` seconds: a socket of the same user that connects
meanwhile is not announced ``user-online`` (:mod:`realtime.presence`), and
the flush that follows finds it and announces nothing. So a phone that
changes networks, or a thousand sockets dropped by a restarted proxy that
come straight back, cost neither ``user-offline`` nor ``user-online`` to
anyone. The grace is Socket.IO's "connection state recovery" window.

A flush starts ``REALTIME_DEPARTURE_INTERVAL`` after the first departure
becomes due and takes up to ``REALTIME_DEPARTURE_BATCH`` of those due, in one
trip to a thread (:func:`realtime.services.sockets_left`: one DELETE of their
rows, presence in one Redis round trip, one co-member query for the users
who went offline), then sends the ``user-offline`` announcements in one
batch. One flush runs at a time per event loop; departures that become due
meanwhile wait for the next, which starts as soon as it ends. So a mass
disconnect costs a few queries instead of a few per socket, and the
database sees at most one flush of each server process at a time.

Nothing is lost: a departure stays queued until a flush has taken it, and
whatever is still queued when the process exits is flushed then, due or not
(:func:`flush_at_exit`). A process killed outright leaves its rows to the
periodic sweep (``services.sessions_sweep_stale``), and its presence lapses
after ``REALTIME_PRESENCE_TTL``.
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
    due: float  # the loop's time when the grace ends
    done: asyncio.Future[None]


@dataclass
class Batcher:
    """The departures of one event loop (the server's; each test has its own), used on that loop only.

    ``waiting`` is in order of arrival, so also of ``due``. It keeps no
    reference to its loop, which keys it weakly (:func:`batcher`).
    """

    waiting: list[_Waiting] = field(default_factory=list)
    flushing_now: list[_Waiting] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    flushing: asyncio.Task[None] | None = None

    def add(self, departure: Departure) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        entry = _Waiting(departure, loop.time() + max(0.0, settings.REALTIME_OFFLINE_GRACE), loop.create_future())
        self.waiting.append(entry)
        if self.flushing is None and self.timer is None:
            self._schedule()
        return entry.done

    def _schedule(self) -> None:
        """Start a flush ``REALTIME_DEPARTURE_INTERVAL`` after the first waiting departure is due."""
        loop = asyncio.get_running_loop()
        delay = self.waiting[0].due - loop.time() + settings.REALTIME_DEPARTURE_INTERVAL
        self.timer = loop.call_later(max(0.0, delay), self._start)

    def _start(self) -> None:
        self.timer = None
        if self.flushing is None and self.waiting:
            self.flushing = asyncio.get_running_loop().create_task(self._drain())

    def _take_due(self) -> list[_Waiting]:
        now = asyncio.get_running_loop().time()
        cap = max(1, int(settings.REALTIME_DEPARTURE_BATCH))
        count = 0
        while count < min(cap, len(self.waiting)) and self.waiting[count].due <= now:
            count += 1
        batch, self.waiting = self.waiting[:count], self.waiting[count:]
        return batch

    async def _drain(self) -> None:
        try:
            while batch := self._take_due():
                self.flushing_now = batch
                try:
                    await flush([entry.departure for entry in batch])
                finally:
                    self.flushing_now = []
                    for entry in batch:
                        if not entry.done.done():
                            entry.done.set_result(None)
        finally:
            self.flushing = None
            if self.waiting and self.timer is None:
                self._schedule()

    def pending(self) -> list[asyncio.Future[None]]:
        """What is queued or being flushed now."""
        return [entry.done for entry in [*self.flushing_now, *self.waiting]]

    def take_all(self) -> list[Departure]:
        """Everything still waiting, due or not, for the flush at exit."""
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
    """Queue a closed socket; the result is done once a flush, after the grace, has dropped its row and presence.

    Queued at once, before the caller's next await. A closing socket does
    not wait for it (it would be held for the whole grace). Never raises for
    the flush's sake (a failed flush is logged). Cancelling the result
    leaves the departure queued.
    """
    return asyncio.shield(batcher().add((user_id, socket_id)))


async def settled() -> None:
    """Wait until every departure queued on this loop so far has been flushed."""
    await asyncio.gather(*batcher().pending())


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
