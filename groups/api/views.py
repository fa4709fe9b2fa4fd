"""HTTP for groups and memberships: parse, call a service, shape the answer."""

from typing import Any
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import VerifiedEmailRequired
from hucares.core.errors import NotFound
from hucares.core.pagination import PageLimitPagination
from hucares.core.ratelimit import check_rate, client_ip
from hucares.core.responses import ApiResponse
from hucares.core.serializers import represent, represent_many
from realtime.presence import online_user_ids

from .. import selectors, services
from ..cache import viewer_group, viewer_role
from ..errors import InvalidAccessCode
from ..models import Group
from .fields import actor
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


class GroupListView(APIView):
    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), VerifiedEmailRequired()]
        return [IsAuthenticated()]

    @extend_schema(operation_id="groups_list", tags=TAG, responses=GroupSerializer(many=True))
    def get(self, request: Request) -> ApiResponse:
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.user_memberships(user=actor(request)), request, self)
        groups = []
        for membership in page:
            membership.group.my_role = membership.role
            membership.group.my_notification_enabled = membership.notification_enabled
            groups.append(membership.group)
        return paginator.get_paginated_response(represent_many(GroupSerializer, groups))

    @extend_schema(
        operation_id="groups_create", tags=TAG, request=GroupWriteSerializer, responses={201: GroupSerializer}
    )
    def post(self, request: Request) -> ApiResponse:
        data = _validated(GroupWriteSerializer, request.data)
        group = services.group_create(user=actor(request), **data)
        return _group_response(group, actor(request), status=201, message="Group created")


class GroupDetailView(APIView):
    @extend_schema(operation_id="groups_retrieve", tags=TAG, responses=GroupSerializer)
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        group = viewer_group(group_id, actor(request))
        if group is None:
            raise NotFound()
        return ApiResponse(represent(GroupSerializer, group))

    def _update(self, request: Request, group_id: UUID) -> ApiResponse:
        data = _validated(GroupWriteSerializer, request.data, partial=True)
        group = services.group_update(group=_group_or_404(group_id), by=actor(request), **data)
        return _group_response(group, actor(request))

    @extend_schema(operation_id="groups_update", tags=TAG, request=GroupWriteSerializer, responses=GroupSerializer)
    def put(self, request: Request, group_id: UUID) -> ApiResponse:
        return self._update(request, group_id)

    @extend_schema(
        operation_id="groups_partial_update", tags=TAG, request=GroupWriteSerializer, responses=GroupSerializer
    )
    def patch(self, request: Request, group_id: UUID) -> ApiResponse:
        return self._update(request, group_id)

    @extend_schema(operation_id="groups_destroy", tags=TAG, responses={204: None})
    def delete(self, request: Request, group_id: UUID) -> ApiResponse:
        services.group_delete(group=_group_or_404(group_id), by=actor(request))
        return ApiResponse(status=204)


def _join_rate_keys(request: Request) -> list[str]:
    return [f"user:{actor(request).pk}", f"ip:{client_ip(request)}"]


class GroupJoinView(APIView):
    permission_classes = [IsAuthenticated, VerifiedEmailRequired]

    @extend_schema(operation_id="groups_join", tags=TAG, request=JoinSerializer, responses=GroupSerializer)
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
    @extend_schema(operation_id="groups_leave", tags=TAG, request=None, responses={200: None})
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        services.group_leave(group=_group_or_404(group_id), user=actor(request))
        return ApiResponse(None, message="Left the group")


class GroupMembershipView(APIView):
    @extend_schema(
        operation_id="groups_membership_update",
        tags=TAG,
        summary="Mute or unmute a group for yourself",
        description="Changes the caller's own membership of the group: `notificationEnabled: false` stops "
        "every notification and reminder email from this group for the caller (other members are not told). "
        "The group is returned with the new `notificationEnabled`. Active members only; 404 `NOT_FOUND` "
        "for anyone else, 400 `VALIDATION_ERROR` for a missing or non-boolean `notificationEnabled`.",
        request=MembershipSettingsSerializer,
        responses=GroupSerializer,
    )
    def patch(self, request: Request, group_id: UUID) -> ApiResponse:
        data = _validated(MembershipSettingsSerializer, request.data)
        group = _group_or_404(group_id)
        services.membership_settings_update(
            group=group, user=actor(request), notification_enabled=data["notification_enabled"]
        )
        return _group_response(group, actor(request), message="Membership updated")


class GroupMembersView(APIView):
    @extend_schema(operation_id="groups_members_list", tags=TAG, responses=MemberSerializer(many=True))
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        if viewer_role(group_id, actor(request)) is None:
            raise NotFound()
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.group_members(group_id=group_id), request, self)
        online = online_user_ids([membership.user_id for membership in page])
        data = MemberSerializer(page, many=True, context={"request": request, "online": online}).data
        return paginator.get_paginated_response(data)


class GroupInviteView(APIView):
    @extend_schema(
        operation_id="groups_invite", tags=TAG, request=InviteSerializer, responses={201: InviteResultSerializer}
    )
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        data = _validated(InviteSerializer, request.data)
        group = _group_or_404(group_id)
        invitee = services.group_invite(
            group=group, by=actor(request), username=data.get("username"), email=data.get("email")
        )
        result = InviteResultSerializer({"group_id": group.pk, "invitee": invitee}, context={"request": request})
        return ApiResponse(result.data, status=201, message="Invitation sent")


def _user_or_404(user_id: UUID) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


class GroupMemberView(APIView):
    @extend_schema(
        operation_id="groups_members_remove",
        tags=TAG,
        parameters=[OpenApiParameter("ban", bool, description="Ban the member so they cannot rejoin.")],
        responses={204: None},
    )
    def delete(self, request: Request, group_id: UUID, user_id: UUID) -> ApiResponse:
        ban = request.query_params.get("ban", "").lower() in ("true", "1")
        services.member_remove(group=_group_or_404(group_id), user=_user_or_404(user_id), by=actor(request), ban=ban)
        return ApiResponse(status=204)

    @extend_schema(operation_id="groups_members_role", tags=TAG, request=RoleSerializer, responses=MemberSerializer)
    def patch(self, request: Request, group_id: UUID, user_id: UUID) -> ApiResponse:
        data = _validated(RoleSerializer, request.data)
        group = _group_or_404(group_id)
        membership = services.member_role_change(
            group=group, user=_user_or_404(user_id), role=data["role"], by=actor(request)
        )
        online = online_user_ids([membership.user_id])
        data = MemberSerializer(membership, context={"request": request, "online": online}).data
        return ApiResponse(data, message="Role changed")


class GroupAccessCodeView(APIView):
    @extend_schema(operation_id="groups_access_code_regenerate", tags=TAG, request=None, responses=AccessCodeSerializer)
    def post(self, request: Request, group_id: UUID) -> ApiResponse:
        group = services.group_access_code_regenerate(group=_group_or_404(group_id), by=actor(request))
        return ApiResponse(AccessCodeSerializer({"access_code": group.access_code}).data)
