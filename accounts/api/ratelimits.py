"""Limits on failed authentication attempts.

A view is first checked without counting; only the failures named by the
view count. A user who types the password right on the first try is never
slowed down, while guessing stops after ``RATELIMIT_AUTH`` failures from one
address (an IPv6 /64 counts as one), and after ``RATELIMIT_AUTH_ACCOUNT``
failures against one account from anywhere (a botnet spreading its guesses
over many addresses).
"""

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from rest_framework.request import Request

from hucares.core.errors import RateLimited
from hucares.core.ratelimit import check_rate, client_ip, client_rate_key

View = TypeVar("View", bound=Callable[..., Any])
AccountOf = Callable[[Request], str | None]


def _limits(request: Request, group: str, account_of: AccountOf | None) -> list[tuple[str, str, str]]:
    """(group, rate, key) of every limit this request is counted in."""
    limits = [(group, settings.RATELIMIT_AUTH, client_rate_key(client_ip(request)))]
    account = account_of(request) if account_of is not None else None
    if account:
        limits.append((f"{group}-account", settings.RATELIMIT_AUTH_ACCOUNT, account))
    return limits


def count_failure(request: Request, group: str, account_of: AccountOf | None = None) -> None:
    for limit_group, rate, key in _limits(request, group, account_of):
        # This attempt already failed on its own; the next one gets the 429.
        with contextlib.suppress(RateLimited):
            check_rate(request._request, group=limit_group, rate=rate, key=key)


def login_account(request: Request) -> str | None:
    """The account a sign-in names, as the limit counts it (case and spaces do not matter)."""
    data = request.data if isinstance(request.data, dict) else {}
    for field in ("email", "username"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            return f"{field}:{value.strip().lower()}"
    return None


def limit_failures(
    group: str, counted: tuple[type[Exception], ...], account_of: AccountOf | None = None
) -> Callable[[View], View]:
    """Refuse with 429 once an address (or the named account) has too many ``counted`` failures in ``group``."""

    def decorate(method: View) -> View:
        @functools.wraps(method)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            for limit_group, rate, key in _limits(request, group, account_of):
                check_rate(request._request, group=limit_group, rate=rate, key=key, increment=False)
            try:
                return method(view, request, *args, **kwargs)
            except counted:
                count_failure(request, group, account_of)
                raise

        return wrapper  # type: ignore[return-value]

    return decorate
