"""Publishing never raises and never waits longer than REALTIME_PUBLISH_TIMEOUT."""

import asyncio
import uuid

import pytest

from realtime import publish


def test_hung_layer_costs_at_most_the_timeout_and_is_logged(monkeypatch, settings, caplog) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05

    async def hang(sends):
        await asyncio.sleep(3600)

    monkeypatch.setattr(publish, "_send_all", hang)
    assert publish.publish_to_user(uuid.uuid4(), {"event": "x", "data": {}}) is False
    assert "live event lost" in caplog.text
    assert "timed out" in caplog.text


def test_failing_layer_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(publish, "_send_all", fail)
    assert publish.publish_to_room(uuid.uuid4(), {"event": "x", "data": {}}) is False
    assert "ConnectionError" in caplog.text


async def test_async_publish_failure_is_logged_not_raised(monkeypatch, caplog) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(publish, "_send_all", fail)
    assert await publish.apublish_many([("user.x", {"type": "realtime.event"})]) is False
    assert await publish.apublish_many([]) is True
    assert "live event lost" in caplog.text


def test_nothing_to_publish_is_a_success() -> None:
    assert publish.publish_many([]) is True


def test_publish_reaches_a_subscriber_of_the_real_layer() -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    user_id = uuid.uuid4()

    async def receive_one():
        channel = await layer.new_channel()
        await layer.group_add(publish.user_group(user_id), channel)
        publish_task = asyncio.get_running_loop().run_in_executor(
            None, publish.publish_to_user, user_id, {"event": "ping", "data": {}}
        )
        message = await asyncio.wait_for(layer.receive(channel), 5)
        assert await publish_task is True
        return message

    message = async_to_sync(receive_one)()
    assert message == {
        "type": "realtime.event",
        "event": {"event": "ping", "data": {}},
        "room": None,
        "exclude_user": None,
    }


@pytest.mark.parametrize("fn", [publish.user_group, publish.room_group])
def test_group_names_are_valid_channel_layer_names(fn) -> None:
    name = fn(uuid.uuid4())
    assert len(name) < 100
    assert all(c.isalnum() or c in "-_." for c in name)


def test_plain_sync_code_publishes_from_the_publisher_loop() -> None:
    loop = publish._target_loop()
    assert loop is publish._publisher.loop()
    assert loop.is_running()


async def test_sync_code_inside_an_asgi_server_publishes_on_the_server_loop() -> None:
    from asgiref.sync import sync_to_async

    server_loop = asyncio.get_running_loop()
    assert await sync_to_async(publish._target_loop, thread_sensitive=False)() is server_loop
