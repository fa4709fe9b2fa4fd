"""Group rows and members' roles cached under the group's version scope (:mod:`hucares.core.cache`).

The cached group is the ``Group`` row itself, shared by all viewers; what a
viewer may see of it (``myRole``, ``accessCode``) follows from their own
cached role. Only active members' roles are cached: a non-member always
reaches the database, so a join needs no invalidation.

Every save or delete of a group or a membership bumps the group's scope
(:mod:`groups.receivers`), whichever code path made it (services, the admin,
cascades). The same scope versions every other cached read about the group
(its check-ins, its analytics), so the apps above ``groups`` need no
invalidation call of their own for membership changes.
"""

from uuid import UUID

from accounts.models import User
from hucares.core import cache
from hucares.core.cache import scope

from .models import Group
from .selectors import member_standing, user_group_ids, user_memberships

ENTRY_TTL_SECONDS = 300


def group_scope(group_id: UUID | str) -> str:
    """The version scope of every cached read about one group."""
    return scope("group", group_id)


def user_scope(user_id: UUID | str) -> str:
    """The version scope of every cached read about one user's own data."""
    return scope("user", user_id)


def invalidate_group(group_id: UUID | str) -> None:
    """Every cached read about the group is stale from now on."""
    cache.bump(group_scope(group_id))


def _group_key(group_id: UUID | str) -> str:
    return f"groups:detail:{group_id}"


def _role_key(group_id: UUID | str, user_id: UUID | str) -> str:
    return f"groups:role:{group_id}:{user_id}"


# The viewer's membership as cached: ``(role, notification_enabled)``.
Standing = tuple[str, bool]


def _standing(value: object) -> Standing | None:
    """A cached standing; anything else (an entry of another shape) is a miss."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], bool):
        return value[0], value[1]
    return None


def _read(group_id: UUID | str, user: User) -> tuple[Group | None, Standing | None]:
    keys = [_group_key(group_id), _role_key(group_id, user.pk)]
    found, versions = cache.get_many(keys, [group_scope(group_id)])
    group, standing = found.get(keys[0]), _standing(found.get(keys[1]))
    fresh: dict[str, object] = {}
    if standing is None:
        standing = member_standing(group_id=group_id, user=user)
        if standing is None:
            return None, None
        fresh[keys[1]] = standing
    if not isinstance(group, Group):
        group = Group.objects.filter(id=group_id, is_active=True).first()
        if group is not None:
            fresh[keys[0]] = group
    cache.set_many(fresh, versions, ENTRY_TTL_SECONDS)
    return group, standing


def viewer_role(group_id: UUID | str, user: User) -> str | None:
    """The user's role in the active group if they are an active member, else ``None``."""
    key = _role_key(group_id, user.pk)
    found, versions = cache.get_many([key], [group_scope(group_id)])
    standing = _standing(found.get(key))
    if standing is None:
        standing = member_standing(group_id=group_id, user=user)
        if standing is not None:
            cache.set_many({key: standing}, versions, ENTRY_TTL_SECONDS)
    return standing[0] if standing else None


def viewer_group(group_id: UUID | str, user: User) -> Group | None:
    """The active group with ``my_role`` and ``my_notification_enabled`` set when the user is an active
    member of it, else ``None``.

    One cache round trip fetches the group's version, the group and the viewer's role.
    """
    group, standing = _read(group_id, user)
    if group is None or standing is None:
        return None
    group.my_role, group.my_notification_enabled = standing  # type: ignore[attr-defined]
    return group


def _viewer_groups_from_db(user: User) -> list[Group]:
    groups = []
    for membership in user_memberships(user=user):
        membership.group.my_role = membership.role  # type: ignore[attr-defined]
        membership.group.my_notification_enabled = membership.notification_enabled  # type: ignore[attr-defined]
        groups.append(membership.group)
    return groups


def viewer_groups(user: User) -> list[Group]:
    """The user's active groups by name, each with ``my_role`` and ``my_notification_enabled`` set.

    The group list is one of the most frequent reads of the phone, and its two
    queries (the count and the page) were most of its cost. Warm, it is two
    cache round trips and no query: which groups, under the user's scope (every
    membership write bumps it), then the groups themselves under the user's
    scope and every one of those groups' scopes (a rename, a check-in, a
    member joining elsewhere in the group all make it stale).
    """
    group_ids = cache.cached(
        f"groups:mine:{user.pk}", [user_scope(user.pk)], lambda: user_group_ids(user=user), timeout=ENTRY_TTL_SECONDS
    )
    scopes = [user_scope(user.pk), *(group_scope(group_id) for group_id in group_ids)]
    return cache.cached(
        f"groups:list:{user.pk}", scopes, lambda: _viewer_groups_from_db(user), timeout=ENTRY_TTL_SECONDS
    )
