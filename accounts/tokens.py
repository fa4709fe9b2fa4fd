"""Access and refresh JWTs and the revocation of access tokens.

Every token carries the claims ``userId``, ``username``, ``email``, ``role``,
``sid`` (its :class:`~accounts.models.AuthSession`, the refresh-token family),
``jti``, ``iat``, ``exp`` and ``token_type``. Signing, the pinned algorithm and
the lifetimes come from ``settings.SIMPLE_JWT``.

Access tokens are never looked up in the database. A revoked session or a
logged-out access token is written to the cache for one access lifetime, and
:func:`check_access_token` reads both keys (plus the activity gate) with a
single ``get_many``.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from .errors import TokenInvalid
from .models import User

Claims = dict[str, Any]

ACCESS = "access"
REFRESH = "refresh"
# last_active_at is written at most once per this many seconds per user.
ACTIVITY_WRITE_INTERVAL = 60
# The authenticated user's row is cached beside the revocation keys, so a
# request reads both in one round trip and runs no query for its user.
# Every save or delete of a user drops the entry (accounts.receivers).
USER_CACHE_SECONDS = 300
_REQUIRED_CLAIMS = ("userId", "sid", "jti", "exp", "token_type")


@dataclass(frozen=True)
class IssuedPair:
    access: str
    refresh: str
    refresh_jti: str
    refresh_expires_at: datetime


@dataclass(frozen=True)
class AccessCheck:
    user: User
    claims: Claims
    # Whether last_active_at was written within ACTIVITY_WRITE_INTERVAL.
    recently_active: bool


def access_lifetime() -> timedelta:
    return api_settings.ACCESS_TOKEN_LIFETIME


def refresh_lifetime() -> timedelta:
    return api_settings.REFRESH_TOKEN_LIFETIME


def _stamp(token: Token, user: User, session_id: uuid.UUID) -> Token:
    token["userId"] = str(user.pk)
    token["username"] = user.username
    token["email"] = user.email
    token["role"] = user.role
    token["sid"] = str(session_id)
    return token


def issue_pair(*, user: User, session_id: uuid.UUID) -> IssuedPair:
    """A new access and refresh token of the session ``session_id``.

    The refresh token is recorded as outstanding so that simplejwt's blacklist
    (and ``flushexpiredtokens``) know about it.
    """
    refresh = _stamp(RefreshToken(), user, session_id)
    access = _stamp(AccessToken(), user, session_id)
    encoded_refresh = str(refresh)
    expires_at = datetime_from_epoch(refresh["exp"])
    OutstandingToken.objects.create(
        user=user,
        jti=refresh["jti"],
        token=encoded_refresh,
        created_at=refresh.current_time,
        expires_at=expires_at,
    )
    return IssuedPair(str(access), encoded_refresh, refresh["jti"], expires_at)


def decode_token(raw: str, token_type: str) -> Claims:
    """Verify signature, expiry and type of ``raw``; raise :class:`TokenInvalid` otherwise."""
    try:
        claims = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # the stubs say Token; it takes the encoded string
    except TokenBackendError as exc:
        raise TokenInvalid() from exc
    if not isinstance(claims, dict) or any(name not in claims for name in _REQUIRED_CLAIMS):
        raise TokenInvalid()
    if claims["token_type"] != token_type:
        raise TokenInvalid()
    try:
        uuid.UUID(str(claims["userId"]))
        uuid.UUID(str(claims["sid"]))
    except ValueError as exc:
        raise TokenInvalid() from exc
    return claims


def _revoked_sid_key(sid: str) -> str:
    return f"auth:revoked:sid:{sid}"


def _revoked_jti_key(jti: str) -> str:
    return f"auth:revoked:jti:{jti}"


def _activity_key(user_id: str) -> str:
    return f"auth:active:{user_id}"


def _user_key(user_id: str) -> str:
    return f"auth:user:{user_id}"


def forget_user(user_id: Any) -> None:
    """Drop the cached row of a user whose row changed."""
    cache.delete(_user_key(str(user_id)))


def revoke_access(*, sids: Iterable[str] = (), jtis: Iterable[str] = ()) -> None:
    """Reject access tokens of these sessions / with these ids from now on.

    The keys only need to outlive the longest-lived access token that could
    still carry them: one access lifetime.
    """
    keys = {_revoked_sid_key(str(sid)): 1 for sid in sids}
    keys.update({_revoked_jti_key(str(jti)): 1 for jti in jtis})
    if keys:
        cache.set_many(keys, timeout=int(access_lifetime().total_seconds()) + 1)


def check_access_token(raw: str) -> AccessCheck:
    """Validate an access token with one cache round trip (and a user query on a cache miss)."""
    claims = decode_token(raw, ACCESS)
    sid_key, jti_key = _revoked_sid_key(claims["sid"]), _revoked_jti_key(claims["jti"])
    activity_key, user_key = _activity_key(claims["userId"]), _user_key(claims["userId"])
    found = cache.get_many([sid_key, jti_key, activity_key, user_key])
    if sid_key in found or jti_key in found:
        raise TokenInvalid()
    user = found.get(user_key)
    if user is None:
        user = User.objects.filter(pk=claims["userId"]).first()
        if user is None:
            raise TokenInvalid()
        cache.set(user_key, user, timeout=USER_CACHE_SECONDS)
    if not user.is_active:
        raise TokenInvalid()
    return AccessCheck(user, claims, activity_key in found)


def user_for_access_token(raw: str) -> tuple[User, Claims]:
    """The active user of a valid, unrevoked access token, and its claims.

    Used by HTTP authentication and by the WebSocket consumer; raises
    :class:`accounts.errors.TokenInvalid` for anything else.
    """
    check = check_access_token(raw)
    return check.user, check.claims


def touch_activity(user: User) -> None:
    """Record that ``user`` is active, writing at most once a minute per user."""
    if cache.add(_activity_key(str(user.pk)), 1, timeout=ACTIVITY_WRITE_INTERVAL):
        User.objects.filter(pk=user.pk).update(last_active_at=timezone.now())
        forget_user(user.pk)
