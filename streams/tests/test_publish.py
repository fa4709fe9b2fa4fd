"""Publishing (streams.publish): a sync caller never waits, nothing raises, every send is bounded."""

import asyncio
import threading
import time
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from prometheus_client import REGISTRY

from realtime.publish import room_group
from streams import publish


def lost() -> float:
    return REGISTRY.get_sample_value("live_events_lost_total") or 0.0


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# The publisher loop serves the Redis layers; the embedded default's in-memory layer sends inline.
@pytest.mark.services_only
def test_a_sync_publish_to_a_hung_layer_returns_at_once_and_is_counted_lost_after_the_timeout(
    monkeypatch, settings, caplog
) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.2
    entered = threading.Event()

    async def hang(sends):
        entered.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(publish, "deliver", hang)
    before = lost()
    started = time.monotonic()
    publish.send_soon([publish.wakeup(uuid.uuid4(), cursor=1, appended_at=time.time())])
    # The caller (an on-commit callback of a request) is not held for the send.
    assert time.monotonic() - started < settings.REALTIME_PUBLISH_TIMEOUT
    assert entered.wait(5)
    wait_until(lambda: lost() == before + 1)
    assert "timed out" in caplog.text


def test_a_failing_layer_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(publish, "deliver", fail)
    before = lost()
    publish.send_soon([("user.x", {"type": "realtime.event"}), ("user.y", {"type": "realtime.event"})])
    wait_until(lambda: lost() == before + 2)
    assert "ConnectionError" in caplog.text


@pytest.mark.services_only  # the publisher loop, as above
def test_past_the_pending_bound_a_batch_is_dropped_at_once(monkeypatch, settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 5
    release = asyncio.Event()
    loop = publish._publisher.loop()

    async def hang(sends):
        await release.wait()

    monkeypatch.setattr(publish, "deliver", hang)
    monkeypatch.setattr(publish, "MAX_PENDING_BATCHES", 1)
    before = lost()
    publish.send_soon([("user.x", {"type": "realtime.event"})])
    publish.send_soon([("user.y", {"type": "realtime.event"})])
    assert lost() == before + 1
    assert "too many publishes pending" in caplog.text
    loop.call_soon_threadsafe(release.set)
    wait_until(lambda: publish._publisher.reserve())
    publish._publisher.release()


async def test_async_publish_failure_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(publish, "deliver", fail)
    assert await publish.abroadcast([("user.x", {"type": "realtime.event"})]) is False
    assert await publish.abroadcast([]) is True
    assert "live event lost" in caplog.text


async def test_async_publish_to_a_hung_layer_is_bounded(monkeypatch, settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05

    async def hang(sends):
        await asyncio.Event().wait()

    monkeypatch.setattr(publish, "deliver", hang)
    assert await publish.abroadcast([("user.x", {"type": "realtime.event"})]) is False
    assert "timed out" in caplog.text


def test_a_wake_up_reaches_a_subscriber_of_the_real_layer_in_order() -> None:
    layer = get_channel_layer()
    # Published through an instance of its own, so a fan-out never holds up the sockets' subscriptions.
    assert get_channel_layer(publish.BROADCAST_LAYER) is not layer
    user_id = uuid.uuid4()

    async def receive_two():
        channel = await layer.new_channel()
        await layer.group_add(publish.user_group(user_id), channel)
        sends = [publish.wakeup(user_id, cursor=n, appended_at=1.5) for n in (1, 2)]
        await asyncio.get_running_loop().run_in_executor(None, publish.send_soon, sends)
        return [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]

    assert async_to_sync(receive_two)() == [{"type": "stream.wakeup", "cursor": n, "appended_at": 1.5} for n in (1, 2)]


@pytest.mark.parametrize("fn", [publish.user_group, room_group])
def test_group_names_are_valid_channel_layer_names(fn) -> None:
    name = fn(uuid.uuid4())
    assert len(name) < 100
    assert all(c.isalnum() or c in "-_." for c in name)


def test_plain_sync_code_publishes_from_one_publisher_loop() -> None:
    loop = publish._publisher.loop()
    assert loop.is_running()
    assert publish._publisher.loop() is loop
