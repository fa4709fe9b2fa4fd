"""HTTP for check-ins: parse, call a service or selector, shape the answer."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any
from uuid import UUID

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.permissions import VerifiedEmailRequired
from groups.api.fields import actor
from groups.cache import viewer_group
from groups.models import Group
from groups.periods import period_start_for_date
from hucares.core.camel import camelize
from hucares.core.errors import NotFound, ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.responses import ApiResponse
from hucares.core.schema import NO_ENVELOPE

from .. import selectors, services
from ..models import CheckIn
from .serializers import CheckInSerializer, CheckInSubmitSerializer, CheckInWriteSerializer, CurrentPeriodSerializer

TAG = ["checkins"]
EXPORT_COLUMNS = [
    "id",
    "groupId",
    "weekStartDate",
    "productive",
    "satisfied",
    "body",
    "care",
    "huCaresScore",
    "reflectionNote",
    "moodEmoji",
    "energyLevel",
    "isPrivate",
    "submittedAt",
    "updatedAt",
]


def _query_date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.for_field(name, f"{name} must be a date (YYYY-MM-DD).") from None


def _query_uuid(request: Request, name: str) -> UUID | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise ValidationFailed.for_field(name, f"{name} must be a UUID.") from None


def _own_check_in(check_in_id: UUID, request: Request) -> CheckIn:
    check_in = CheckIn.objects.filter(pk=check_in_id, user=actor(request)).first()
    if check_in is None:
        raise NotFound()
    return check_in


GROUP_FILTER = OpenApiParameter("groupId", OpenApiTypes.UUID, description="Only this group's check-ins.")


class CheckInListView(APIView):
    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), VerifiedEmailRequired()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="checkins_list",
        tags=TAG,
        parameters=[
            GROUP_FILTER,
            OpenApiParameter("from", OpenApiTypes.DATE, description="Periods starting on or after this date."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Periods starting on or before this date."),
        ],
        responses=CheckInSerializer(many=True),
    )
    def get(self, request: Request) -> ApiResponse:
        queryset = selectors.own_checkins(
            user=actor(request),
            group_id=_query_uuid(request, "groupId"),
            date_from=_query_date(request, "from"),
            date_to=_query_date(request, "to"),
        )
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(queryset, request, self)
        data = [selectors.checkin_for_viewer(check_in, viewer_id=actor(request).pk) for check_in in page]
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="checkins_create", tags=TAG, request=CheckInSubmitSerializer, responses={201: CheckInSerializer}
    )
    def post(self, request: Request) -> ApiResponse:
        serializer = CheckInSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check_in = services.checkin_submit(user=actor(request), **serializer.validated_data)
        payload = selectors.checkin_for_viewer(check_in, viewer_id=actor(request).pk)
        return ApiResponse(payload, status=201, message="Check-in submitted")


class CheckInCurrentView(APIView):
    @extend_schema(operation_id="checkins_current", tags=TAG, responses=CurrentPeriodSerializer(many=True))
    def get(self, request: Request) -> ApiResponse:
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.current_periods(user=actor(request)), request, self)
        return paginator.get_paginated_response(page)


class CheckInHistoryView(APIView):
    @extend_schema(
        operation_id="checkins_history",
        tags=TAG,
        parameters=[GROUP_FILTER],
        description="Own check-ins, newest first; meta.summary holds totalCheckIns, averageScore, "
        "highestScore, currentStreak and longestStreak (streaks counted in each group's frequency).",
        responses=CheckInSerializer(many=True),
    )
    def get(self, request: Request) -> ApiResponse:
        group_id = _query_uuid(request, "groupId")
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(
            selectors.own_checkins(user=actor(request), group_id=group_id), request, self
        )
        data = [selectors.checkin_for_viewer(check_in, viewer_id=actor(request).pk) for check_in in page]
        summary = selectors.history_summary(user=actor(request), group_id=group_id)
        return paginator.get_paginated_response(data, meta={"summary": summary})


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` names the export's file format here, not a DRF renderer."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(camelize(row), ensure_ascii=False)
    yield "]\n"


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(camelize(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


class CheckInExportView(APIView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        operation_id="checkins_export",
        tags=TAG,
        extensions={NO_ENVELOPE: True},
        parameters=[OpenApiParameter("format", str, enum=["csv", "json"], default="json")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Every own check-in as CSV."),
            (200, "application/json"): OpenApiResponse(
                CheckInSerializer(many=True), description="Every own check-in as a JSON array (no envelope)."
            ),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        export_format = request.query_params.get("format", "json")
        if export_format not in ("csv", "json"):
            raise ValidationFailed.for_field("format", "format must be csv or json.")
        rows = selectors.export_rows(user=actor(request))
        if export_format == "csv":
            response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        else:
            response = StreamingHttpResponse(_json_lines(rows), content_type="application/json")
        filename = f"hucares-checkins-{timezone.now().date().isoformat()}.{export_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _period_for(request: Request, group: Group) -> date:
    week = _query_date(request, "week")
    if week is None:
        return selectors.current_period_start(group)
    return period_start_for_date(group.check_in_frequency, week, group.period_anchor)


class GroupCheckInsView(APIView):
    @extend_schema(
        operation_id="checkins_group_list",
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "week", OpenApiTypes.DATE, description="Any day of the period wanted; default the current one."
            )
        ],
        description="A group's check-ins of one period; meta.periodStart names the period. Scores the "
        "caller may not see are null.",
        responses=CheckInSerializer(many=True),
    )
    def get(self, request: Request, group_id: UUID) -> ApiResponse:
        group = viewer_group(group_id, actor(request))
        if group is None:
            raise NotFound()
        start = _period_for(request, group)
        rows = selectors.group_period_rows(group_id=group.pk, start=start)
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(rows, request, self)
        data = [selectors.period_payload(entry, viewer_id=actor(request).pk) for entry in page]
        return paginator.get_paginated_response(data, meta={"periodStart": start.isoformat()})


class CheckInDetailView(APIView):
    def _update(self, request: Request, check_in_id: UUID, *, partial: bool) -> ApiResponse:
        serializer = CheckInWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        check_in = _own_check_in(check_in_id, request)
        check_in = services.checkin_update(check_in=check_in, user=actor(request), **serializer.validated_data)
        return ApiResponse(selectors.checkin_for_viewer(check_in, viewer_id=actor(request).pk))

    @extend_schema(
        operation_id="checkins_update", tags=TAG, request=CheckInWriteSerializer, responses=CheckInSerializer
    )
    def put(self, request: Request, check_in_id: UUID) -> ApiResponse:
        return self._update(request, check_in_id, partial=False)

    @extend_schema(
        operation_id="checkins_partial_update", tags=TAG, request=CheckInWriteSerializer, responses=CheckInSerializer
    )
    def patch(self, request: Request, check_in_id: UUID) -> ApiResponse:
        return self._update(request, check_in_id, partial=True)

    @extend_schema(operation_id="checkins_destroy", tags=TAG, responses={204: None})
    def delete(self, request: Request, check_in_id: UUID) -> ApiResponse:
        services.checkin_delete(check_in=_own_check_in(check_in_id, request), user=actor(request))
        return ApiResponse(status=204)
