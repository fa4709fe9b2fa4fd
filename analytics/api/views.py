"""Analytics endpoints: validate the query, check membership, return the cached report."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from analytics import reports
from groups.models import Group
from groups.selectors import active_membership
from hucares.core.errors import NotFound
from hucares.core.responses import ApiResponse

from .serializers import (
    INSIGHT_LIST,
    ComparisonQuerySerializer,
    ComparisonSerializer,
    GroupAnalyticsSerializer,
    PersonalAnalyticsSerializer,
    PersonalQuerySerializer,
    WeeksQuerySerializer,
)

WEEKS = OpenApiParameter("weeks", int, description="Calendar weeks to cover, 1..104 (default 12).")
GROUP_ID = OpenApiParameter("groupId", UUID, description="Only this group (member only).")


def _query(request: Request, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
    raw = {"weeks": request.query_params.get("weeks"), "group_id": request.query_params.get("groupId")}
    serializer = serializer_class(data={key: value for key, value in raw.items() if value is not None})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _member_group(request: Request, group_id: UUID) -> Group:
    membership = active_membership(group_id=group_id, user=request.user)  # type: ignore[arg-type]
    if membership is None:
        raise NotFound("Group not found.")
    return membership.group


class PersonalAnalyticsView(APIView):
    @extend_schema(
        operation_id="analytics_personal",
        tags=["analytics"],
        parameters=[WEEKS, GROUP_ID],
        responses=PersonalAnalyticsSerializer,
    )
    def get(self, request: Request) -> ApiResponse:
        query = _query(request, PersonalQuerySerializer)
        group_id = query.get("group_id")
        if group_id is not None:
            _member_group(request, group_id)
        report = reports.personal_report(user=request.user, weeks=query["weeks"], group_id=group_id)  # type: ignore[arg-type]
        return ApiResponse(report)


class GroupAnalyticsView(APIView):
    @extend_schema(
        operation_id="analytics_group",
        tags=["analytics"],
        parameters=[WEEKS],
        responses=GroupAnalyticsSerializer,
    )
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        query = _query(request, WeeksQuerySerializer)
        group = _member_group(request, group_id)
        return ApiResponse(reports.group_report(group=group, viewer=request.user, weeks=query["weeks"]))  # type: ignore[arg-type]


class ComparisonView(APIView):
    @extend_schema(
        operation_id="analytics_comparison",
        tags=["analytics"],
        parameters=[WEEKS, OpenApiParameter("groupId", UUID, required=True, description="The group to compare with.")],
        responses=ComparisonSerializer,
    )
    def get(self, request: Request) -> ApiResponse:
        query = _query(request, ComparisonQuerySerializer)
        group = _member_group(request, query["group_id"])
        return ApiResponse(reports.comparison_report(group=group, viewer=request.user, weeks=query["weeks"]))  # type: ignore[arg-type]


class InsightsView(APIView):
    @extend_schema(operation_id="analytics_insights", tags=["analytics"], responses=INSIGHT_LIST)
    def get(self, request: Request) -> ApiResponse:
        return ApiResponse(reports.insights_report(user=request.user))  # type: ignore[arg-type]
