"""Reads the real-time layer needs."""

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from groups.models import GroupMembership, MembershipStatus

from .models import UserSession


def co_member_ids(*, user_id: UUID | str) -> set[UUID]:
    """Users who share an active group with ``user_id`` (not the user): the audience of presence."""
    group_ids = GroupMembership.objects.filter(
        user_id=user_id, status=MembershipStatus.ACTIVE, group__is_active=True
    ).values("group_id")
    return set(
        GroupMembership.objects.filter(group_id__in=group_ids, status=MembershipStatus.ACTIVE)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )


def stale_sessions(*, before: datetime) -> QuerySet[UserSession]:
    """Sockets whose last recorded heartbeat is older than ``before``."""
    return UserSession.objects.filter(last_heartbeat__lt=before)
