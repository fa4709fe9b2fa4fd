"""Analytics endpoints: validate the query, check membership, return the cached report."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from analytics import reports
from groups.models import Group
from groups.selectors import active_membership
from hucares.core.apidoc import api_operation
from hucares.core.errors import NotFound, ValidationFailed
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
NOT_MEMBER = (NotFound, "the group does not exist or the caller is not a member")
BAD_QUERY = (ValidationFailed, "`weeks` is not a whole number from 1 to 104, or `groupId` is not a UUID")


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
    @api_operation(
        summary="My score trends",
        description="The caller's own check-ins averaged per calendar week over the last `weeks` weeks (all "
        "groups, or one), with per-dimension trends; weeks without data are left out.",
        access="Signed-in users; with `groupId`, members of that group.",
        errors=[NOT_MEMBER, BAD_QUERY],
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
    @api_operation(
        summary="A group's figures",
        description="One entry per period of the group's own frequency: participation (members who checked "
        "in / members on record) and averages. Counts include hidden check-ins; averages include only "
        "scores the caller may see.",
        access="Members of the group.",
        errors=[NOT_MEMBER, BAD_QUERY],
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
    @api_operation(
        summary="Me against my group",
        description="The caller's averages against the group's (visible scores of active members, the "
        "caller included), the difference, and the caller's percentile among the other members "
        "(ties count half; null when no one else is visible).",
        access="Members of the group.",
        errors=[NOT_MEMBER, BAD_QUERY],
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
    @api_operation(
        summary="My insights",
        description="Short observations about the caller's recent check-ins, in a fixed order, each left "
        "out without enough data: trends, streak milestones, weakest and strongest dimension, "
        "correlations, group participation drops, and the caller against their group.",
        access="Signed-in users.",
        operation_id="analytics_insights",
        tags=["analytics"],
        responses=INSIGHT_LIST,
    )
    def get(self, request: Request) -> ApiResponse:
        return ApiResponse(reports.insights_report(user=request.user))  # type: ignore[arg-type]
