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
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.errors import EmailNotVerified
from accounts.permissions import VerifiedEmailRequired
from groups.cache import viewer_group
from groups.models import Group
from groups.periods import period_start_for_date
from hucares.core.api import actor
from hucares.core.apidoc import api_operation
from hucares.core.camel import camelize
from hucares.core.errors import NotFound, ValidationFailed
from hucares.core.pagination import PageLimitPagination
from hucares.core.responses import ApiResponse
from hucares.core.schema import NO_ENVELOPE

from .. import selectors, services
from ..errors import CheckInPeriodClosed, DuplicateCheckIn
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
BAD_QUERY = (ValidationFailed, "a query parameter is not a valid date, UUID, page or limit")
HIDDEN_RULE = (
    "Scores, `huCaresScore`, `energyLevel`, `reflectionNote` and `moodEmoji` are null on other "
    "members' check-ins that are private (`isPrivate`) or whose owner's `privacySettings.scores` is "
    "`private`."
)
NOT_OWN = (NotFound, "no check-in of the caller has this id")
EDIT_TEXT = (
    "Changes the caller's own check-in while its period is open; the scores are whole numbers 1-10. "
    "Members get a `friend-checked-in` event with `updated: true`."
)
CHECKIN_EXAMPLE = {
    "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "userId": "0b6c7a52-3f0e-4a8e-9d4b-1f1f2c3d4e5f",
    "username": "ada",
    "groupId": "5d1f0c1e-8a47-4a53-9c55-0c6a2b1e9f10",
    "weekStartDate": "2026-01-05",
    "productive": 7,
    "satisfied": 6,
    "body": 5,
    "care": 3,
    "huCaresScore": 15,
    "reflectionNote": "A long week, a good climb.",
    "moodEmoji": "🙂",
    "energyLevel": 3,
    "isPrivate": False,
    "submittedAt": "2026-01-05T09:30:00Z",
    "updatedAt": "2026-01-05T09:30:00Z",
}


class CheckInListView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAuthenticated(), VerifiedEmailRequired()]
        return [IsAuthenticated()]

    @api_operation(
        summary="List my check-ins",
        description="The caller's own check-ins, newest period first, optionally one group's or a range of periods.",
        access="Signed-in users.",
        errors=[BAD_QUERY],
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

    @api_operation(
        summary="Check in",
        description="Records the caller's check-in for the group's current period (one per member, group "
        "and period): four scores from 1 to 10 (`care` is lower-is-better), an "
        "optional note, emoji and energy level (1-5). `huCaresScore` is "
        "productive + satisfied + body - care. "
        "Members get a `friend-checked-in` event and, if they want one, a notification. With "
        "`isPrivate` the scores are hidden from other members.",
        access="Members of the group (with a verified email where the server requires it).",
        errors=[
            (NotFound, "the group does not exist or the caller is not a member"),
            (DuplicateCheckIn, "the caller already checked in for this period: edit that check-in instead"),
            (EmailNotVerified, "the server requires a verified email and the caller's is not"),
        ],
        operation_id="checkins_create",
        tags=TAG,
        request=CheckInSubmitSerializer,
        responses={201: CheckInSerializer},
        examples=[
            OpenApiExample(
                "Check in",
                request_only=True,
                value={
                    "groupId": "5d1f0c1e-8a47-4a53-9c55-0c6a2b1e9f10",
                    "productive": 7,
                    "satisfied": 6,
                    "body": 5,
                    "care": 3,
                    "reflectionNote": "A long week, a good climb.",
                    "moodEmoji": "🙂",
                    "energyLevel": 3,
                },
            ),
            OpenApiExample("Recorded", response_only=True, status_codes=["201"], value=CHECKIN_EXAMPLE),
        ],
    )
    def post(self, request: Request) -> ApiResponse:
        serializer = CheckInSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check_in = services.checkin_submit(user=actor(request), **serializer.validated_data)
        payload = selectors.checkin_for_viewer(check_in, viewer_id=actor(request).pk)
        return ApiResponse(payload, status=201, message="Check-in submitted")


class CheckInCurrentView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    @api_operation(
        summary="My current periods",
        description="For each of the caller's groups, its current period and the caller's check-in for it "
        "(`checkIn` null when not checked in yet).",
        access="Signed-in users.",
        errors=[BAD_QUERY],
        operation_id="checkins_current",
        tags=TAG,
        responses=CurrentPeriodSerializer(many=True),
    )
    def get(self, request: Request) -> ApiResponse:
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.current_periods(user=actor(request)), request, self)
        return paginator.get_paginated_response(page)


