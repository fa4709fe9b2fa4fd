"""HTTP for notifications: one's own only; anyone else's is a 404."""

from typing import cast
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from hucares.core.apidoc import api_operation
from hucares.core.errors import ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.responses import ApiResponse
from hucares.core.serializers import represent_many

from .. import selectors, services
from ..errors import NotificationNotFound
from .serializers import NotificationListQuerySerializer, NotificationSerializer, ReadAllResultSerializer

TAG = ["notifications"]
NOT_MINE = (NotificationNotFound, "no notification of the caller has this id (or it has expired)")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) has run: never anonymous here.
    return cast(User, request.user)


class NotificationListView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    @api_operation(
        summary="List my notifications",
        description="The caller's notifications, newest first; `meta.unreadCount` counts all unread ones. "
        "Types: `friend_check_in`, `group_invitation`, `member_joined`, `member_left`, `role_changed`, "
        "`group_deleted`, `weekly_reminder`; `data` carries the ids the client needs to link them.",
        access="Signed-in users.",
        errors=[(ValidationFailed, "`unread`, `page` or `limit` is not valid")],
        operation_id="notifications_list",
        meta={
            "name": "NotificationListMeta",
            "required": ["unreadCount"],
            "properties": {"unreadCount": {"type": "integer", "description": "All unread notifications."}},
        },
        tags=TAG,
        parameters=[
            OpenApiParameter("unread", bool, description="Only unread notifications."),
        ],
        responses={200: NotificationSerializer(many=True)},
    )
    def get(self, request: Request) -> ApiResponse:
        query = NotificationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        unread_only = query.validated_data["unread"]
        notifications = selectors.notification_list(user=_user(request), unread_only=unread_only)
        # Both counts in one query: the page's total and meta.unreadCount were two.
        total, unread = selectors.notification_counts(user=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self, total=unread if unread_only else total)
        # Fields built once per process: building them was a large share of this list's CPU.
        data = represent_many(NotificationSerializer, page)
        return paginator.get_paginated_response(data, meta={"unreadCount": unread})


class NotificationReadView(APIView):
    @api_operation(
        summary="Mark a notification read",
        description="Marks one of the caller's notifications read and returns it.",
        access="The notification's recipient.",
        errors=[NOT_MINE],
        operation_id="notifications_read",
        tags=TAG,
        request=None,
        responses={200: NotificationSerializer},
    )
    def put(self, request: Request, notification_id: UUID) -> ApiResponse:
        notification = services.notification_mark_read(user=_user(request), notification_id=notification_id)
        return ApiResponse(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @api_operation(
        summary="Mark all my notifications read",
        description="Marks every unread notification of the caller read; `updated` says how many changed.",
        access="Signed-in users.",
        operation_id="notifications_read_all",
        tags=TAG,
        request=None,
        responses={200: ReadAllResultSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        updated = services.notifications_mark_all_read(user=_user(request))
        return ApiResponse({"updated": updated})


class NotificationDetailView(APIView):
    @api_operation(
        summary="Delete a notification",
        description="Deletes one of the caller's notifications.",
        access="The notification's recipient.",
        errors=[NOT_MINE],
        operation_id="notifications_delete",
        tags=TAG,
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request: Request, notification_id: UUID) -> ApiResponse:
        services.notification_delete(user=_user(request), notification_id=notification_id)
        return ApiResponse(status=204)
