"""``GET /api/v1/events`` through Django: documents the long-poll and serves it where Django does.

Under daphne the same path is served by :func:`realtime.longpoll.events_app`
before Django sees it; both share :func:`realtime.longpoll.events_wait`.
"""

from typing import cast

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
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
        summary="Wait for my next events (long-poll)",
        description="The caller's event stream after a cursor, in order, for clients without a WebSocket: "
        "the same events and cursors as the socket's frames (`friend-checked-in`, `group-updated`, "
        "`notification` and the device-sync events; see the AsyncAPI document). Without `since` the answer "
        "comes at once with no events and the current cursor: start there. With `since` it waits up to "
        "`wait` seconds for the first event, then answers `cursor` = the last event's cursor (or `since` "
        "when none came). Events are kept 7 days, at most 1,000 per user.",
        access="Signed-in users; their own stream only.",
        errors=[
            (ValidationFailed, "`since` is not a cursor, or `wait` is not a number from 0 to 25"),
            (ResyncRequired, "events after `since` are no longer kept: refetch, then poll from `details.cursor`"),
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
        examples=[
            OpenApiExample(
                "Events",
                response_only=True,
                value={
                    "events": [
                        {
                            "event": "notification",
                            "cursor": "1235",
                            "data": {
                                "id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b",
                                "type": "member_joined",
                                "title": "New member",
                                "message": "bob joined Tuesday climbers",
                                "data": {"groupId": "5d1f0c1e-8a47-4a53-9c55-0c6a2b1e9f10"},
                                "createdAt": "2026-01-05T09:30:00+00:00",
                            },
                        }
                    ],
                    "cursor": "1235",
                },
            )
        ],
    )
    def get(self, request: Request) -> ApiResponse:
        since, wait = parse_query(since=request.query_params.get("since"), wait=request.query_params.get("wait"))
        user = cast(User, request.user)  # IsAuthenticated has run
        page = async_to_sync(events_wait)(user_id=user.pk, since=since, wait=wait)
        return ApiResponse(page_data(page))
