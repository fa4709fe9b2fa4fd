"""Rate limits on the shared cache, with the contract's 429.

``client_ip`` is the one place that decides who the client is: ``REMOTE_ADDR``,
or the address ``TRUSTED_PROXY_COUNT`` hops from the right of
``X-Forwarded-For`` when the app runs behind that many proxies.
``client_rate_key`` is who the client is for a limit: an IPv6 client owns a
whole /64, so all of it counts as one.

Counting is ``add`` (create the window's counter with its expiry) then
``incr``, in fixed windows as django-ratelimit counted. django-ratelimit
failed closed when the counter vanished between the two (an eviction, a
flush, a failover) and refused an innocent request with a 429; here the
count simply starts again, so only a real excess is refused.
"""

import hashlib
import ipaddress
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .errors import RateLimited
from .security import RATE_LIMITED, security_event

if TYPE_CHECKING:
    from rest_framework.views import APIView

Usage = dict[str, Any]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Counters live a little past their window, so a late read still finds them.
_EXPIRY_FUDGE = 5


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


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/15m"`` -> ``(5, 900)``: a count per a number of seconds, minutes, hours or days."""
    count, _, period = rate.partition("/")
    unit = _UNITS[period[-1]]
    return int(count), int(period[:-1] or 1) * unit


def _counted(key: str, timeout: int, increment: bool) -> int:
    if not increment:
        return int(cache.get(key, 0))
    for _ in range(3):
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:
            # The counter vanished after add saw it: create it again.
            continue
    # Vanishing three times in a row: the cache is failing; this hit counts as the first.
    return 1


def get_usage(*, group: str, key: str, rate: str, increment: bool) -> Usage:
    """Count (or only read) one hit of ``key`` in ``group`` in the current fixed window."""
    limit, period = parse_rate(rate)
    now = int(time.time())
    window_end = now - now % period + period
    digest = hashlib.sha256(f"{group}:{key}".encode()).hexdigest()
    count = _counted(f"rl:{group}:{rate}:{window_end}:{digest}", period + _EXPIRY_FUDGE, increment)
    return {"count": count, "limit": limit, "should_limit": count > limit, "time_left": window_end - now}


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
    usage = get_usage(group=group, key=key, rate=rate, increment=increment)
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
