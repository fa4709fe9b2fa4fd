"""A group's check-ins of one period, cached in Redis.

Each cached entry is the check-in as its owner sees it, with the owner's
privacy settings; the entries are the same for every viewer and the privacy
rule is applied per viewer on the way out
(:func:`checkins.selectors.period_payload`), so a cached value can never
carry one viewer's view to another.

Keys: ``checkins:group:<id>:v<n>:<period start>:shown``. A write to one check-in
deletes its period's key; changes that touch every period of a group (a member
leaves or is removed, the group is deleted, a member changes their privacy
settings) bump the group's version ``n`` instead, so no key scan is needed.
"""

from datetime import date
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

from groups.cache import cache_call, delete_now_and_on_commit

PERIOD_TTL_SECONDS = 300
VERSION_TTL_SECONDS = 7 * 24 * 3600


def _version_key(group_id: UUID | str) -> str:
    return f"checkins:group:{group_id}:version"


def period_key(group_id: UUID | str, start: date) -> str:
    version = cache_call(0, lambda: cache.get(_version_key(group_id), 0))
    return f"checkins:group:{group_id}:v{version}:{start.isoformat()}:shown"


def get_period_rows(group_id: UUID | str, start: date) -> list[dict[str, Any]] | None:
    key = period_key(group_id, start)
    rows: list[dict[str, Any]] | None = cache_call(None, lambda: cache.get(key))
    return rows


def set_period_rows(group_id: UUID | str, start: date, rows: list[dict[str, Any]]) -> None:
    key = period_key(group_id, start)
    cache_call(None, lambda: cache.set(key, rows, PERIOD_TTL_SECONDS))


def invalidate_period(group_id: UUID | str, start: date) -> None:
    delete_now_and_on_commit(period_key(group_id, start))


def _bump_version(group_id: UUID | str) -> None:
    key = _version_key(group_id)

    def bump() -> None:
        cache.add(key, 0, VERSION_TTL_SECONDS)
        cache.incr(key)

    cache_call(None, bump)


def invalidate_group_checkins(group_id: UUID | str) -> None:
    """Forget every cached period of the group, now and again after commit."""
    _bump_version(group_id)
    transaction.on_commit(lambda: _bump_version(group_id))
