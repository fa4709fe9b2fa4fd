"""Group rows cached in Redis, invalidated explicitly by every write that changes them.

The cached value is the ``Group`` row itself, shared by all viewers: what a
viewer may see of it (``myRole``, ``accessCode``) is decided per request from
their membership, never cached.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

from .models import Group

logger = logging.getLogger(__name__)

GROUP_TTL_SECONDS = 300
T = TypeVar("T")


def cache_call(default: T, operation: Callable[[], T]) -> T:
    """Run a cache operation; a cache outage degrades to the database, never to an error."""
    try:
        return operation()
    except Exception as exc:  # noqa: BLE001 - any cache failure means "no cache"
        logger.warning("cache unavailable: %s", exc.__class__.__name__)
        return default


def delete_now_and_on_commit(*keys: str) -> None:
    """Delete now (readers in this transaction) and after commit (a reader may have refilled it meanwhile)."""
    cache_call(None, lambda: cache.delete_many(list(keys)))
    transaction.on_commit(lambda: cache_call(None, lambda: cache.delete_many(list(keys))))


def group_key(group_id: UUID | str) -> str:
    return f"groups:detail:{group_id}"


def cached_group(group_id: UUID | str) -> Group | None:
    """The active group, from the cache when possible."""
    key = group_key(group_id)
    group: Any = cache_call(None, lambda: cache.get(key))
    if isinstance(group, Group):
        return group
    found = Group.objects.filter(id=group_id, is_active=True).first()
    if found is not None:
        cache_call(None, lambda: cache.set(key, found, GROUP_TTL_SECONDS))
    return found


def invalidate_group(group_id: UUID | str) -> None:
    delete_now_and_on_commit(group_key(group_id))
