"""The Redis pub/sub channel layer: pipelined publishing that never waits for subscriptions."""

import asyncio
import contextlib
import hashlib
import uuid

import pytest
import redis.asyncio
import redis.exceptions
from channels.layers import get_channel_layer
from django.conf import settings

from realtime import layers
from realtime.layers import PubSubChannelLayer


async def test_a_batch_reaches_its_groups_in_the_order_given() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, PubSubChannelLayer)
    first, second = f"user.{uuid.uuid4()}", f"user.{uuid.uuid4()}"
    channel = await layer.new_channel()
    await layer.group_add(first, channel)
    await layer.group_add(second, channel)
    shared = {"type": "realtime.event", "n": 0}
    await layer.group_send_many(
        [(first, shared), (second, {"type": "realtime.event", "n": 1}), (second, shared), (first, {"n": 3})]
    )
    received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(4)]
    assert [message["n"] for message in received] == [0, 1, 0, 3]


async def test_publishing_does_not_wait_for_a_subscription_in_progress() -> None:
    # The stock layer publishes under the lock its subscriptions hold.
    layer = get_channel_layer()
    group = f"user.{uuid.uuid4()}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    shard = layer._get_layer()._get_shard(layer._get_layer()._get_group_channel_name(group))
    async with shard._lock:
        await asyncio.wait_for(layer.group_send(group, {"type": "realtime.event", "n": 1}), 2)
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 1


async def test_an_empty_batch_sends_nothing() -> None:
    await get_channel_layer().group_send_many([])


async def subscribed_channels(layer: PubSubChannelLayer) -> set[str]:
    client = redis.asyncio.Redis.from_url(layer.hosts[0]["address"])
    try:
        names = await client.pubsub_channels(f"{layer._get_layer().prefix}specific.*")
    finally:
        await client.aclose()
    return {name.decode() for name in names}


async def inbox_subscribed(layer: PubSubChannelLayer, channel: str) -> set[str]:
    """The subscribed socket channels once the inbox of ``channel`` is among them (its SUBSCRIBE is not awaited)."""
    inbox = channel.partition("!")[0]
    for _ in range(100):
        subscribed = await subscribed_channels(layer)
        if inbox in subscribed:
            return subscribed
        await asyncio.sleep(0.05)
    raise AssertionError(f"{inbox} was never subscribed")


async def test_socket_channels_share_their_process_inbox_subscription() -> None:
    layer = get_channel_layer()
    channels = [await layer.new_channel() for _ in range(3)]
    inbox = channels[0].partition("!")[0]
    assert all(channel.partition("!")[0] == inbox for channel in channels)
    assert len(set(channels)) == 3
    subscribed = await inbox_subscribed(layer, inbox)
    assert subscribed.isdisjoint(channels)


async def test_send_reaches_a_socket_channel_from_another_process() -> None:
    layer = get_channel_layer()
    # Another server process: its own layer object, so its own inbox.
    other = PubSubChannelLayer(hosts=[settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]])
    first, second = await layer.new_channel(), await layer.new_channel()
    await inbox_subscribed(layer, first)
    await other.send(second, {"type": "realtime.event", "n": 2})
    await layer.send(first, {"type": "realtime.event", "n": 1})
    assert (await asyncio.wait_for(layer.receive(second), 5))["n"] == 2
    assert (await asyncio.wait_for(layer.receive(first), 5))["n"] == 1
    await other.flush()


async def test_a_message_for_a_closed_socket_channel_is_dropped() -> None:
    layer = get_channel_layer()
    gone, alive = await layer.new_channel(), await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(gone))
    await asyncio.sleep(0)
    waiting.cancel()  # how a consumer's channel goes when its socket closes
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await layer.send(gone, {"type": "realtime.event", "n": 0})
    await layer.send(alive, {"type": "realtime.event", "n": 1})
    assert (await asyncio.wait_for(layer.receive(alive), 5))["n"] == 1


async def test_other_channel_names_keep_the_stock_behaviour() -> None:
    layer = get_channel_layer()
    await layer.send("plain.channel", {"type": "realtime.event"})  # nobody listens: dropped, no error


async def test_a_batch_goes_out_on_a_redis_that_does_not_know_the_script_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    # A script text this Redis has never seen stands for a new or restarted Redis.
    script = f"{layers._PUBLISH_MANY} -- {uuid.uuid4()}"
    monkeypatch.setattr(layers, "_PUBLISH_MANY", script)
    monkeypatch.setattr(layers, "_PUBLISH_MANY_SHA", hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest())
    layer = get_channel_layer()
    group = f"user.{uuid.uuid4()}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await layer.group_send_many([(group, {"type": "realtime.event", "n": 1})])
    await layer.group_send_many([(group, {"type": "realtime.event", "n": 2})])
    assert [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(2)] == [1, 2]


async def test_a_failed_inbox_subscription_is_tried_again_by_the_next_socket() -> None:
    closed = PubSubChannelLayer(hosts=[{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 0.5}])
    for _ in range(2):
        with pytest.raises(redis.exceptions.ConnectionError):
            await closed.new_channel()


async def test_the_receiver_logs_a_failed_read_and_keeps_receiving(monkeypatch, caplog) -> None:
    monkeypatch.setattr(layers, "_RETRY_AFTER", 0.01)
    layer = get_channel_layer()
    group = f"user.{uuid.uuid4()}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "realtime.event", "n": 1})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 1
    shard = layer._get_layer()._get_shard(layer._get_layer()._get_group_channel_name(group))
    read, failures = shard._pubsub.get_message, [redis.exceptions.ConnectionError("lost")]

    async def flaky(**kwargs):
        if failures:
            raise failures.pop()
        return await read(**kwargs)

    # The read in progress is the real one; the next read fails once.
    monkeypatch.setattr(shard._pubsub, "get_message", flaky)
    await layer.group_send(group, {"type": "realtime.event", "n": 2})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 2
    await layer.group_send(group, {"type": "realtime.event", "n": 3})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 3
    assert not failures
    assert "Unexpected exception in receive task" in caplog.text


async def test_the_receiver_waits_for_messages_without_a_timer(monkeypatch) -> None:
    # The stock receiver's 0.1 s read timeout armed a loop timer per message read.
    layer = get_channel_layer()
    group = f"user.{uuid.uuid4()}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    shard = layer._get_layer()._get_shard(layer._get_layer()._get_group_channel_name(group))
    read, timeouts = shard._pubsub.get_message, []

    async def recording(**kwargs):
        timeouts.append(kwargs.get("timeout"))
        return await read(**kwargs)

    await layer.group_send(group, {"type": "realtime.event", "n": 0})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 0
    monkeypatch.setattr(shard._pubsub, "get_message", recording)
    for n in (1, 2):
        await layer.group_send(group, {"type": "realtime.event", "n": n})
        assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == n
    assert timeouts
    assert set(timeouts) == {None}
