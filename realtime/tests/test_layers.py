"""The Redis pub/sub channel layer: pipelined publishing that never waits for subscriptions."""

import asyncio
import uuid

from channels.layers import get_channel_layer

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
