"""The one cache of derived reads: entries checked against version tokens, and the one "cache is down" rule.

Every cached read depends on one or more *scopes* (``scope("group", id)``,
``scope("user", id)``). Each scope has a version token in the cache. An entry
is stored beside the digest of the tokens it was read under, and counts only
while the tokens are still current; one ``get_many`` fetches the tokens and the
entries together, so a hit is one round trip.

A write calls :func:`bump` on the scopes it changes: new tokens now (readers
inside the same transaction) and again after commit (a reader that raced the
write stored its rows under a token already gone). No key scans, no explicit
deletes: stale entries are never read again and expire on their own. A token
that was evicted is re-created, which only causes a miss.

A cache outage degrades to the database, never to an error (:func:`guarded`).
"""

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Longer than any entry lives, so an entry is never orphaned by its token
# expiring first; an evicted token only costs a miss.
TOKEN_TTL_SECONDS = 7 * 24 * 3600


def guarded(default: T, operation: Callable[[], T]) -> T:
    """Run a cache operation; any cache failure means "no cache" and returns ``default``."""
    try:
        return operation()
    except Exception as exc:  # noqa: BLE001 - any cache failure means "no cache"
        logger.warning("cache unavailable: %s", exc.__class__.__name__)
        return default


def scope(kind: str, object_id: object) -> str:
    """The name of a version scope, e.g. every cached read about one group."""
    return f"v:{kind}:{object_id}"


def _replace_tokens(scopes: Sequence[str]) -> None:
    guarded(None, lambda: cache.set_many({name: uuid.uuid4().hex for name in scopes}, TOKEN_TTL_SECONDS))


def bump(*scopes: str) -> None:
    """Make every entry read under these scopes stale, now and again after the transaction commits."""
    names = sorted(set(scopes))
    if not names:
        return
    _replace_tokens(names)
    transaction.on_commit(lambda: _replace_tokens(names))


def _digest(tokens: Iterable[Any]) -> str:
    """The tokens as one short string: many scopes would otherwise make keys of any length."""
    return hashlib.blake2b(":".join(map(str, tokens)).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Versions:
    """The scopes' tokens as one reader saw them; ``None`` when one was missing and a writer made it first."""

    digest: str | None


def _current_versions(scopes: Sequence[str], found: dict[str, Any]) -> Versions:
    missing = {name: uuid.uuid4().hex for name in scopes if name not in found}
    for name, token in missing.items():
        # add, not set: if a writer made the token meanwhile, rows read now may predate it.
        if not cache.add(name, token, TOKEN_TTL_SECONDS):
            return Versions(None)
    return Versions(_digest({**found, **missing}[name] for name in scopes))


def get_many(keys: Sequence[str], scopes: Sequence[str]) -> tuple[dict[str, Any], Versions]:
    """The entries of ``keys`` still current under ``scopes``, and the versions to store fresh values under."""
    names = sorted(set(scopes))

    def read() -> tuple[dict[str, Any], Versions]:
        found: dict[str, Any] = cache.get_many([*names, *keys])
        versions = _current_versions(names, {name: found[name] for name in names if name in found})
        current = {}
        for key in keys:
            entry = found.get(key)
            if versions.digest is not None and isinstance(entry, tuple) and entry[0] == versions.digest:
                current[key] = entry[1]
        return current, versions

    nothing: tuple[dict[str, Any], Versions] = ({}, Versions(None))
    return guarded(nothing, read)


def set_many(values: dict[str, Any], versions: Versions, timeout: int) -> None:
    """Store values read from the database under the versions seen before reading them."""
    if versions.digest is None or not values:
        return
    digest = versions.digest
    guarded(None, lambda: cache.set_many({key: (digest, value) for key, value in values.items()}, timeout))


def cached(key: str, scopes: Sequence[str], compute: Callable[[], T], *, timeout: int) -> T:
    """``compute()``, from the cache while none of ``scopes`` changed; a ``None`` result is not stored."""
    found, versions = get_many([key], scopes)
    if key in found:
        result: T = found[key]
        return result
    result = compute()
    if result is not None:
        set_many({key: result}, versions, timeout)
    return result
