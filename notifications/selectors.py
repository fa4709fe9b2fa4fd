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
    return _preference(user.notification_preferences, key)


def _preference(blob: Any, key: str) -> Any:
    prefs = blob if isinstance(blob, dict) else {}
    return prefs.get(key, default_notification_preferences()[key])


def email_preference(user: User, key: str) -> bool:
    emails = preference(user, "email")
    default = default_notification_preferences()["email"][key]
    return bool(emails.get(key, default)) if isinstance(emails, dict) else bool(default)


def group_recipient_ids(*, group_id: UUID | str, exclude_user_id: UUID | str, pref: str | None) -> list[UUID]:
    """Active members who keep notifications of this group on and, if ``pref``, allow that kind."""
    rows = (
        GroupMembership.objects.filter(
            group_id=group_id, status=MembershipStatus.ACTIVE, notification_enabled=True, user__is_active=True
        )
        .exclude(user_id=exclude_user_id)
        # Ids and preferences only: building a model per member was most of this query's cost.
        .values_list("user_id", "user__notification_preferences")
    )
    return [user_id for user_id, blob in rows if pref is None or _preference(blob, pref)]
