"""Reads of notifications and of who should receive them."""

from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
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


def notification_counts(*, user: User) -> tuple[int, int]:
    """``(all, unread)`` of the user's unexpired notifications, in one query."""
    counts = notification_list(user=user).aggregate(total=Count("pk"), unread=Count("pk", filter=Q(is_read=False)))
    return counts["total"], counts["unread"]


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


def group_recipients(
    *, group_id: UUID | str, exclude_user_id: UUID | str, pref: str | None
) -> QuerySet[GroupMembership]:
    """Memberships of active members who keep notifications of this group on and, if ``pref``, allow that kind.

    The preference is decided in SQL, so the rows can feed an ``INSERT … SELECT``
    (:func:`notifications.services.notifications_create_for_each`).
    """
    queryset = (
        GroupMembership.objects.filter(
            group_id=group_id, status=MembershipStatus.ACTIVE, notification_enabled=True, user__is_active=True
        )
        .exclude(user_id=exclude_user_id)
        .order_by()
    )
    return queryset if pref is None else queryset.filter(_allows(pref))


def _allows(pref: str) -> Q:
    """The user's preference ``pref`` is on: set to true, or absent where its default is true."""
    allowed = Q(**{f"user__notification_preferences__{pref}": True})
    if default_notification_preferences()[pref]:
        allowed |= ~Q(user__notification_preferences__has_key=pref)
    return allowed


def group_recipient_ids(*, group_id: UUID | str, exclude_user_id: UUID | str, pref: str | None) -> list[UUID]:
    recipients = group_recipients(group_id=group_id, exclude_user_id=exclude_user_id, pref=pref)
    return list(recipients.values_list("user_id", flat=True))
