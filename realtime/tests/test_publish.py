"""Publishing (realtime.broadcast) never raises and never waits longer than REALTIME_PUBLISH_TIMEOUT."""

import asyncio
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime import broadcast, publish


def test_hung_layer_costs_at_most_the_timeout_and_is_logged(monkeypatch, settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05

    async def hang(sends):
        await asyncio.Event().wait()

    monkeypatch.setattr(broadcast, "deliver", hang)
    assert publish.publish_to_user(uuid.uuid4(), {"event": "x", "data": {}}) is False
    assert "live event lost" in caplog.text
    assert "timed out" in caplog.text


def test_failing_layer_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(broadcast, "deliver", fail)
    assert publish.publish_to_room(uuid.uuid4(), {"event": "x", "data": {}}) is False
    assert "ConnectionError" in caplog.text


@pytest.mark.services_only  # the Redis layer's publisher thread
def test_a_stuck_publisher_loop_is_given_up_on(settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05
    loop = broadcast._publisher.loop()
    release = threading.Event()
    loop.call_soon_threadsafe(release.wait, 10)  # the loop's thread is busy until released
    try:
        assert broadcast.broadcast([("user.x", {"type": "realtime.event"})]) is False
    finally:
        release.set()
    assert "publisher loop did not answer" in caplog.text


async def test_async_publish_failure_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(broadcast, "deliver", fail)
    assert await publish.apublish_many([("user.x", {"type": "realtime.event"})]) is False
    assert await publish.apublish_many([]) is True
    assert "live event lost" in caplog.text


async def test_async_publish_to_a_hung_layer_is_bounded(monkeypatch, settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05

    async def hang(sends):
        await asyncio.Event().wait()

    monkeypatch.setattr(broadcast, "deliver", hang)
    assert await broadcast.abroadcast([("user.x", {"type": "realtime.event"})]) is False
    assert "timed out" in caplog.text


def test_nothing_to_publish_is_a_success() -> None:
    assert publish.publish_many([]) is True


def test_publish_reaches_a_subscriber_of_the_real_layer() -> None:
    layer = get_channel_layer()
    # Published through an instance of its own, so a fan-out never holds up the sockets' subscriptions.
    assert get_channel_layer(broadcast.BROADCAST_LAYER) is not layer
    user_id = uuid.uuid4()

    async def receive_two():
        channel = await layer.new_channel()
        await layer.group_add(publish.user_group(user_id), channel)
        sends = [
            (publish.user_group(user_id), publish.event_message({"event": "ping", "data": {"n": n}})) for n in (1, 2)
        ]
        publish_task = asyncio.get_running_loop().run_in_executor(None, publish.publish_many, sends)
        messages = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
        assert await publish_task is True
        return messages

    messages = async_to_sync(receive_two)()
    assert messages == [
        {"type": "realtime.event", "event": {"event": "ping", "data": {"n": n}}, "room": None, "exclude_user": None}
        for n in (1, 2)
    ]


@pytest.mark.parametrize("fn", [publish.user_group, publish.room_group])
def test_group_names_are_valid_channel_layer_names(fn) -> None:
    name = fn(uuid.uuid4())
    assert len(name) < 100
    assert all(c.isalnum() or c in "-_." for c in name)


def test_plain_sync_code_publishes_from_one_publisher_loop() -> None:
    loop = broadcast._publisher.loop()
    assert loop.is_running()
    assert broadcast._publisher.loop() is loop
