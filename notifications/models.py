import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

NOTIFICATION_LIFETIME = timedelta(days=90)


def default_expiry() -> datetime:
    return timezone.now() + NOTIFICATION_LIFETIME


class NotificationType(models.TextChoices):
    FRIEND_CHECK_IN = "friend_check_in"
    GROUP_INVITATION = "group_invitation"
    WEEKLY_REMINDER = "weekly_reminder"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    ROLE_CHANGED = "role_changed"
    GROUP_DELETED = "group_deleted"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=32, choices=NotificationType.choices)
    title = models.CharField(max_length=200)
    message = models.TextField(max_length=1000)
    data = models.JSONField(default=dict, blank=True)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=default_expiry)
    # Set for notifications that must exist at most once per user (a reminder
    # per group and period): the database, not the task, guarantees "once".
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    # How and when it reached its owner (notifications.delivery): pushed live
    # to an open socket or long-poll, emailed (the mail server accepted it),
    # or the last error of its email. Database defaults: rows made by
    # ``INSERT … SELECT`` name only the columns they copy.
    pushed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True, default="", db_default="")

    class Meta:
        db_table = "notifications"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notifications_user_dedupe_unique",
            )
        ]
        indexes = [
            models.Index(fields=["user", "is_read", "-created_at"], name="notifications_user_unread_idx"),
            models.Index(fields=["expires_at"], name="notifications_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.user_id}"
