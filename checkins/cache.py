"""A group's check-ins of one period, cached in Redis.

Each cached entry is the check-in as its owner sees it, with the owner's
privacy settings; the entries are the same for every viewer and the privacy
rule is applied per viewer on the way out
(:func:`checkins.selectors.period_payload`), so a cached value can never
carry one viewer's view to another.

Each group has a version token. An entry (key
``checkins:group:<id>:<period start>:shown``) holds the token it was read
under beside its rows, and counts only while the token is still the group's:
a read fetches token and entry in one round trip. Every write to the group's
check-ins, and every change that touches them all (a member leaves or is
removed, the group is deleted, a member changes their privacy settings),
replaces the token, now and again after commit: no key scans, and a read that
raced the write stored its rows under a token that is already gone.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

from groups.cache import cache_call

Rows = list[dict[str, Any]]
PERIOD_TTL_SECONDS = 300
VERSION_TTL_SECONDS = 7 * 24 * 3600


def _version_key(group_id: UUID | str) -> str:
    return f"checkins:group:{group_id}:version"


def period_key(group_id: UUID | str, start: date) -> str:
    return f"checkins:group:{group_id}:{start.isoformat()}:shown"


@dataclass(frozen=True)
class CachedPeriod:
    """What the cache holds for one period: its rows if current, and the token fresh rows go under."""

    rows: Rows | None
    version: str | None


def get_period_rows(group_id: UUID | str, start: date) -> CachedPeriod:
    version_key, key = _version_key(group_id), period_key(group_id, start)
    found: dict[str, Any] = cache_call({}, lambda: cache.get_many([version_key, key]))
    version, entry = found.get(version_key), found.get(key)
    if version is not None and isinstance(entry, tuple) and entry[0] == version:
        return CachedPeriod(entry[1], version)
    return CachedPeriod(None, version)


def set_period_rows(group_id: UUID | str, start: date, version: str | None, rows: Rows) -> None:
    """Store rows read from the database under ``version``, the token seen before reading them.

    With no token yet (a new group, or an evicted token) one is made, unless a
    write made one meanwhile: then these rows may predate it and are dropped.
    """

    def store() -> None:
        token = version
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(_version_key(group_id), token, VERSION_TTL_SECONDS):
                return
        cache.set(period_key(group_id, start), (token, rows), PERIOD_TTL_SECONDS)

    cache_call(None, store)


def _replace_version(group_id: UUID | str) -> None:
    cache_call(None, lambda: cache.set(_version_key(group_id), uuid.uuid4().hex, VERSION_TTL_SECONDS))


def invalidate_group_checkins(group_id: UUID | str) -> None:
    """Forget every cached period of the group, now and again after commit."""
    _replace_version(group_id)
    transaction.on_commit(lambda: _replace_version(group_id))
