"""Reads of groups and memberships."""

from collections.abc import Collection
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet

from accounts.models import User

from .models import Group, GroupMembership, MembershipStatus


def active_membership(*, group_id: UUID | str, user: User) -> GroupMembership | None:
    """The user's active membership of an active group, with the group loaded."""
    return (
        GroupMembership.objects.select_related("group")
        .filter(group_id=group_id, user=user, status=MembershipStatus.ACTIVE, group__is_active=True)
        .first()
    )


def user_group_ids(*, user: User) -> list[UUID]:
    """Ids of the active groups the user is an active member of."""
    return list(
        GroupMembership.objects.filter(user=user, status=MembershipStatus.ACTIVE, group__is_active=True).values_list(
            "group_id", flat=True
        )
    )


def group_member_ids(*, group_id: UUID | str) -> list[UUID]:
    """Ids of the group's active members."""
    return list(
        GroupMembership.objects.filter(group_id=group_id, status=MembershipStatus.ACTIVE).values_list(
            "user_id", flat=True
        )
    )


def user_memberships(*, user: User) -> QuerySet[GroupMembership]:
    """The user's active memberships of active groups, groups loaded, by group name."""
    return (
        GroupMembership.objects.select_related("group")
        .filter(user=user, status=MembershipStatus.ACTIVE, group__is_active=True)
        .order_by("group__name", "group_id")
    )


def group_members(*, group_id: UUID | str) -> QuerySet[GroupMembership]:
    """The group's active members, users loaded, longest-standing first."""
    return (
        GroupMembership.objects.select_related("user")
        .filter(group_id=group_id, status=MembershipStatus.ACTIVE)
        .order_by("joined_at", "id")
    )


def group_by_id(*, group_id: UUID | str) -> Group | None:
    return Group.objects.filter(id=group_id, is_active=True).first()


def member_role(*, group_id: UUID | str, user: User) -> str | None:
    """The user's role in the active group if they are an active member, else ``None``."""
    standing = member_standing(group_id=group_id, user=user)
    return standing[0] if standing else None


def member_standing(*, group_id: UUID | str, user: User) -> tuple[str, bool] | None:
    """``(role, notification_enabled)`` of the user's active membership of the active group, else ``None``."""
    row = (
        GroupMembership.objects.filter(
            group_id=group_id, user=user, status=MembershipStatus.ACTIVE, group__is_active=True
        )
        .values_list("role", "notification_enabled")
        .first()
    )
    return (row[0], row[1]) if row else None


# Every handshake and every last socket's close runs this. The same query
# through the ORM (a membership subquery, a join, an exclude) cost a large
# share of a handshake's CPU to build and compile on every call. The
# tables are the models' ``db_table`` (checked by a test).
_CO_MEMBERS_SQL = (
    "SELECT DISTINCT other.user_id"
    " FROM group_memberships mine"
    " JOIN groups g ON g.id = mine.group_id AND g.is_active"
    " JOIN group_memberships other ON other.group_id = mine.group_id"
    " AND other.status = %s AND other.user_id <> mine.user_id"
    " WHERE mine.user_id = %s AND mine.status = %s"
)


def co_member_ids(*, user_id: UUID | str) -> set[UUID]:
    """Users who share an active group with ``user_id`` (not the user): the audience of presence.

    Both memberships must be active and the group not hidden.
    """
    # The key as this database stores it (SQLite keeps UUIDs as hex text).
    user_field = GroupMembership._meta.get_field("user").target_field
    key = user_field.get_db_prep_value(user_field.to_python(user_id), connection)
    active = MembershipStatus.ACTIVE.value
    with connection.cursor() as cursor:
        cursor.execute(_CO_MEMBERS_SQL, [active, key, active])
        return {user_field.to_python(row[0]) for row in cursor.fetchall()}


_CO_MEMBERS_OF_MANY_SQL = (
    "SELECT DISTINCT mine.user_id, other.user_id"
    " FROM group_memberships mine"
    " JOIN groups g ON g.id = mine.group_id AND g.is_active"
    " JOIN group_memberships other ON other.group_id = mine.group_id"
    " AND other.status = %s AND other.user_id <> mine.user_id"
    " WHERE mine.user_id IN ({keys}) AND mine.status = %s"
)

# Users per query of co_member_ids_of (one bound parameter each).
_CO_MEMBERS_CHUNK = 500


def co_member_ids_of(*, user_ids: Collection[UUID | str]) -> dict[UUID, set[UUID]]:
    """:func:`co_member_ids` of many users: each user (with co-members) to theirs, one query per 500 users."""
    user_field = GroupMembership._meta.get_field("user").target_field
    keys = [user_field.get_db_prep_value(user_field.to_python(user_id), connection) for user_id in user_ids]
    active = MembershipStatus.ACTIVE.value
    found: dict[UUID, set[UUID]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _CO_MEMBERS_CHUNK):
            chunk = keys[start : start + _CO_MEMBERS_CHUNK]
            sql = _CO_MEMBERS_OF_MANY_SQL.format(keys=", ".join(["%s"] * len(chunk)))
            cursor.execute(sql, [active, *chunk, active])
            for mine, other in cursor.fetchall():
                found.setdefault(user_field.to_python(mine), set()).add(user_field.to_python(other))
    return found
