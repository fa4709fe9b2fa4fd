"""Reads of notifications and of who should receive them."""

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.preferences import default_notification_preferences
from groups.models import GroupMembership, MembershipStatus

from .models import Notification


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's unexpired notifications, newest first."""
    queryset = Notification.objects.filter(user=user, expires_at__gt=timezone.now())
    if unread_only:
        queryset = queryset.filter(is_read=False)
    return queryset.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return notification_list(user=user, unread_only=True).count()


def preference(user: User, key: str) -> Any:
    """One notification preference, the default where the user's blob lacks it."""
    prefs = user.notification_preferences if isinstance(user.notification_preferences, dict) else {}
    return prefs.get(key, default_notification_preferences()[key])


def email_preference(user: User, key: str) -> bool:
    emails = preference(user, "email")
    default = default_notification_preferences()["email"][key]
    return bool(emails.get(key, default)) if isinstance(emails, dict) else bool(default)


def group_recipients(*, group_id: UUID | str, exclude_user_id: UUID | str | None, pref: str | None) -> list[User]:
    """Active members who keep notifications of this group on and, if ``pref``, allow that kind."""
    memberships = (
        GroupMembership.objects.select_related("user")
        .filter(group_id=group_id, status=MembershipStatus.ACTIVE, notification_enabled=True, user__is_active=True)
        # What deciding needs; a whole user row per member was most of this query's cost.
        .only("user__id", "user__notification_preferences")
    )
    users = [m.user for m in memberships if str(m.user_id) != str(exclude_user_id)]
    return [user for user in users if pref is None or preference(user, pref)]
