"""HTTP for groups and memberships: parse, call a service, shape the answer."""

from typing import Any
from uuid import UUID

import redis
from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.errors import EmailNotVerified
from accounts.models import User, normalize_email
from accounts.permissions import VerifiedEmailRequired
from accounts.serializers import avatar_url
from hucares.core.api import actor
from hucares.core.apidoc import api_operation
from hucares.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.ratelimit import check_rate, client_ip, client_rate_key
from hucares.core.responses import ApiResponse
from hucares.core.serializers import represent, represent_many
from realtime.presence import online_user_ids

from .. import selectors, services
from ..cache import viewer_group, viewer_groups, viewer_role
from ..errors import AlreadyMember, BannedFromGroup, GroupFull, InvalidAccessCode, UserNotFound
from ..models import Group
from .serializers import (
    AccessCodeSerializer,
    GroupSerializer,
    GroupWriteSerializer,
    InviteResultSerializer,
    InviteSerializer,
    JoinSerializer,
    MemberSerializer,
    MembershipSettingsSerializer,
    RoleSerializer,
)

TAG = ["groups"]
NOT_MEMBER = (NotFound, "the group does not exist, is deactivated, or the caller is not a member")
NOT_ADMIN = (PermissionDenied, "the caller is a member but not an admin")
UNVERIFIED = (EmailNotVerified, "the server requires a verified email and the caller's is not")
GROUP_EXAMPLE = {
    "id": "5d1f0c1e-8a47-4a53-9c55-0c6a2b1e9f10",
    "name": "Tuesday climbers",
    "description": "How are we, really?",
    "accessCode": "K7Q2M9XP",
    "isPrivate": True,
    "maxMembers": 12,
    "allowMemberInvite": False,
    "checkInFrequency": "weekly",
    "timezone": "Europe/Berlin",
    "createdBy": "0b6c7a52-3f0e-4a8e-9d4b-1f1f2c3d4e5f",
    "createdAt": "2026-01-05T09:30:00Z",
    "updatedAt": "2026-01-05T09:30:00Z",
    "memberCount": 1,
    "totalCheckIns": 0,
    "averageParticipationRate": 0.0,
    "myRole": "admin",
    "notificationEnabled": True,
}
GROUP_ANSWER = OpenApiExample("Group", response_only=True, value=GROUP_EXAMPLE)


def _group_or_404(group_id: UUID) -> Group:
    group = selectors.group_by_id(group_id=group_id)
    if group is None:
        raise NotFound()
    return group


def _group_response(group: Group, user: User, status: int = 200, message: str | None = None) -> ApiResponse:
    role, enabled = selectors.member_standing(group_id=group.pk, user=user) or (None, None)
    group.my_role, group.my_notification_enabled = role, enabled  # type: ignore[attr-defined]
    return ApiResponse(represent(GroupSerializer, group), status=status, message=message)


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any, *, partial: bool = False) -> Any:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _online(user_ids: list[UUID]) -> set[UUID]:
    """Who of ``user_ids`` has a live socket; with presence (Redis) down, nobody is shown online."""
    try:
        return online_user_ids(user_ids)
    except redis.RedisError:
        return set()


