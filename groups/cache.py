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
from .selectors import member_role

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


def _read(group_id: UUID | str, user: User) -> tuple[Group | None, str | None]:
    keys = [_group_key(group_id), _role_key(group_id, user.pk)]
    found, versions = cache.get_many(keys, [group_scope(group_id)])
    group, role = found.get(keys[0]), found.get(keys[1])
    fresh: dict[str, object] = {}
    if not isinstance(role, str):
        role = member_role(group_id=group_id, user=user)
        if role is None:
            return None, None
        fresh[keys[1]] = role
    if not isinstance(group, Group):
        group = Group.objects.filter(id=group_id, is_active=True).first()
        if group is not None:
            fresh[keys[0]] = group
    cache.set_many(fresh, versions, ENTRY_TTL_SECONDS)
    return group, role


def viewer_role(group_id: UUID | str, user: User) -> str | None:
    """The user's role in the active group if they are an active member, else ``None``."""
    key = _role_key(group_id, user.pk)
    found, versions = cache.get_many([key], [group_scope(group_id)])
    role = found.get(key)
    if isinstance(role, str):
        return role
    role = member_role(group_id=group_id, user=user)
    if role is not None:
        cache.set_many({key: role}, versions, ENTRY_TTL_SECONDS)
    return role


def viewer_group(group_id: UUID | str, user: User) -> Group | None:
    """The active group with ``my_role`` set when the user is an active member of it, else ``None``.

    One cache round trip fetches the group's version, the group and the viewer's role.
    """
    group, role = _read(group_id, user)
    if group is None or role is None:
        return None
    group.my_role = role  # type: ignore[attr-defined]
    return group
