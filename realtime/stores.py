"""Per-process shared state kept in Redis, or in the process without Redis (the embedded default).

Presence and the long-poll's wait counter each keep one client per Redis
address and channel-layer prefix, made on first use: tests and tools that
switch settings get a store of their own instead of one bound to old settings.
"""

import threading
from collections.abc import Callable
from typing import TypeVar, cast

from django.conf import settings

T = TypeVar("T")

_lock = threading.Lock()
_stores: dict[tuple[str, str, str], object] = {}


def shared_store(kind: str, make: Callable[[str, str], T]) -> T:
    """The ``kind`` store, made once per process by ``make(redis_url, prefix)`` (``redis_url`` empty: no Redis)."""
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "hucares")
    key = (kind, settings.REDIS_URL, prefix)
    with _lock:
        if key not in _stores:
            _stores[key] = make(settings.REDIS_URL, prefix)
        return cast(T, _stores[key])
