"""Rate limits on the shared cache (django-ratelimit), with the contract's 429.

``client_ip`` is the one place that decides who the client is: ``REMOTE_ADDR``,
or the address ``TRUSTED_PROXY_COUNT`` hops from the right of
``X-Forwarded-For`` when the app runs behind that many proxies.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .errors import RateLimited

if TYPE_CHECKING:
    from rest_framework.views import APIView

Usage = dict[str, Any]


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Each trusted proxy appends the address it saw; the client is the entry
    # the outermost trusted proxy appended. Anything left of it is client-made.
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return remote


def ratelimit_headers(usage: Usage) -> dict[str, str]:
    remaining = max(usage["limit"] - usage["count"], 0)
    reset = max(int(usage["time_left"]), 0)
    return {
        "RateLimit-Limit": str(usage["limit"]),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }


def rate_limited_error(usage: Usage) -> RateLimited:
    headers = ratelimit_headers(usage)
    headers["Retry-After"] = str(max(int(usage["time_left"]), 1))
    return RateLimited(headers=headers)


def check_rate(request: HttpRequest, *, group: str, rate: str, key: str, increment: bool = True) -> Usage | None:
    """Count one hit of ``key`` in ``group``; raise ``RateLimited`` once over ``rate``.

    With ``increment=False`` it only looks (for limits that count failures).
    Returns the usage, or ``None`` when rate limiting is switched off.
    """
    if not settings.RATELIMIT_ENABLE:
        return None
    usage = get_usage(request, group=group, key=lambda _g, _r: key, rate=rate, increment=increment)
    if usage is None:
        return None
    if usage["should_limit"] if increment else usage["count"] >= usage["limit"]:
        raise rate_limited_error(usage)
    return usage


class ApiRateThrottle(BaseThrottle):
    """The API-wide limit: per user when authenticated, per IP otherwise."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if user and user.is_authenticated:
            rate, key = settings.RATELIMIT_USER, f"user:{user.pk}"
        else:
            rate, key = settings.RATELIMIT_ANON, f"ip:{client_ip(request)}"
        usage = check_rate(request, group="api", rate=rate, key=key)
        if usage is not None:
            request._request.ratelimit_usage = usage  # type: ignore[attr-defined]
        return True

    def wait(self) -> float | None:
        return None
