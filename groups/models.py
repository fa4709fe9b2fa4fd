import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class CheckInFrequency(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


class Role(models.TextChoices):
    ADMIN = "admin"
    MODERATOR = "moderator"
    MEMBER = "member"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"
    BANNED = "banned"


class Group(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(max_length=1000, blank=True, default="")
    access_code = models.CharField(max_length=8)
    is_private = models.BooleanField(default=True)
    max_members = models.PositiveSmallIntegerField(default=20)
    allow_member_invite = models.BooleanField(default=True)
    check_in_frequency = models.CharField(
        max_length=10, choices=CheckInFrequency.choices, default=CheckInFrequency.WEEKLY
    )
    timezone = models.CharField(max_length=64, default="UTC")
    # The Monday that biweekly periods are counted from (the group's first Monday).
    period_anchor = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    member_count = models.PositiveIntegerField(default=0)
    total_check_ins = models.PositiveIntegerField(default=0)
    average_participation_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "groups"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["access_code"], condition=Q(is_active=True), name="groups_active_access_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(max_members__gte=2, max_members__lte=100), name="groups_max_members_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    notification_enabled = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "group_memberships"
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_memberships_group_user_unique")]
        indexes = [
            models.Index(fields=["user", "status"], name="memberships_user_status_idx"),
            models.Index(fields=["group", "status", "joined_at"], name="memberships_group_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.role}, {self.status})"
