"""Group rows and members' roles cached in Redis, invalidated explicitly by every write that changes them.

The cached group is the ``Group`` row itself, shared by all viewers; what a
viewer may see of it (``myRole``, ``accessCode``) follows from their own
cached role. Only active members' roles are cached: a non-member always
reaches the database, so a join needs no invalidation, and every save or
delete of a membership drops its key (:mod:`groups.receivers`).
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from django.core.cache import cache
from django.db import transaction

from accounts.models import User

from .models import Group
from .selectors import member_standing

logger = logging.getLogger(__name__)

GROUP_TTL_SECONDS = 300
# Short: a read that misses the cache and races a removal's commit can put
# the old role back after the removal dropped it; this bounds how long.
ROLE_TTL_SECONDS = 60
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
    return group if isinstance(group, Group) else _group_from_database(group_id)


def _group_from_database(group_id: UUID | str) -> Group | None:
    found = Group.objects.filter(id=group_id, is_active=True).first()
    if found is not None:
        cache_call(None, lambda: cache.set(group_key(group_id), found, GROUP_TTL_SECONDS))
    return found


def invalidate_group(group_id: UUID | str) -> None:
    delete_now_and_on_commit(group_key(group_id))


def role_key(group_id: UUID | str, user_id: UUID | str) -> str:
    return f"groups:role:{group_id}:{user_id}"


def invalidate_role(group_id: UUID | str, user_id: UUID | str) -> None:
    delete_now_and_on_commit(role_key(group_id, user_id))


Standing = tuple[str, bool]


def _standing_from_cache(value: Any) -> Standing | None:
    """A cached ``(role, notification_enabled)``; anything else (an entry of another shape) is a miss."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], bool):
        return value[0], value[1]
    return None


def _standing_from_database(group_id: UUID | str, user: User) -> Standing | None:
    standing = member_standing(group_id=group_id, user=user)
    if standing is not None:
        cache_call(None, lambda: cache.set(role_key(group_id, user.pk), standing, ROLE_TTL_SECONDS))
    return standing


def viewer_standing(group_id: UUID | str, user: User) -> Standing | None:
    """The user's ``(role, notification_enabled)`` in the active group if an active member, else ``None``."""
    standing = _standing_from_cache(cache_call(None, lambda: cache.get(role_key(group_id, user.pk))))
    return standing or _standing_from_database(group_id, user)


def viewer_role(group_id: UUID | str, user: User) -> str | None:
    """The user's role in the active group if they are an active member, else ``None``."""
    standing = viewer_standing(group_id, user)
    return standing[0] if standing else None


def viewer_group(group_id: UUID | str, user: User) -> Group | None:
    """The active group with ``my_role`` and ``my_notification_enabled`` set when the user is an active
    member of it, else ``None``.

    One cache round trip fetches both the group and the viewer's standing.
    """
    keys = [group_key(group_id), role_key(group_id, user.pk)]
    cached: dict[str, Any] = cache_call({}, lambda: cache.get_many(keys))
    standing = _standing_from_cache(cached.get(keys[1])) or _standing_from_database(group_id, user)
    if standing is None:
        return None
    group = cached.get(keys[0])
    if not isinstance(group, Group):
        group = _group_from_database(group_id)
        if group is None:
            return None
    group.my_role, group.my_notification_enabled = standing  # type: ignore[attr-defined]
    return group
