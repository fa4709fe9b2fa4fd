"""Who is online, shared by every server process through Redis.

Each user has a sorted set of their open sockets, scored by the instant the
socket lapses (``REALTIME_PRESENCE_TTL`` after its last heartbeat). A user is
online while one score is in the future; a process that dies stops
refreshing its sockets, so they lapse on their own and the periodic sweep
announces the user offline. Without ``REDIS_URL`` (the embedded default, one
process) the same structure lives in this process's memory.
"""

import threading
import time
from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

import redis
from django.conf import settings

from .stores import shared_store

# Returns how many sockets the user had before this one was added, counting
# those that lapsed after ARGV[2] (the start of the grace).
_CONNECT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return before
"""
# Returns {removed (0/1), live sockets left}.
_DISCONNECT = """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return {removed, redis.call('ZCARD', KEYS[1])}
"""


class PresenceStore(Protocol):
    def connect(self, user_id: str, socket_id: str) -> bool: ...
    def refresh(self, user_id: str, socket_id: str) -> None: ...
    def disconnect(self, user_id: str, socket_id: str) -> bool: ...
    def disconnect_many(self, sockets: list[tuple[str, str]]) -> list[bool]: ...
    def online(self, user_ids: list[str]) -> set[str]: ...


def _ttl() -> int:
    return int(settings.REALTIME_PRESENCE_TTL)


def _grace_start(now: float) -> float:
    return now - max(0.0, float(settings.REALTIME_OFFLINE_GRACE))


def _key_lifetime() -> int:
    # Only garbage collection: the key must outlive the sweep that announces
    # a lapsed socket's user offline, so it is kept well past one TTL and the grace.
    return _ttl() * 10 + int(settings.REALTIME_OFFLINE_GRACE)


class RedisPresence:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._connect = self.client.register_script(_CONNECT)
        self._disconnect = self.client.register_script(_DISCONNECT)

    def _key(self, user_id: str) -> str:
        return f"{self.prefix}:presence:{user_id}"

    def connect(self, user_id: str, socket_id: str) -> bool:
        now = time.time()
        args: list[str | float] = [socket_id, _grace_start(now), now + _ttl(), _key_lifetime()]
        before = self._connect(keys=[self._key(user_id)], args=args)
        return int(before) == 0

    def refresh(self, user_id: str, socket_id: str) -> None:
        key = self._key(user_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(key, {socket_id: time.time() + _ttl()})
        pipe.expire(key, _key_lifetime())
        pipe.execute()

    def disconnect(self, user_id: str, socket_id: str) -> bool:
        removed, left = self._disconnect(keys=[self._key(user_id)], args=[socket_id, time.time()])
        return int(removed) == 1 and int(left) == 0

    def disconnect_many(self, sockets: list[tuple[str, str]]) -> list[bool]:
        # One round trip: the scripts run in order, so of a user's sockets in
        # the batch only the last one removed can find none left.
        pipe = self.client.pipeline(transaction=False)
        now = time.time()
        for user_id, socket_id in sockets:
            self._disconnect(keys=[self._key(user_id)], args=[socket_id, now], client=pipe)
        return [int(removed) == 1 and int(left) == 0 for removed, left in pipe.execute()]

    def online(self, user_ids: list[str]) -> set[str]:
        pipe = self.client.pipeline(transaction=False)
        now = time.time()
        for user_id in user_ids:
            pipe.zcount(self._key(user_id), f"({now}", "+inf")
        return {user_id for user_id, count in zip(user_ids, pipe.execute(), strict=True) if count}


class LocalPresence:
    """The single-process stand-in for the embedded default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[str, dict[str, float]] = {}

    def _kept(self, user_id: str, now: float) -> dict[str, float]:
        """The user's sockets, without those that lapsed before the grace (as Redis's scripts keep them)."""
        sockets = self._sockets.setdefault(user_id, {})
        floor = _grace_start(now)
        for socket_id in [s for s, expiry in sockets.items() if expiry <= floor]:
            del sockets[socket_id]
        return sockets

    def _live(self, user_id: str, now: float) -> bool:
        return any(expiry > now for expiry in self._kept(user_id, now).values())

    def connect(self, user_id: str, socket_id: str) -> bool:
        with self._lock:
            now = time.time()
            sockets = self._kept(user_id, now)
            first = not sockets
            sockets[socket_id] = now + _ttl()
            return first

    def refresh(self, user_id: str, socket_id: str) -> None:
        with self._lock:
            self._sockets.setdefault(user_id, {})[socket_id] = time.time() + _ttl()

    def disconnect(self, user_id: str, socket_id: str) -> bool:
        with self._lock:
            removed = self._sockets.get(user_id, {}).pop(socket_id, None) is not None
            return removed and not self._live(user_id, time.time())

    def disconnect_many(self, sockets: list[tuple[str, str]]) -> list[bool]:
        return [self.disconnect(user_id, socket_id) for user_id, socket_id in sockets]

    def online(self, user_ids: list[str]) -> set[str]:
        with self._lock:
            now = time.time()
            return {user_id for user_id in user_ids if self._live(user_id, now)}


def store() -> PresenceStore:
    """The presence store of the configured Redis (one per URL and prefix)."""
    return shared_store("presence", _make_store)


def _make_store(redis_url: str, prefix: str) -> PresenceStore:
    return RedisPresence(redis_url, prefix) if redis_url else LocalPresence()


def socket_connected(user_id: UUID | str, socket_id: str) -> bool:
    """Count a new socket; ``True`` when it is the user's first, none other having lapsed within the grace."""
    return store().connect(str(user_id), socket_id)


def socket_alive(user_id: UUID | str, socket_id: str) -> None:
    """A heartbeat: keep the socket from lapsing for another TTL."""
    store().refresh(str(user_id), socket_id)


def socket_gone(user_id: UUID | str, socket_id: str) -> bool:
    """Forget a socket; ``True`` when the user has no live socket left."""
    return store().disconnect(str(user_id), socket_id)


def sockets_gone(sockets: list[tuple[UUID | str, str]]) -> list[bool]:
    """Forget many sockets at once (one Redis round trip); for each, ``True`` when its user has none left."""
    if not sockets:
        return []
    return store().disconnect_many([(str(user_id), socket_id) for user_id, socket_id in sockets])


def online_user_ids(user_ids: Iterable[UUID | str]) -> set[UUID]:
    """Which of these users have a live socket on any server process."""
    wanted = [str(user_id) for user_id in user_ids]
    if not wanted:
        return set()
    return {UUID(user_id) for user_id in store().online(wanted)}
