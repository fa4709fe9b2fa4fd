"""Reads the real-time layer needs."""

from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet

from groups.models import GroupMembership, MembershipStatus

from .models import UserSession

# Every handshake and every last socket's close runs this. The same query
# through the ORM (a membership subquery, a join, an exclude) cost several
# times this text's CPU to build and compile on every call (docs/performance.md).
# The tables are the models' ``db_table`` (checked by a test).
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


def stale_sessions(*, before: datetime) -> QuerySet[UserSession]:
    """Sockets whose last recorded heartbeat is older than ``before``."""
    return UserSession.objects.filter(last_heartbeat__lt=before)
