"""Access and refresh JWTs and the revocation of access tokens.

Every token carries the claims ``userId``, ``username``, ``email``, ``role``,
``sid`` (its :class:`~accounts.models.AuthSession`, the refresh-token family),
``jti``, ``iat``, ``exp`` and ``token_type``. Signing, the pinned algorithm and
the lifetimes come from ``settings.SIMPLE_JWT``.

An access token is honoured only while its session row exists and is live.
The row's state is cached as ``live`` or ``revoked``, read with the activity
gate and the user row in a single ``get_many``. Revoking writes ``revoked``
at once; the session row's ``revoked_at`` is the lasting record, so when the
cache lost the key (a Redis restart, a flush, an eviction) the row is read
once and the state cached again: a revoked session stays revoked, and a
session with no row counts as revoked. When Redis cannot be reached at all,
every request reads the rows instead (fail closed, not 503).

Tokens are signed with ``SIMPLE_JWT["SIGNING_KEY"]``; during a key rotation
tokens signed with ``JWT_PREVIOUS_SIGNING_KEY`` are still accepted, never
issued (docs/security.md).
"""

import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from .errors import TokenInvalid
from .models import AuthSession, User

Claims = dict[str, Any]

logger = logging.getLogger(__name__)

ACCESS = "access"
REFRESH = "refresh"
# last_active_at is written at most once per this many seconds per user.
ACTIVITY_WRITE_INTERVAL = 60
# The authenticated user's row is cached beside the revocation keys, so a
# request reads both in one round trip and runs no query for its user.
# Every save or delete of a user drops the entry (accounts.receivers).
USER_CACHE_SECONDS = 300
_REQUIRED_CLAIMS = ("userId", "sid", "jti", "exp", "token_type")
SESSION_LIVE = "live"
SESSION_REVOKED = "revoked"
# How long a session's "live" state is trusted from the cache; a revocation
# overwrites it at once, so this only bounds the rows read after a cache loss.
SESSION_STATE_SECONDS = 300
# Access tokens whose verified claims a process keeps, one per signed-in
# device: a bound on the memory, beyond which the oldest is verified again.
VERIFIED_ACCESS_TOKENS = 4096


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


def _cap_expiry(token: Token, not_after: datetime | None) -> Token:
    if not_after is not None and datetime_from_epoch(token["exp"]) > not_after:
        token.set_exp(from_time=not_after, lifetime=timedelta(0))
    return token


def _successor_jti(seed: str, token_type: str) -> str:
    """The id of the ``token_type`` token replacing the refresh token ``seed``; only the server's key derives it."""
    return salted_hmac(f"hucares.accounts.tokens.successor.{token_type}", seed, algorithm="sha256").hexdigest()[:32]


def _new_token(
    token_class: type[Token], user: User, session_id: uuid.UUID, issued_at: datetime | None, seed: str | None
) -> Token:
    token = _stamp(token_class(), user, session_id)
    if issued_at is not None:
        token.set_iat(at_time=issued_at)
        token.set_exp(from_time=issued_at)
    if seed is not None:
        token["jti"] = _successor_jti(seed, str(token["token_type"]))
    return token


def issue_pair(
    *,
    user: User,
    session_id: uuid.UUID,
    not_after: datetime | None = None,
    successor_of: str | None = None,
    issued_at: datetime | None = None,
    record: bool = True,
) -> IssuedPair:
    """A new access and refresh token of the session ``session_id``.

    Neither outlives ``not_after`` (the session's absolute end). The refresh
    token is recorded as outstanding so that simplejwt's blacklist (and
    ``flushexpiredtokens``) know about it (``record=False`` when it already is).

    A rotation passes the retired refresh token's id as ``successor_of`` and
    the moment of the rotation as ``issued_at``: the new tokens' ids are keyed
    HMACs of it, so the same arguments give the very same pair again, which is
    how a retry within the reuse interval gets it back without any token
    being stored (docs/decisions.md).
    """
    refresh = _cap_expiry(_new_token(RefreshToken, user, session_id, issued_at, successor_of), not_after)
    access = _cap_expiry(_new_token(AccessToken, user, session_id, issued_at, successor_of), not_after)
    encoded_refresh = str(refresh)
    expires_at = datetime_from_epoch(refresh["exp"])
    if record:
        OutstandingToken.objects.create(
            user=user,
            jti=refresh["jti"],
            token=encoded_refresh,
            created_at=refresh.current_time,
            expires_at=expires_at,
        )
    return IssuedPair(str(access), encoded_refresh, refresh["jti"], expires_at)


