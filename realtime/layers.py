"""The channel layer used in production: Redis pub/sub.

Measured against ``RedisChannelLayer`` (numbers in the README), pub/sub
delivers a check-in's fan-out to 19 personal streams about ten times faster,
because a consumer process holds one subscription connection instead of
polling one sorted set per channel. Messages to a socket that is not
connected at that instant are dropped, which is what live events want.
"""

from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import decode_hosts


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` that also exposes ``hosts`` outside an event loop.

    The stock class resolves unknown attributes on its per-loop layer, which
    needs a running loop; the health check reads ``hosts`` from sync code.
    """

    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self.hosts = decode_hosts(hosts)
