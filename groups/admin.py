"""Moderation of groups and memberships in the Django admin (the ``Moderators`` group uses it).

Every action goes through the group services, so counts, caches, live events
and notifications follow as for any other write, and is recorded in the
admin log under the staff member who did it.
"""

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
    # Hiding a group and its code go through the services (actions, the API): never a bare field edit.
    readonly_fields = [
        "id",
        "is_active",
        "access_code",
        "period_anchor",
        "member_count",
        "total_check_ins",
        "average_participation_rate",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["created_by"]
    actions = ["deactivate_groups"]

    @admin.action(description="Hide selected groups (deactivate them for their members)", permissions=["change"])
    def deactivate_groups(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        groups = list(queryset.filter(is_active=True))
        for group in groups:
            services.group_deactivate(group=group, by=_staff(request))
            self.log_change(request, group, "Hid the group (deactivated).")
        self.message_user(request, f"{len(groups)} group(s) deactivated.", messages.SUCCESS)


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ["group", "user", "role", "status", "joined_at", "left_at"]
    list_filter = ["role", "status"]
    search_fields = ["group__name", "user__username", "user__email"]
    list_select_related = ["group", "user"]
    # Read-only: a membership changes through the actions (services keep counts, caches and events right)
    # or its member's own settings, never by editing the row.
    readonly_fields = [
        "group",
        "user",
        "role",
        "status",
        "notification_enabled",
        "invited_by",
        "joined_at",
        "left_at",
        "updated_at",
    ]
    actions = ["remove_memberships", "ban_memberships"]

    def has_change_permission(self, request: HttpRequest, obj: GroupMembership | None = None) -> bool:
        # The change permission runs the actions on the list; a membership itself is only ever viewed.
        return obj is None and super().has_change_permission(request)

    def _end(self, request: HttpRequest, queryset: QuerySet[GroupMembership], *, ban: bool) -> int:
        ended = 0
        for membership in queryset.exclude(status=MembershipStatus.BANNED).select_related("group", "user"):
            if services.membership_end(membership=membership, by=_staff(request), ban=ban):
                self.log_change(request, membership, "Banned the member." if ban else "Removed the member.")
                ended += 1
        return ended

    @admin.action(description="Remove selected members from their groups (they may rejoin)", permissions=["change"])
    def remove_memberships(self, request: HttpRequest, queryset: QuerySet[GroupMembership]) -> None:
        removed = self._end(request, queryset.filter(status=MembershipStatus.ACTIVE), ban=False)
        self.message_user(request, f"{removed} member(s) removed.", messages.SUCCESS)

    @admin.action(description="Ban selected memberships (the user cannot rejoin)", permissions=["change"])
    def ban_memberships(self, request: HttpRequest, queryset: QuerySet[GroupMembership]) -> None:
        banned = self._end(request, queryset, ban=True)
        self.message_user(request, f"{banned} membership(s) banned.", messages.SUCCESS)
