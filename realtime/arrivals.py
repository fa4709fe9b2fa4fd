"""Handshakes paced per process: a reconnect storm is spread out instead of taking every core.

A handshake (token check, socket row, presence, co-members, the stream read,
``user-online``) costs a daphne 7 to 11 ms of CPU (``bench/ws_handshake_cpu.py``),
twelve to twenty times a closed socket's share of a flush
(``bench/ws_disconnect_cpu.py``). When a proxy restart or a network blip
drops every socket, the web SDK brings them back within 5 s; 1,000
handshakes in 5 s would want more than two cores for daphne alone, and the
HTTP API on the same machine would wait behind them.

So each process starts at most ``REALTIME_HANDSHAKE_RATE`` handshakes a
second (bursts of ``REALTIME_HANDSHAKE_BURST`` at once). A handshake over
the rate waits its turn, in order of arrival, with its socket open: the
``connected`` frame comes later, nothing is refused, and a storm of
reconnects takes longer instead. A socket that opens alone never waits.
``REALTIME_HANDSHAKE_RATE = 0`` turns the pacing off.

This paces only the app's share. Behind the shipped nginx, new sockets
already wait there (``NGINX_WS_HANDSHAKE_RATE``, all clients together):
the burst of connections itself (upgrade, framing, middleware) costs a
daphne as much as the app's work, and only a queue in front of it spreads
that out (docs/operations.md, "Mass disconnects").
"""

import asyncio
import threading
import weakref

from django.conf import settings


class Pacer:
    """Virtual scheduling (GCRA): each turn is ``1/rate`` after the last, ``burst`` may come early."""

    def __init__(self) -> None:
        self.next_turn = 0.0

    def wait(self, now: float, rate: float, burst: int) -> float:
        """Seconds the handshake arriving ``now`` waits for its turn (and that turn is taken)."""
        interval = 1.0 / rate
        turn = max(self.next_turn, now)
        self.next_turn = turn + interval
        return max(0.0, turn - (max(1, burst) - 1) * interval - now)


_lock = threading.Lock()
_pacers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pacer]" = weakref.WeakKeyDictionary()


def pacer() -> Pacer:
    """The running loop's pacer (the server's; each test has its own)."""
    loop = asyncio.get_running_loop()
    with _lock:
        found = _pacers.get(loop)
        if found is None:
            found = _pacers[loop] = Pacer()
        return found


async def turn() -> None:
    """Wait until this process may start another handshake's work."""
    rate = float(settings.REALTIME_HANDSHAKE_RATE)
    if rate <= 0:
        return
    delay = pacer().wait(asyncio.get_running_loop().time(), rate, int(settings.REALTIME_HANDSHAKE_BURST))
    if delay > 0:
        await asyncio.sleep(delay)
