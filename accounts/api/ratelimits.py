"""Limits on failed authentication attempts.

A view is first checked without counting; only the failures named by the
view count. A user who types the password right on the first try is never
slowed down, while guessing stops after ``RATELIMIT_AUTH`` failures from one
address (an IPv6 /64 counts as one), and after ``RATELIMIT_AUTH_ACCOUNT``
failures against one account from anywhere (a botnet spreading its guesses
over many addresses). The account is the one the typed email or username
names, so its two spellings share one count.

Floods that do not fail are bounded too: registrations per address block
(``RATELIMIT_REGISTER_BLOCK``) and reset emails per address
(``RATELIMIT_RESET_ADDRESS``).
"""

import contextlib
import functools
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from rest_framework.request import Request

from accounts.models import User, normalize_email
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
    """The account a sign-in names, as the limit counts it: one bucket per account whatever the spelling.

    Login takes the email, or the username without one; both resolve to the
    account. A name with no account is counted as typed (case and spaces do
    not matter), so guessing at unknown names is bounded as well.
    """
    data = request.data if isinstance(request.data, dict) else {}
    for field in ("email", "username"):
        value = data.get(field)
        if isinstance(value, str) and value.strip():
            typed = value.strip().lower()
            lookup = {"email__iexact": normalize_email(typed)} if field == "email" else {"username__iexact": typed}
            # PostgreSQL text cannot hold NUL; no account's name contains one.
            found = User.objects.filter(**lookup).values_list("pk", flat=True) if "\x00" not in typed else None
            user_id = found.first() if found is not None else None
            return f"user:{user_id}" if user_id is not None else f"{field}:{typed}"
    return None


def address_block(ip: str) -> str:
    """The block a registration limit counts: the /24 of an IPv4 address, the /64 of an IPv6 one."""
    key = client_rate_key(ip)
    try:
        address = ipaddress.ip_address(key)
    except ValueError:
        return key  # already a /64, or not an address at all
    if isinstance(address, ipaddress.IPv4Address):
        return str(ipaddress.ip_network(f"{address}/24", strict=False))
    return key


def count_registration(request: Request) -> None:
    """Count a registration from the client's address block; 429 once the block has too many."""
    check_rate(
        request._request,
        group="auth-register-block",
        rate=settings.RATELIMIT_REGISTER_BLOCK,
        key=address_block(client_ip(request)),
    )


def reset_email_allowed(request: Request, email: str) -> bool:
    """Whether one more reset email may go to ``email``, whoever asks (an inbox is not a target)."""
    # Hashed: rate-limit keys end up in Redis dumps and monitors.
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    try:
        check_rate(request._request, group="auth-reset-address", rate=settings.RATELIMIT_RESET_ADDRESS, key=digest)
    except RateLimited:
        return False
    return True


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
