"""Cached analytics results, versioned by the scopes of the users and groups they were computed from.

A result depends on its users' scopes (their own check-ins, privacy,
timezone) and its groups' scopes (members, settings, every member's check-ins
and privacy); the writes below analytics bump those scopes themselves
(:mod:`hucares.core.cache`, :mod:`groups.receivers`), so analytics needs no
invalidation of its own.
"""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings

from groups.cache import group_scope, user_scope
from hucares.core import cache

T = TypeVar("T")


def cached(
    name: str,
    params: Iterable[Any],
    compute: Callable[[], T],
    *,
    user_ids: Iterable[Any] = (),
    group_ids: Iterable[Any] = (),
) -> T:
    """The cached result of ``compute`` for ``params`` while none of the given users and groups changed.

    A cache outage degrades to computing every time, never to an error.
    """
    key = ":".join(["analytics", name, *map(str, params)])
    scopes = [*(user_scope(user_id) for user_id in user_ids), *(group_scope(group_id) for group_id in group_ids)]
    return cache.cached(key, scopes, compute, timeout=settings.ANALYTICS_CACHE_SECONDS)
