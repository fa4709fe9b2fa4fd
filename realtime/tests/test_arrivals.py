"""Handshakes paced per process (realtime/arrivals.py)."""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from accounts.tests.factories import UserFactory
from realtime.arrivals import Pacer

from .helpers import connect


def test_a_burst_starts_at_once_then_one_a_turn_and_an_idle_spell_restores_the_burst() -> None:
    pacer = Pacer()
    assert [pacer.wait(100.0, rate=10, burst=3) for _ in range(5)] == pytest.approx([0, 0, 0, 0.1, 0.2])
    assert pacer.wait(100.05, rate=10, burst=3) == pytest.approx(0.25)
    assert [pacer.wait(200.0, rate=10, burst=3) for _ in range(4)] == pytest.approx([0, 0, 0, 0.1])


def test_without_a_burst_each_waits_its_turn() -> None:
    pacer = Pacer()
    assert [pacer.wait(0.0, rate=4, burst=0) for _ in range(3)] == pytest.approx([0, 0.25, 0.5])


@pytest.mark.django_db(transaction=True)
async def test_sockets_opening_together_get_connected_one_turn_apart(settings, monkeypatch) -> None:
    settings.REALTIME_HANDSHAKE_RATE = 10
    settings.REALTIME_HANDSHAKE_BURST = 1
    waits: list[float] = []
    wait = Pacer.wait

    def recorded(self: Pacer, now: float, rate: float, burst: int) -> float:
        waits.append(wait(self, now, rate, burst))
        return waits[-1]

    monkeypatch.setattr(Pacer, "wait", recorded)
    users = [await database_sync_to_async(UserFactory.create)() for _ in range(4)]
    started = time.monotonic()
    sockets = await asyncio.gather(*(connect(user) for user in users))
    elapsed = time.monotonic() - started
    # One handshake every 0.1 s: those that came together waited their turns, up to 0.3 s.
    assert len(waits) == 4
    assert waits[0] == 0
    assert elapsed >= max(waits) > 0
    for socket, _ in sockets:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_no_pacing_at_rate_0(settings, monkeypatch) -> None:
    settings.REALTIME_HANDSHAKE_RATE = 0
    monkeypatch.setattr(Pacer, "wait", lambda *args: pytest.fail("paced"))
    socket, _ = await connect(await database_sync_to_async(UserFactory.create)())
    await socket.disconnect()
