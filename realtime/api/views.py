"""``GET /api/v1/events``: the long-poll (realtime.longpoll), an async Django view inside the normal middleware.

DRF views are synchronous and would hold a worker thread for the whole
wait, so the view is a plain async Django view. ``EventsView`` is its
schema only: drf-spectacular documents DRF views, and reads the operation
off it (the view points at it as its ``cls``).
"""

from typing import Any, NoReturn

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from hucares.core.apidoc import api_operation
from hucares.core.envelope import envelope_meta, error_envelope
from hucares.core.errors import ApplicationError, NotAuthenticated, RateLimited, TokenInvalid, ValidationFailed
from hucares.core.ratelimit import check_rate
from hucares.core.responses import ApiResponse

from .. import services
from ..db import db_call
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
    """The schema of ``GET /api/v1/events`` (module docstring); ``events_view`` serves it."""

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
            (RateLimited, "over the per-user rate limit, or already 5 waiting requests (`Retry-After`)"),
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
        raise NotImplementedError("served by realtime.api.views.events_view")


_BEARER = {"WWW-Authenticate": 'Bearer realm="api"'}


def _refuse(error: type[ApplicationError]) -> NoReturn:
    raise error(headers=_BEARER)


async def _answer(request: HttpRequest) -> dict[str, Any]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _refuse(NotAuthenticated)
    checked = await db_call(services.token_user)(token.strip())
    if checked is None:
        _refuse(TokenInvalid)
    user = checked[0]
    since, wait = parse_query(since=request.GET.get("since"), wait=request.GET.get("wait"))
    # Counted by the per-user limit of the whole API, as DRF's throttle counts every other call.
    await sync_to_async(check_rate, thread_sensitive=False)(
        request, group="api", rate=settings.RATELIMIT_USER, key=f"user:{user.pk}"
    )
    page = await events_wait(user_id=user.pk, since=since, wait=wait)
    return {"success": True, "data": page_data(page), "meta": envelope_meta()}


# Bearer tokens, no cookies: nothing for CSRF to protect (DRF exempts its views the same way).
@csrf_exempt
@require_GET
async def events_view(request: HttpRequest) -> JsonResponse:
    try:
        body = await _answer(request)
    except ApplicationError as exc:
        response = JsonResponse(error_envelope(exc.code, exc.detail_message, exc.details), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


# The schema generator finds the operation through these (module docstring).
events_view.cls = EventsView  # type: ignore[attr-defined]
events_view.initkwargs = {}  # type: ignore[attr-defined]