class CheckInHistoryView(APIView):
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    @api_operation(
        summary="My check-in history with a summary",
        description="The caller's own check-ins, newest first. `meta.summary` holds `totalCheckIns`, "
        "`averageScore`, `highestScore`, `currentStreak` and `longestStreak`: streaks are counted per "
        "group in its own frequency and the best group is reported; the current, still open period "
        "does not break a streak.",
        access="Signed-in users.",
        errors=[BAD_QUERY],
        operation_id="checkins_history",
        meta={
            "name": "CheckInHistoryMeta",
            "required": ["summary"],
            "properties": {
                "summary": {
                    "type": "object",
                    "required": ["totalCheckIns", "averageScore", "highestScore", "currentStreak", "longestStreak"],
                    "properties": {
                        "totalCheckIns": {"type": "integer"},
                        "averageScore": {"type": "number", "nullable": True},
                        "highestScore": {"type": "integer", "nullable": True},
                        "currentStreak": {"type": "integer", "description": "Periods in a row, the best group's."},
                        "longestStreak": {"type": "integer"},
                    },
                }
            },
        },
        tags=TAG,
        parameters=[GROUP_FILTER],
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

    @api_operation(
        summary="Download all my check-ins",
        description="Every check-in of the caller as a file download (`Content-Disposition: attachment`), "
        "CSV or a JSON array. This answer is not wrapped in the envelope.",
        access="Signed-in users.",
        errors=[(ValidationFailed, "`format` is neither `csv` nor `json`")],
        operation_id="checkins_export",
        tags=TAG,
        extensions={NO_ENVELOPE: True},
        parameters=[OpenApiParameter("format", str, enum=["csv", "json"], default="json")],
        # JSON first: generated clients type the answer by its first media type.
        responses={
            (200, "application/json"): OpenApiResponse(
                CheckInSerializer(many=True),
                description="Every own check-in: a JSON array (no envelope) by default, CSV with `format=csv`.",
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
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
    # Read by drf-spectacular: documents page/limit and meta.pagination.
    pagination_class = PageLimitPagination

    @api_operation(
        summary="A group's check-ins of one period",
        description="The check-ins of every member for one period of the group (the current one unless "
        "`week` names a day of another); `meta.periodStart` is the period's first day. " + HIDDEN_RULE,
        access="Members of the group.",
        errors=[(NotFound, "the group does not exist or the caller is not a member"), BAD_QUERY],
        operation_id="checkins_group_list",
        meta={
            "name": "GroupPeriodMeta",
            "required": ["periodStart"],
            "properties": {
                "periodStart": {"type": "string", "format": "date", "description": "The period's first day."}
            },
        },
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "week", OpenApiTypes.DATE, description="Any day of the period wanted; default the current one."
            )
        ],
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

    @api_operation(
        summary="Replace my check-in",
        description=EDIT_TEXT + " PUT needs every score; PATCH only what changes.",
        access="The check-in's owner.",
        errors=[NOT_OWN, CheckInPeriodClosed],
        operation_id="checkins_update",
        tags=TAG,
        request=CheckInWriteSerializer,
        responses=CheckInSerializer,
    )
    def put(self, request: Request, check_in_id: UUID) -> ApiResponse:
        return self._update(request, check_in_id, partial=False)

    @api_operation(
        summary="Edit my check-in",
        description=EDIT_TEXT,
        access="The check-in's owner.",
        errors=[NOT_OWN, CheckInPeriodClosed],
        operation_id="checkins_partial_update",
        tags=TAG,
        request=CheckInWriteSerializer,
        responses=CheckInSerializer,
        examples=[OpenApiExample("Edit", request_only=True, value={"care": 4, "reflectionNote": "Better now."})],
    )
    def patch(self, request: Request, check_in_id: UUID) -> ApiResponse:
        return self._update(request, check_in_id, partial=True)

    @api_operation(
        summary="Delete my check-in",
        description="Deletes one of the caller's own check-ins, of any period.",
        access="The check-in's owner.",
        errors=[NOT_OWN],
        operation_id="checkins_delete",
        tags=TAG,
        responses={204: None},
    )
    def delete(self, request: Request, check_in_id: UUID) -> ApiResponse:
        services.checkin_delete(check_in=_own_check_in(check_in_id, request), user=actor(request))
        return ApiResponse(status=204)