@functools.lru_cache(maxsize=4)
def _backend_for(key: str) -> TokenBackend:
    """A verifier for tokens signed with ``key``, configured as the current one."""
    return TokenBackend(
        api_settings.ALGORITHM,
        key,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        api_settings.JWK_URL,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
    )


def _verified_claims(raw: str) -> Any:
    """The payload of ``raw`` if the current key (or, in a rotation, the previous one) signed it."""
    try:
        return token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # the stubs say Token; it takes the encoded string
    except TokenBackendExpiredToken:
        raise
    except TokenBackendError:
        previous = settings.JWT_PREVIOUS_SIGNING_KEY
        if not previous:
            raise
        return _backend_for(previous).decode(raw, verify=True)  # type: ignore[arg-type]


def decode_token(raw: str, token_type: str) -> Claims:
    """Verify signature, expiry and type of ``raw``; raise :class:`TokenInvalid` otherwise."""
    try:
        claims = _verified_claims(raw)
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


def _session_key(sid: str) -> str:
    return f"auth:session:{sid}"


def _revoked_jti_key(jti: str) -> str:
    return f"auth:revoked:jti:{jti}"


def _activity_key(user_id: str, sid: str | None = None) -> str:
    return f"auth:active:{user_id}:{sid or ''}"


def _user_key(user_id: str) -> str:
    return f"auth:user:{user_id}"


def forget_user(user_id: Any) -> None:
    """Drop the cached row of a user whose row changed."""
    cache.delete(_user_key(str(user_id)))


def revoke_access(*, sids: Iterable[str] = (), jtis: Iterable[str] = ()) -> None:
    """Reject access tokens of these sessions / with these ids from now on.

    The cache keys only need to outlive the longest-lived access token that
    could still carry them: one access lifetime. A session's lasting record
    is its row's ``revoked_at``, which the caller writes.
    """
    keys: dict[str, Any] = {_session_key(str(sid)): SESSION_REVOKED for sid in sids}
    keys.update({_revoked_jti_key(str(jti)): 1 for jti in jtis})
    if not keys:
        return
    try:
        cache.set_many(keys, timeout=int(access_lifetime().total_seconds()) + 1)
    except redis.RedisError as exc:
        # The rows are written and are what the check reads while Redis is
        # away; a cached "live" that survives the outage expires within
        # SESSION_STATE_SECONDS (docs/security.md, "Sessions").
        logger.warning("revocation not cached: cache unavailable: %s", type(exc).__name__)


def _session_state_from_db(sid: str, *, cache_up: bool = True) -> str:
    """The session's state from its row, cached again for the next requests.

    A session with no row is revoked: a token whose ``sid`` names nothing is
    forged or outlived its session, and either way it must not get in.
    """
    row = AuthSession.objects.filter(pk=sid).values_list("revoked_at", "expires_at").first()
    revoked = row is None or row[0] is not None or row[1] <= timezone.now()
    state = SESSION_REVOKED if revoked else SESSION_LIVE
    if not cache_up:
        return state
    # The row answered; should the cache fail now, the next request reads it again.
    with contextlib.suppress(redis.RedisError):
        if revoked:
            cache.set(_session_key(sid), SESSION_REVOKED, timeout=int(access_lifetime().total_seconds()) + 1)
        else:
            # add, not set: a revocation written meanwhile must win.
            cache.add(_session_key(sid), SESSION_LIVE, timeout=SESSION_STATE_SECONDS)
    return state


