"""The admin's sign-in limit (django-axes), answered like the API's 429.

Axes counts failed admin sign-ins per client address and per account, each
on its own (``AXES_LOCKOUT_PARAMETERS``), in its database tables, so a
lockout survives a cache loss. The address is the one the API's limits use
(an IPv6 client's /64), the account is the typed email, normalised.
"""

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse

from hucares.core.envelope import error_response
from hucares.core.errors import RateLimited
from hucares.core.ratelimit import client_ip
from hucares.core.security import ADMIN_LOCKED_OUT, security_event

from .models import normalize_email


def axes_client_ip(request: HttpRequest) -> str | None:
    """``client_ip``, with an IPv6 address replaced by the first address of its /64 (axes stores an address).

    ``None`` when there is no address (a request made in code, not over a socket).
    """
    try:
        parsed = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed.ipv4_mapped if isinstance(parsed, ipaddress.IPv6Address) else parsed)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a sign-in names: ``Admin@Example.com `` and ``admin@example.com`` are one."""
    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    return normalize_email(str(raw))


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """429 with ``Retry-After`` and the error envelope, as the API answers a limit."""
    security_event(ADMIN_LOCKED_OUT, client_ip=client_ip(request))
    error = RateLimited("Too many failed sign-ins. Try again later.")
    response = error_response(error.status, error.code, error.detail_message)
    # The API's 429 headers; the cool-off is the longest the lock can still last.
    response["Retry-After"] = response["RateLimit-Reset"] = str(cool_off_seconds())
    response["RateLimit-Limit"] = str(settings.AXES_FAILURE_LIMIT)
    response["RateLimit-Remaining"] = "0"
    return response


class UnsuspendedModelBackend(ModelBackend):
    """Django's model backend, refusing suspended accounts as it refuses inactive ones.

    ``user_can_authenticate`` is asked at sign-in and again for every request
    of a signed-in admin session (``get_user``), so a suspension also ends a
    moderator's admin session at their next request.
    """

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "suspended_at", None) is None
