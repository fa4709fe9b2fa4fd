"""The channel layer used in production: Redis pub/sub.

Measured against ``RedisChannelLayer`` (numbers in the README), pub/sub
delivers a check-in's fan-out to 19 personal streams about ten times faster,
because a consumer process holds one subscription connection instead of
polling one sorted set per channel. Messages to a socket that is not
connected at that instant are dropped, which is what live events want.

The stock layer sends each ``PUBLISH`` under the one lock per shard that also
guards its subscriptions, one round trip at a time: a socket announcing itself
online to 19 co-members held that lock for 19 round trips while every other
handshake of the process waited behind it to subscribe. Here publishing takes
no lock (the lock only protects the subscription state; redis-py's pool gives
each send its own connection) and a batch is one script call per shard.

The stock class also subscribes every socket's own channel in Redis (a
``SUBSCRIBE`` when the socket opens, an ``UNSUBSCRIBE`` when it closes, and
their confirmations to read), though sockets here are only reached through
groups. Here a socket's channel is a queue in the process, named
``<inbox>!<id>`` as Channels names process-local channels: the process
subscribes its one inbox once, and :meth:`PubSubChannelLayer.send` to such a
channel publishes to the inbox with the channel's name in front, which the
inbox hands to that channel's queue. ``send`` keeps working from any process.

The stock receiver asks redis-py for each message with a 0.1 s timeout, so
redis-py arms and cancels a loop timer around every message read (and the
loop wakes ten times a second with nothing to read); here it reads without one.
"""

import asyncio
import hashlib
import logging
import uuid
from collections import defaultdict
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)
# Seconds the receiver waits after a failed read before reading again (as the stock one).
_RETRY_AFTER = 1.0

# Between the channel's name and the message in a message to an inbox.
_NAME_END = b"\0"
# Publishes ARGV = channel, message, channel, message, ... in that order.
_PUBLISH_MANY = "for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end"
_PUBLISH_MANY_SHA = hashlib.sha1(_PUBLISH_MANY.encode(), usedforsecurity=False).hexdigest()


class _Inbox:
    """Stands in the loop layer's table of channels for the process's inbox (module docstring)."""

    def __init__(self, layer: RedisPubSubLoopLayer) -> None:
        self.layer = layer

    def put_nowait(self, data: bytes) -> None:
        name, _, payload = data.partition(_NAME_END)
        queue = self.layer.channels.get(name.decode())
        if queue is not None:  # else the socket has gone
            queue.put_nowait(payload)


class _Shard(RedisSingleShardConnection):
    async def _do_receiving(self) -> None:
        """The stock receiver, reading each message without a timeout (module docstring).

        The hosts are configured without a socket timeout, so a read waits
        until a message comes; the task is cancelled when the layer is flushed,
        as the stock one is.
        """
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    self._receive_message(await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None))
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(_RETRY_AFTER)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` with lock-free, batched publishing and one inbox per process.

    It also answers ``hosts`` outside an event loop: the stock class resolves
    unknown attributes on its per-loop layer, which needs a running loop, and
    the health check reads ``hosts`` from sync code.
    """

    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self.hosts = decode_hosts(hosts)
        self.inbox_id = uuid.uuid4().hex

    def _get_layer(self) -> RedisPubSubLoopLayer:
        """The stock per-loop layer, with shards that receive without a timeout."""
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer

    async def new_channel(self, prefix: str = "specific.", *, queue: "asyncio.Queue[Any] | None" = None) -> str:
        """A channel for one consumer: a queue here, reached through the process's inbox (no ``SUBSCRIBE``).

        ``queue`` (else a new one) receives the channel's messages serialized:
        a consumer that reads it itself deserializes them with :meth:`deserialize`
        and ends the channel with :meth:`drop_channel`.
        """
        layer = self._get_layer()
        inbox = f"{layer.prefix}{prefix}{self.inbox_id}"
        if inbox not in layer.channels:  # first use on this loop, or after a flush
            layer.channels[inbox] = _Inbox(layer)
            try:
                await layer._get_shard(inbox).subscribe(inbox)
            except BaseException:
                del layer.channels[inbox]
                raise
        channel = f"{inbox}!{uuid.uuid4().hex}"
        layer.channels[channel] = asyncio.Queue() if queue is None else queue
        return channel

    def drop_channel(self, channel: str) -> None:
        """Forget a channel of :meth:`new_channel` whose consumer has ended: its messages are dropped from now on."""
        self._get_layer().channels.pop(channel, None)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send to one channel; a process-local one through its process's inbox."""
        layer = self._get_layer()
        inbox, local, _ = channel.partition("!")
        if not local:
            await layer.send(channel, message)
            return
        shard = layer._get_shard(inbox)
        shard._ensure_redis()
        await shard._redis.publish(inbox, channel.encode() + _NAME_END + self.serialize(message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self.group_send_many([(group, message)])

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """Publish many ``(group, message)`` pairs in one round trip per Redis shard.

        The stock ``group_send`` publishes one message per round trip under the shard's
        lock: a check-in's fan-out to 31 members cost ~4.7 ms of CPU that way
        and ~0.6 ms pipelined (bench/RESULTS.md). One script call per shard
        instead of a pipeline of ``PUBLISH``: redis-py packs one command and
        parses one reply instead of one each per message (a ``user-online`` to
        19 co-members: ~0.06 ms of CPU against ~0.18 ms). This goes through the same
        shard and connection pool as the stock ``group_send`` (channels-redis
        4.3 internals, pinned in requirements.txt), without its lock (module
        docstring), keeps the order given within a shard, and serializes a
        message shared by several groups once (``sends`` is a list, so no
        two of its messages can share an ``id``).
        """
        layer = self._get_layer()
        payloads: dict[int, bytes] = {}
        by_shard: dict[Any, list[tuple[str, bytes]]] = defaultdict(list)
        for group, message in sends:
            channel = layer._get_group_channel_name(group)
            payload = payloads.get(id(message))
            if payload is None:
                payload = payloads[id(message)] = self.serialize(message)
            by_shard[layer._get_shard(channel)].append((channel, payload))
        for shard, items in by_shard.items():
            shard._ensure_redis()
            args = [part for item in items for part in item]
            try:
                await shard._redis.evalsha(_PUBLISH_MANY_SHA, 0, *args)
            except NoScriptError:  # a new or flushed Redis: load it once
                await shard._redis.script_load(_PUBLISH_MANY)
                await shard._redis.evalsha(_PUBLISH_MANY_SHA, 0, *args)