def _cached(keys: list[str]) -> dict[str, Any] | None:
    """The cached values of ``keys``, or ``None`` when Redis cannot be reached."""
    try:
        return cache.get_many(keys)
    except redis.RedisError as exc:
        logger.warning("session check reads PostgreSQL: cache unavailable: %s", type(exc).__name__)
        return None


def _user_from_db(user_id: str, *, cache_up: bool) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise TokenInvalid()
    if cache_up:
        with contextlib.suppress(redis.RedisError):
            cache.set(_user_key(user_id), user, timeout=USER_CACHE_SECONDS)
    return user


@functools.lru_cache(maxsize=VERIFIED_ACCESS_TOKENS)
def _verified_access(raw: str, signing_key: str, previous_key: str) -> Claims:
    """The claims of the access token ``raw``, verified once per process for these keys.

    A phone sends the same access token with every request of its lifetime,
    and verifying it (the signature and PyJWT's checks of each segment) was a
    steady share of every small request's CPU. The verified claims of that
    exact string are kept; the keys are part of the cache's key so that a
    rotated key is never answered from it. A failure raises and is not kept.
    """
    return decode_token(raw, ACCESS)


def _access_claims(raw: str) -> Claims:
    """``decode_token(raw, ACCESS)``, with the signature checked once per process and the expiry every time."""
    claims = _verified_access(raw, str(api_settings.SIGNING_KEY), settings.JWT_PREVIOUS_SIGNING_KEY)
    if int(claims["exp"]) + token_backend.get_leeway().total_seconds() <= time.time():
        raise TokenInvalid()
    return dict(claims)  # a copy: the kept claims are shared by every request with this token


def check_access_token(raw: str) -> AccessCheck:
    """Validate an access token with one cache round trip (and queries on a cache miss).

    Without Redis the session and user rows are read from PostgreSQL on every
    request, and single revoked token ids (kept only in the cache) are not
    seen; their sessions' rows are, which is what logout and revocation write.
    """
    claims = _access_claims(raw)
    sid_key, jti_key = _session_key(claims["sid"]), _revoked_jti_key(claims["jti"])
    activity_key, user_key = _activity_key(claims["userId"], claims["sid"]), _user_key(claims["userId"])
    found = _cached([sid_key, jti_key, activity_key, user_key])
    cache_up = found is not None
    found = found or {}
    state = found.get(sid_key) or _session_state_from_db(claims["sid"], cache_up=cache_up)
    if state == SESSION_REVOKED or jti_key in found:
        raise TokenInvalid()
    user = found.get(user_key) or _user_from_db(claims["userId"], cache_up=cache_up)
    if not user.is_active or user.suspended_at is not None:
        raise TokenInvalid()
    # Without the cache the activity gate is unknown: say "recently active" so
    # that no request writes last_active_at while Redis is away.
    return AccessCheck(user, claims, activity_key in found or not cache_up)


def user_for_access_token(raw: str) -> tuple[User, Claims]:
    """The active user of a valid, unrevoked access token, and its claims.

    Used by HTTP authentication and by the WebSocket consumer; raises
    :class:`accounts.errors.TokenInvalid` for anything else.
    """
    check = check_access_token(raw)
    return check.user, check.claims


def touch_activity(user: User, sid: str | None = None) -> None:
    """Record that ``user`` (and its session ``sid``) is active, writing at most once a minute per session.

    The session's ``last_used_at`` is what the session list shows as "last used".
    """
    if cache.add(_activity_key(str(user.pk), sid), 1, timeout=ACTIVITY_WRITE_INTERVAL):
        moment = timezone.now()
        User.objects.filter(pk=user.pk).update(last_active_at=moment)
        if sid is not None:
            AuthSession.objects.filter(pk=sid, revoked_at__isnull=True).update(last_used_at=moment)
        forget_user(user.pk)
