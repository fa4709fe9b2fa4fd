"""Health, metrics and the JSON handlers for errors outside DRF."""

import hmac
import logging
import uuid
from collections.abc import Callable
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from .apidoc import api_operation
from .envelope import error_envelope, error_response
from .errors import ServiceUnavailable
from .metrics import render_metrics
from .ratelimit import client_ip
from .responses import ApiResponse

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 1.0


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # From the settings: the pub/sub layer answers attributes only inside an event loop.
    hosts = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {}).get("hosts")
    if hosts:
        address = hosts[0] if isinstance(hosts[0], str) else hosts[0]["address"]
        client = redis.Redis.from_url(
            address, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    else:
        # The in-memory layer: a round trip through a fresh channel.
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.send)(channel, {"type": "health.ping"})
        async_to_sync(layer.receive)(channel)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "channelLayer": _check_channel_layer,
}
# Checks of Redis: without it the API keeps serving (no cache, rate limits
# open, live events delayed until it is back), so its failure degrades the
# service instead of taking it out of rotation.
DEGRADING_CHECKS = frozenset({"cache", "channelLayer"})


def run_health_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
            results[name] = "error"
    return results


HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "error"]),
        "checks": serializers.DictField(child=serializers.ChoiceField(choices=["ok", "error"])),
        "version": serializers.CharField(),
    },
)


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @api_operation(
        summary="Readiness",
        description="Checks the database, the cache and the channel layer. With only Redis (the cache or the "
        "channel layer) down the API still serves: 200 with `status: degraded`, the message naming Redis "
        "and the failing checks. With the database down the answer is 503 `SERVICE_UNAVAILABLE` whose "
        "message names the failing checks and whose `details` carry `{status, checks, version}`. "
        "Not rate-limited.",
        access="Anyone (no token).",
        anonymous=True,
        infrastructure=False,
        errors=[(ServiceUnavailable, "a check failed; `details.checks` says which")],
        operation_id="health",
        responses={200: HealthSerializer},
        tags=["health"],
    )
    def get(self, request: Request) -> ApiResponse:
        checks = run_health_checks()
        failed = [name for name, state in checks.items() if state != "ok"]
        if not failed:
            return ApiResponse({"status": "ok", "checks": checks, "version": settings.APP_VERSION})
        if DEGRADING_CHECKS.issuperset(failed):
            body = {"status": "degraded", "checks": checks, "version": settings.APP_VERSION}
            return ApiResponse(body, message=f"Degraded: Redis unreachable ({', '.join(failed)})")
        body = {"status": "error", "checks": checks, "version": settings.APP_VERSION}
        response = ApiResponse(
            error_envelope("SERVICE_UNAVAILABLE", f"Unavailable: {', '.join(failed)}", details=body), status=503
        )
        response.envelope_is_error = True  # type: ignore[attr-defined]
        return response


LivenessSerializer = inline_serializer("Liveness", {"status": serializers.ChoiceField(choices=["ok"])})


class LivenessView(APIView):
    # Liveness: the process answers. No dependency is touched, so a load
    # balancer does not restart healthy servers while the database is down.

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @api_operation(
        summary="Liveness",
        description="Answers as long as the process serves requests; touches no dependency. Not rate-limited.",
        access="Anyone (no token).",
        anonymous=True,
        infrastructure=False,
        operation_id="health_live",
        responses={200: LivenessSerializer},
        tags=["health"],
    )
    def get(self, request: Request) -> ApiResponse:
        return ApiResponse({"status": "ok"})


ASYNCAPI_DOCUMENT = settings.BASE_DIR / "docs" / "asyncapi.yaml"


@require_safe
def asyncapi_view(request: HttpRequest) -> FileResponse:
    """The WebSocket protocol (AsyncAPI 3.0), served as committed: the OpenAPI schema's companion."""
    return FileResponse(ASYNCAPI_DOCUMENT.open("rb"), content_type="application/yaml; charset=utf-8")


def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    allowed = client_ip(request) in settings.METRICS_ALLOWED_IPS or (
        bool(token) and hmac.compare_digest(supplied.encode(), token.encode())
    )
    if not allowed:
        return error_response(403, "PERMISSION_DENIED", "Metrics are not available to this client.")
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(404, "NOT_FOUND", "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(500, "INTERNAL_ERROR", "An unexpected error occurred.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(400, "MALFORMED_REQUEST", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(403, "PERMISSION_DENIED", "You do not have permission to do this.")