class GroupListView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), VerifiedEmailRequired()]
        return [IsAuthenticated()]

    @api_operation(
        summary="List my groups",
        description="The groups the caller is an active member of, with the caller's role in each (`myRole`).",
        access="Signed-in users.",
        operation_id="groups_list",
        tags=TAG,
        responses=GroupSerializer(many=True),
    )
    def get(self, request: Request) -> ApiResponse:
        paginator = PageLimitPagination()
        # From the versioned cache: a member has a handful of groups, so the whole list is kept and paged here.
        page = paginator.paginate_queryset(viewer_groups(actor(request)), request, self)
        return paginator.get_paginated_response(represent_many(GroupSerializer, page))

    @api_operation(
        summary="Create a group",
        description="Creates a group with the caller as its admin and a fresh access code that others use "
        "to join. Check-ins are collected per period of `checkInFrequency` (weekly by default) in the "
        "group's `timezone`.",
        access="Signed-in users (with a verified email where the server requires it).",
        errors=[UNVERIFIED],
        operation_id="groups_create",
        tags=TAG,
        request=GroupWriteSerializer,
        responses={201: GroupSerializer},
        examples=[
            OpenApiExample(
                "Create",
                request_only=True,
                value={"name": "Tuesday climbers", "maxMembers": 12, "timezone": "Europe/Berlin"},
            ),
            OpenApiExample("Created", response_only=True, status_codes=["201"], value=GROUP_EXAMPLE),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        data = _validated(GroupWriteSerializer, request.data)
        group = services.group_create(user=actor(request), **data)
        return _group_response(group, actor(request), status=201, message="Group created")


class GroupDetailView(APIView):
    @api_operation(
        summary="Read a group",
        description="One group as the caller sees it: `accessCode` is null for plain members unless "
        "`allowMemberInvite` is on.",
        access="Members of the group.",
        errors=[NOT_MEMBER],
        operation_id="groups_retrieve",
        tags=TAG,
        responses=GroupSerializer,
        examples=[GROUP_ANSWER],
    )
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        group = viewer_group(group_id, actor(request))
        if group is None:
            raise NotFound()
        return ApiResponse(represent(GroupSerializer, group))

    def _update(self, request: Request, group_id: UUID) -> ApiResponse:
        data = _validated(GroupWriteSerializer, request.data, partial=True)
        group = services.group_update(group=_group_or_404(group_id), by=actor(request), **data)
        return _group_response(group, actor(request))

    @api_operation(
        summary="Update a group (same as PATCH)",
        description="Changes the group's settings; only the fields given change. `maxMembers` cannot go below the "
        "current member count.",
        access="Admins of the group.",
        errors=[NOT_MEMBER, NOT_ADMIN],
        operation_id="groups_update",
        tags=TAG,
        request=GroupWriteSerializer,
        responses=GroupSerializer,
    )
    def put(self, request: Request, group_id: UUID) -> ApiResponse:
        return self._update(request, group_id)

    @api_operation(
        summary="Update a group",
        description="Changes the group's settings; only the fields given change. `maxMembers` cannot go below the "
        "current member count.",
        access="Admins of the group.",
        errors=[NOT_MEMBER, NOT_ADMIN],
        operation_id="groups_partial_update",
        tags=TAG,
        request=GroupWriteSerializer,
        responses=GroupSerializer,
    )
    def patch(self, request: Request, group_id: UUID) -> ApiResponse:
        return self._update(request, group_id)

    @api_operation(
        summary="Delete a group",
        description="Deletes the group with its memberships and check-ins; every former member is notified "
        "(`group-updated` event of type `group-deleted`, and a `group_deleted` notification).",
        access="Admins of the group.",
        errors=[NOT_MEMBER, NOT_ADMIN],
        operation_id="groups_delete",
        tags=TAG,
        responses={204: None},
    )
    def delete(self, request: Request, group_id: UUID) -> ApiResponse:
        services.group_delete(group=_group_or_404(group_id), by=actor(request))
        return ApiResponse(status=204)


def _join_rate_keys(request: Request) -> list[str]:
    return [f"user:{actor(request).pk}", f"ip:{client_rate_key(client_ip(request))}"]


class GroupJoinView(APIView):
    permission_classes = [IsAuthenticated, VerifiedEmailRequired]

    @api_operation(
        summary="Join a group by access code",
        description="Joins the active group whose access code this is (case-insensitive) as a plain "
        "member. Only wrong codes count towards the join rate limit, per user and per IP.",
        access="Signed-in users (with a verified email where the server requires it).",
        errors=[
            (InvalidAccessCode, "no active group has that code"),
            BannedFromGroup,
            (AlreadyMember, "the caller is already a member"),
            GroupFull,
            UNVERIFIED,
        ],
        operation_id="groups_join",
        tags=TAG,
        request=JoinSerializer,
        responses=GroupSerializer,
        examples=[
            OpenApiExample("Join", request_only=True, value={"accessCode": "K7Q2M9XP"}),
            OpenApiExample("Joined", response_only=True, value={**GROUP_EXAMPLE, "memberCount": 2, "myRole": "member"}),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        # Only wrong codes count against the limit (per user and per IP): they are what guessing looks like.
        for key in _join_rate_keys(request):
            check_rate(request, group="groups.join", rate=settings.RATELIMIT_JOIN, key=key, increment=False)
        data = _validated(JoinSerializer, request.data)
        try:
            group = services.group_join(user=actor(request), access_code=data["access_code"])
        except InvalidAccessCode:
            for key in _join_rate_keys(request):
                check_rate(request, group="groups.join", rate=settings.RATELIMIT_JOIN, key=key)
            raise
        return _group_response(group, actor(request), message="Joined the group")


class GroupLeaveView(APIView):
    @api_operation(
        summary="Leave a group",
        description="Ends the caller's membership. When the last admin leaves, the longest-standing member "
        "becomes admin; when the last member leaves, the group is deleted. `data` is null.",
        access="Members of the group.",
        errors=[NOT_MEMBER],
        operation_id="groups_leave",
        tags=TAG,
        request=None,
        responses={200: None},
    )
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        services.group_leave(group=_group_or_404(group_id), user=actor(request))
        return ApiResponse(None, message="Left the group")


class GroupMembershipView(APIView):
    @api_operation(
        summary="Mute or unmute a group for yourself",
        description="Changes the caller's own membership of the group: `notificationEnabled: false` stops "
        "every notification and reminder (in the app and by email) from this group for the caller; other "
        "members are not told. The group is returned with the caller's new `notificationEnabled`, which every "
        "group payload shows.",
        access="Members of the group (their own membership only).",
        errors=[NOT_MEMBER],
        operation_id="groups_membership_update",
        tags=TAG,
        request=MembershipSettingsSerializer,
        responses=GroupSerializer,
        examples=[
            OpenApiExample("Mute", request_only=True, value={"notificationEnabled": False}),
            OpenApiExample("Muted", response_only=True, value={**GROUP_EXAMPLE, "notificationEnabled": False}),
        ],
    )
    def patch(self, request: Request, group_id: UUID) -> ApiResponse:
        data = _validated(MembershipSettingsSerializer, request.data)
        group = _group_or_404(group_id)
        services.membership_settings_update(
            group=group, user=actor(request), notification_enabled=data["notification_enabled"]
        )
        return _group_response(group, actor(request), message="Membership updated")


class GroupMembersView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    @api_operation(
        summary="List a group's members",
        description="The group's active members with their role and whether they are online now.",
        access="Members of the group.",
        errors=[NOT_MEMBER],
        operation_id="groups_members_list",
        tags=TAG,
        responses=MemberSerializer(many=True),
    )
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        if viewer_role(group_id, actor(request)) is None:
            raise NotFound()
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.group_members(group_id=group_id), request, self)
        online = _online([membership.user_id for membership in page])
        # Fields built once per process (represent_many): building them per request was a large share of
        # this list's CPU. What depends on this request, presence and absolute avatar URLs, is set per row.
        data = represent_many(MemberSerializer, page)
        for membership, row in zip(page, data, strict=True):
            row["is_online"] = membership.user_id in online
            row["user"]["avatar_url"] = avatar_url(membership.user, request)
        return paginator.get_paginated_response(data)


class GroupInviteView(APIView):
    @api_operation(
        summary="Invite a user to a group",
        description="By username: the invitee gets a `group_invitation` notification (and an email if they want "
        "one), and the answer carries their public profile; a private profile answers as an unknown username. "
        "By email: the answer is the same whether or not the address has an account (`invitee` is null, `email` "
        "echoes the address): an account gets the usual invitation, an address without one an email inviting it "
        "to register, a member or a banned user nothing.",
        access="Admins and moderators of the group; members too when `allowMemberInvite` is on.",
        errors=[
            NOT_MEMBER,
            (PermissionDenied, "the caller is a member and the group does not allow members to invite"),
            (UserNotFound, "no user has that username, or its profile is private (username invites only)"),
            (AlreadyMember, "the user is already a member (username invites only)"),
            (BannedFromGroup, "the user was banned from this group (username invites only)"),
            (RateLimited, "the caller sent `RATELIMIT_INVITE` invitations (default 20 an hour)"),
        ],
        operation_id="groups_invite",
        tags=TAG,
        request=InviteSerializer,
        responses={201: InviteResultSerializer},
    )
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        by = actor(request)
        check_rate(request, group="groups.invite", rate=settings.RATELIMIT_INVITE, key=f"user:{by.pk}")
        data = _validated(InviteSerializer, request.data)
        group = _group_or_404(group_id)
        invitee: User | None = None
        if data.get("username"):
            invitee = services.group_invite(group=group, by=by, username=data["username"])
        else:
            services.group_invite_email(
                group=group, by=by, email=data["email"], send_to_new_address=_address_allowance(request, data["email"])
            )
        result = InviteResultSerializer(
            {"group_id": group.pk, "invitee": invitee, "email": None if invitee else normalize_email(data["email"])},
            context={"request": request},
        )
        return ApiResponse(result.data, status=201, message="Invitation sent")


def _address_allowance(request: Request, email: str) -> bool:
    """Whether one more invitation email may go to ``email`` (a stranger's inbox is not a target)."""
    try:
        check_rate(
            request,
            group="groups.invite-address",
            rate=settings.RATELIMIT_INVITE_ADDRESS,
            key=normalize_email(email),
        )
    except RateLimited:
        return False
    return True


def _user_or_404(user_id: UUID) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


class GroupMemberView(APIView):
    @api_operation(
        summary="Remove a member",
        description="Removes a member from the group; with `ban=true` they cannot rejoin. Their open "
        "sockets leave the group's room at once.",
        access="Admins of the group; moderators may remove plain members only.",
        errors=[
            (NotFound, "the group or the user does not exist, the caller is not a member, or the user is not one"),
            (PermissionDenied, "the caller may not remove this member (or is removing themself: use leave)"),
        ],
        operation_id="groups_members_remove",
        tags=TAG,
        parameters=[OpenApiParameter("ban", bool, description="Ban the member so they cannot rejoin.")],
        responses={204: None},
    )
    def delete(self, request: Request, group_id: UUID, user_id: UUID) -> ApiResponse:
        ban = request.query_params.get("ban", "").lower() in ("true", "1")
        services.member_remove(group=_group_or_404(group_id), user=_user_or_404(user_id), by=actor(request), ban=ban)
        return ApiResponse(status=204)

    @api_operation(
        summary="Change a member's role",
        description="Makes a member `admin`, `moderator` or `member`. A group always keeps at least one "
        "admin. Members get a `group-updated` event of type `role-changed`; the member gets a "
        "`role_changed` notification.",
        access="Admins of the group.",
        errors=[
            (NotFound, "the group or the user does not exist, the caller is not a member, or the user is not one"),
            NOT_ADMIN,
            (ValidationFailed, "an unknown role, or the change would leave the group without an admin"),
        ],
        operation_id="groups_members_role",
        tags=TAG,
        request=RoleSerializer,
        responses=MemberSerializer,
    )
    def patch(self, request: Request, group_id: UUID, user_id: UUID) -> ApiResponse:
        data = _validated(RoleSerializer, request.data)
        group = _group_or_404(group_id)
        membership = services.member_role_change(
            group=group, user=_user_or_404(user_id), role=data["role"], by=actor(request)
        )
        online = _online([membership.user_id])
        data = MemberSerializer(membership, context={"request": request, "online": online}).data
        return ApiResponse(data, message="Role changed")


class GroupAccessCodeView(APIView):
    @api_operation(
        summary="Issue a new access code",
        description="Replaces the group's access code; the old one stops working at once.",
        access="Admins of the group.",
        errors=[NOT_MEMBER, NOT_ADMIN],
        operation_id="groups_access_code_regenerate",
        tags=TAG,
        request=None,
        responses=AccessCodeSerializer,
    )
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        group = services.group_access_code_regenerate(group=_group_or_404(group_id), by=actor(request))
        return ApiResponse(AccessCodeSerializer({"access_code": group.access_code}).data)
