"""Cached analytics results, invalidated by version tokens (no key scans).

Each user and each group has a version token in the cache. A result's key
contains the tokens of everything it was computed from; a write replaces the
token, so the next read misses and recomputes. Stale entries are never read
again and expire on their own. A token that was evicted is simply re-created,
which also only causes a miss.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")
logger = logging.getLogger(__name__)


def _version_key(kind: str, object_id: Any) -> str:
    return f"analytics:v:{kind}:{object_id}"


def bump_many(*, user_ids: Iterable[Any] = (), group_ids: Iterable[Any] = ()) -> None:
    """New version tokens: every result computed from these users or groups is stale from now on."""
    fresh = {_version_key("user", uid): uuid.uuid4().hex for uid in set(user_ids)}
    fresh.update({_version_key("group", gid): uuid.uuid4().hex for gid in set(group_ids)})
    if not fresh:
        return
    try:
        cache.set_many(fresh, timeout=None)
    except Exception as exc:  # noqa: BLE001 - results then live until their TTL; the write itself succeeded
        logger.error("analytics cache invalidation failed: %s", exc.__class__.__name__)


def _versions(keys: list[str]) -> list[str]:
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    for key, token in missing.items():
        # add, not set: a concurrent reader that created it first wins.
        cache.add(key, token, timeout=None)
    if missing:
        found.update(cache.get_many(list(missing)))
    return [str(found.get(key, "x")) for key in keys]


def _digest(tokens: list[str]) -> str:
    """The version tokens as one short string: a user in many groups would otherwise make keys of any length."""
    return hashlib.blake2b(":".join(tokens).encode(), digest_size=16).hexdigest()


def cached(
    name: str,
    params: Iterable[Any],
    compute: Callable[[], T],
    *,
    user_ids: Iterable[Any] = (),
    group_ids: Iterable[Any] = (),
) -> T:
    """The cached result of ``compute`` for ``params`` at the current versions of the given users and groups.

    A cache outage degrades to computing every time, never to an error.
    """
    version_keys = [_version_key("user", u) for u in user_ids] + [_version_key("group", g) for g in sorted(group_ids)]
    try:
        key = ":".join(["analytics", name, *map(str, params), _digest(_versions(version_keys))])
        result = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - any cache failure means "no cache"
        logger.warning("analytics cache unavailable: %s", exc.__class__.__name__)
        return compute()
    if result is None:
        result = compute()
        try:
            cache.set(key, result, timeout=settings.ANALYTICS_CACHE_SECONDS)
        except Exception as exc:  # noqa: BLE001
            logger.warning("analytics cache unavailable: %s", exc.__class__.__name__)
    return result
