"""Per-IP limits on failed authentication attempts.

A view is first checked without counting; only the failures named by the
view count. A user who types the password right on the first try is never
slowed down, while guessing stops after ``RATELIMIT_AUTH`` failures.
"""

import contextlib
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from rest_framework.request import Request

from hucares.core.errors import RateLimited
from hucares.core.ratelimit import check_rate, client_ip

View = TypeVar("View", bound=Callable[..., Any])


def count_failure(request: Request, group: str) -> None:
    # This attempt already failed on its own; the next one gets the 429.
    with contextlib.suppress(RateLimited):
        check_rate(request._request, group=group, rate=settings.RATELIMIT_AUTH, key=client_ip(request))


def limit_failures(group: str, counted: tuple[type[Exception], ...]) -> Callable[[View], View]:
    """Refuse with 429 once an IP has too many ``counted`` failures in ``group``."""

    def decorate(method: View) -> View:
        @functools.wraps(method)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Any:
            key = client_ip(request)
            check_rate(request._request, group=group, rate=settings.RATELIMIT_AUTH, key=key, increment=False)
            try:
                return method(view, request, *args, **kwargs)
            except counted:
                count_failure(request, group)
                raise

        return wrapper  # type: ignore[return-value]

    return decorate
