"""Django's Redis cache with one client object per connection pool.

``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
operation, and redis-py builds its table of ~80 response callbacks in each
constructor: measured here at ~0.4 ms of CPU per operation, about half of an
authenticated request's CPU time (a request makes ten or so cache calls).
A client is only a thin, thread-safe wrapper of its pool, so one per pool is
enough; the pool itself still hands out a connection per call and resets
itself after a fork.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The private helpers are Django's own (django-stubs leaves them out).
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients.setdefault(index, self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
