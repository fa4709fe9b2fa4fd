from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import PublicUserSerializer
from groups.models import CheckInFrequency, Group, GroupMembership, Role
from hucares.core.api import StrictIntegerField
from hucares.core.serializers import StrictSerializer

from .fields import TimezoneField


def can_see_access_code(group: Group, role: str | None) -> bool:
    """Admins and moderators always; members when they may invite."""
    return role in (Role.ADMIN, Role.MODERATOR) or (role == Role.MEMBER and group.allow_member_invite)


class GroupSerializer(serializers.ModelSerializer[Group]):
    """The Group of the API as seen by a viewer whose role is in ``group.my_role``."""

    access_code = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)
    average_participation_rate = serializers.FloatField(read_only=True)
    my_role = serializers.SerializerMethodField()
    notification_enabled = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = [
            "id",
            "name",
            "description",
            "access_code",
            "is_private",
            "max_members",
            "allow_member_invite",
            "check_in_frequency",
            "timezone",
            "created_by",
            "created_at",
            "updated_at",
            "member_count",
            "total_check_ins",
            "average_participation_rate",
            "my_role",
            "notification_enabled",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Hidden (null) from members unless allowMemberInvite.")
    )
    def get_access_code(self, group: Group) -> str | None:
        return group.access_code if can_see_access_code(group, self.get_my_role(group)) else None

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices, allow_null=True))
    def get_my_role(self, group: Group) -> str | None:
        role: str | None = getattr(group, "my_role", None)
        return role

    @extend_schema_field(
        serializers.BooleanField(
            allow_null=True,
            help_text="Whether the caller gets notifications (and reminders) of this group; "
            "changed with PATCH /groups/{id}/membership.",
        )
    )
    def get_notification_enabled(self, group: Group) -> bool | None:
        enabled: bool | None = getattr(group, "my_notification_enabled", None)
        return enabled


class GroupWriteSerializer(StrictSerializer):
    name = serializers.CharField(min_length=1, max_length=100)
    description = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    is_private = serializers.BooleanField(required=False)
    max_members = StrictIntegerField(min_value=2, max_value=100, required=False)
    allow_member_invite = serializers.BooleanField(required=False)
    check_in_frequency = serializers.ChoiceField(choices=CheckInFrequency.choices, required=False)
    timezone = TimezoneField(required=False)


class JoinSerializer(StrictSerializer):
    access_code = serializers.CharField(max_length=32)


class InviteSerializer(StrictSerializer):
    username = serializers.CharField(max_length=20, required=False)
    email = serializers.EmailField(max_length=255, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("username") and not attrs.get("email"):
            raise serializers.ValidationError({"username": "Give a username or an email."})
        return attrs


class InviteResultSerializer(serializers.Serializer[Any]):
    group_id = serializers.UUIDField()
    invitee = PublicUserSerializer(allow_null=True, help_text="The invited user (username invites); null by email.")
    email = serializers.EmailField(allow_null=True, help_text="The invited address (email invites); null by username.")


class MembershipSettingsSerializer(StrictSerializer):
    notification_enabled = serializers.BooleanField(
        help_text="false mutes this group for the caller: no notifications or reminders from it."
    )


class RoleSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class AccessCodeSerializer(serializers.Serializer[Any]):
    access_code = serializers.CharField()


class MemberSerializer(serializers.ModelSerializer[GroupMembership]):
    """``{user, role, status, joinedAt, lastActiveAt, isOnline}``; ``online`` ids come in the context."""

    user = PublicUserSerializer(read_only=True)
    last_active_at = serializers.DateTimeField(source="user.last_active_at", read_only=True, allow_null=True)
    is_online = serializers.SerializerMethodField()

    class Meta:
        model = GroupMembership
        fields = ["user", "role", "status", "joined_at", "last_active_at", "is_online"]
        read_only_fields = fields

    def get_is_online(self, membership: GroupMembership) -> bool:
        return membership.user_id in self.context.get("online", set())
