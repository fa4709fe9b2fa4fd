"""``GET /api/v1/events`` through Django: documents the long-poll and serves it where Django does.

Under daphne the same path is served by :func:`realtime.longpoll.events_app`
before Django sees it; both share :func:`realtime.longpoll.events_wait`.
"""

from typing import cast

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from hucares.core.apidoc import api_operation
from hucares.core.errors import ValidationFailed
from hucares.core.responses import ApiResponse

from ..errors import ResyncRequired
from ..longpoll import events_wait, page_data, parse_query

EVENTS_PAGE = inline_serializer(
    "EventPage",
    {
        "events": serializers.ListField(
            child=serializers.DictField(),
            help_text='Event frames, oldest first, each {"event", "data", "cursor"} as on the socket.',
        ),
        "cursor": serializers.CharField(help_text="Pass as `since` next time (the last event's cursor)."),
    },
)


class EventsView(APIView):
    @api_operation(
        summary="Poll the event stream",
        access="any signed-in user: their own stream only",
        errors=[
            (ValidationFailed, "`since` is not a cursor, or `wait` is not 0 to 25 seconds"),
            (
                ResyncRequired,
                "events after `since` are no longer kept (7 days, 1,000 events): refetch, then poll from "
                "`error.details.cursor`",
            ),
        ],
        operation_id="events_poll",
        tags=["events"],
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="The last cursor the client has (from `connected`, a frame or an earlier poll). "
                "Without it the answer comes at once with no events and the current cursor.",
            ),
            OpenApiParameter(
                "wait",
                float,
                description="Seconds (0 to 25) to wait for the first event after `since` when there is none yet.",
            ),
        ],
        responses={200: EVENTS_PAGE},
        description="The caller's event stream after a cursor, in order, for clients without a WebSocket; "
        "the same cursors as the socket's frames.",
    )
    def get(self, request: Request) -> ApiResponse:
        since, wait = parse_query(since=request.query_params.get("since"), wait=request.query_params.get("wait"))
        user = cast(User, request.user)  # IsAuthenticated has run
        page = async_to_sync(events_wait)(user_id=user.pk, since=since, wait=wait)
        return ApiResponse(page_data(page))
