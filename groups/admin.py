"""Moderation of groups and memberships in the Django admin (the ``Moderators`` group uses it)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User

from . import services
from .models import Group, GroupMembership, MembershipStatus


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin only serves signed-in staff
    return user


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "access_code",
        "member_count",
        "max_members",
        "check_in_frequency",
        "total_check_ins",
        "average_participation_rate",
        "is_active",
        "created_at",
    ]
    list_filter = ["is_active", "check_in_frequency", "is_private", "allow_member_invite"]
    search_fields = ["name", "access_code", "id"]
    readonly_fields = [
        "id",
        "member_count",
        "total_check_ins",
        "average_participation_rate",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["created_by"]
    actions = ["deactivate_groups"]

    @admin.action(description="Deactivate selected groups (hide them from members)", permissions=["change"])
    def deactivate_groups(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        groups = list(queryset.filter(is_active=True))
        for group in groups:
            services.group_deactivate(group=group, by=_staff(request))
        self.message_user(request, f"{len(groups)} group(s) deactivated.", messages.SUCCESS)


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["group", "user", "role", "status", "joined_at", "left_at"]
    list_filter = ["role", "status"]
    search_fields = ["group__name", "user__username", "user__email"]
    list_select_related = ["group", "user"]
    raw_id_fields = ["group", "user", "invited_by"]
    readonly_fields = ["joined_at", "left_at", "updated_at"]
    actions = ["ban_memberships"]

    @admin.action(description="Ban selected memberships (the user cannot rejoin)", permissions=["change"])
    def ban_memberships(self, request: HttpRequest, queryset: QuerySet[GroupMembership]) -> None:
        memberships = list(queryset.exclude(status=MembershipStatus.BANNED).select_related("group", "user"))
        for membership in memberships:
            services.membership_ban(membership=membership, by=_staff(request))
        self.message_user(request, f"{len(memberships)} membership(s) banned.", messages.SUCCESS)
