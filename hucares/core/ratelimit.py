"""Rate limits on the shared cache, with the contract's 429.

``client_ip`` is the one place that decides who the client is: ``REMOTE_ADDR``,
or the address ``TRUSTED_PROXY_COUNT`` hops from the right of
``X-Forwarded-For`` when the app runs behind that many proxies.
``client_rate_key`` is who the client is for a limit: an IPv6 client owns a
whole /64, so all of it counts as one.

Counting is django-ratelimit's fixed windows (``get_usage``). A counter
that vanished mid-count made it refuse an innocent request with a 429; with
``RATELIMIT_FAIL_OPEN`` it reports that instead, and the hit is counted
again, so only a real excess is refused. A cache that cannot be reached at
all (Redis down) fails open too: every limit lets requests through until it
is back, rather than the API refusing everyone.
"""

import ipaddress
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage as ratelimit_usage
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .cache import guarded
from .errors import RateLimited
from .security import RATE_LIMITED, security_event

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


def client_rate_key(ip: str) -> str:
    """The address a limit counts: an IPv4 address, or the /64 an IPv6 address is in.

    One IPv6 host gets a /64 (or more) from its provider and can use every
    address in it, so counting single addresses would not limit it at all.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# django-ratelimit gives up on a hit whose counter vanished between its
# ``add`` and ``incr`` (an eviction, a flush, a failover); with
# ``RATELIMIT_FAIL_OPEN`` it says so by returning nothing, and the hit is
# simply counted again. A cache that keeps failing, or cannot be reached at
# all, lets the hit through.
_ATTEMPTS = 3


def get_usage(request: HttpRequest, *, group: str, key: str, rate: str, increment: bool) -> Usage:
    """Count (or only read) one hit of ``key`` in ``group`` in django-ratelimit's current window."""

    def count() -> Usage | None:
        return ratelimit_usage(request, group=group, key=lambda _group, _request: key, rate=rate, increment=increment)

    limit = int(rate.partition("/")[0])
    let_through: Usage = {"count": int(increment), "limit": limit, "should_limit": False, "time_left": 0}
    unreachable: Usage | None = let_through
    for _ in range(_ATTEMPTS):
        # An unreachable cache answers at once with the open door: no retry waits on a dead server.
        usage = guarded(unreachable, count)
        if usage is not None:
            return usage
    return let_through


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
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    if usage["should_limit"] if increment else usage["count"] >= usage["limit"]:
        # Only the hit that crosses the limit is logged, not every refused one.
        if not increment or usage["count"] == usage["limit"] + 1:
            security_event(RATE_LIMITED, group=group, limit=usage["limit"])
        raise rate_limited_error(usage)
    return usage


class ApiRateThrottle(BaseThrottle):
    """The API-wide limit: per user when authenticated, per IP otherwise."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        user = request.user
        if user and user.is_authenticated:
            rate, key = settings.RATELIMIT_USER, f"user:{user.pk}"
        else:
            rate, key = settings.RATELIMIT_ANON, f"ip:{client_rate_key(client_ip(request))}"
        usage = check_rate(request, group="api", rate=rate, key=key)
        if usage is not None:
            request._request.ratelimit_usage = usage  # type: ignore[attr-defined]
        return True

    def wait(self) -> float | None:
        return None
