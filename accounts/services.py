"""Every write of accounts and authentication.

Views translate HTTP; these functions hold the rules. Emails are written to
the outbox in the transaction of their cause; file deletions leave through
``transaction.on_commit``. Revoking access tokens in
the cache happens at once, inside the transaction: should the transaction
roll back, a token is rejected that could have lived, which is the safe way
to be wrong.
"""

import contextlib
import hashlib
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from hucares.core.errors import ApplicationError, NotFound, RateLimited, ValidationFailed
from hucares.core.events import send_in_transaction
from hucares.core.outbox import email_enqueue
from hucares.core.security import (
    LOGIN_FAILED,
    RATE_LIMITED,
    SESSION_EXPIRED,
    SESSION_REVOKED,
    TOKEN_REUSED,
    security_event,
)

from . import signals, tokens
from .avatars import process_avatar
from .errors import (
    AccountSuspended,
    EmailAlreadyExists,
    InvalidCredentials,
    OneTimeTokenInvalid,
    SessionExpired,
    TokenInvalid,
    TokenReused,
    UsernameAlreadyExists,
    WrongPassword,
)
from .models import AuthSession, User, normalize_email
from .preferences import default_notification_preferences, default_privacy_settings

EMAIL_CONSTRAINT = "users_email_ci_unique"
USERNAME_CONSTRAINT = "users_username_ci_unique"
VERIFICATION_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@dataclass(frozen=True)
class ClientInfo:
    """Who is signing in from where, recorded on the session."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, ip: str, user_agent: str) -> "ClientInfo":
        try:
            address: str | None = str(ipaddress.ip_address(ip))
        except ValueError:
            address = None
        return cls(address, user_agent[:512])


# --- registration and credentials ---------------------------------------------------


def _conflict_for(exc: IntegrityError) -> ApplicationError | None:
    diag = getattr(exc.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or str(exc)
    if EMAIL_CONSTRAINT in constraint:
        return EmailAlreadyExists()
    if USERNAME_CONSTRAINT in constraint:
        return UsernameAlreadyExists()
    return None


def _ensure_available(*, email: str | None = None, username: str | None = None, exclude: User | None = None) -> None:
    """Answer the common case early; the constraints settle concurrent writers."""
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    if email is not None and others.filter(email__iexact=email).exists():
        raise EmailAlreadyExists()
    if username is not None and others.filter(username__iexact=username).exists():
        raise UsernameAlreadyExists()


def _save_unique(user: User, update_fields: list[str] | None = None) -> None:
    """Save in a savepoint, turning a case-insensitive duplicate into its 409."""
    try:
        with transaction.atomic():
            user.save(update_fields=update_fields)
    except IntegrityError as exc:
        conflict = _conflict_for(exc)
        if conflict is None:
            raise
        raise conflict from exc


def password_check_rules(*, password: str, user: User, field: str) -> None:
    """The password rules of the API as VALIDATION_ERROR details on ``field``."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        details = [{"field": field, "message": message} for message in exc.messages]
        raise ValidationFailed(details[0]["message"], details=details) from exc


def user_register(*, username: str, email: str, password: str, client: ClientInfo) -> tuple[User, TokenPair]:
    """Create an account, open its first session and send the verification email."""
    email = normalize_email(email)
    _ensure_available(email=email, username=username)
    user = User(username=username, email=email)
    password_check_rules(password=password, user=user, field="password")
    user.set_password(password)
    with transaction.atomic():
        _save_unique(user)
        pair = session_start(user=user, client=client)
        email_verification_request(user=user)
    return user, pair


def user_authenticate(*, password: str, email: str | None = None, username: str | None = None) -> User:
    """The active user with these credentials, else INVALID_CREDENTIALS.

    An unknown account still costs one hash, so timing does not tell whether
    it exists. A correct password with an outdated hash re-hashes it.
    """
    if email is not None:
        user = User.objects.filter(email__iexact=normalize_email(email)).first()
    else:
        user = User.objects.filter(username__iexact=username or "").first()
    if user is None:
        make_password(password)
        security_event(LOGIN_FAILED, reason="unknown_account")
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        security_event(LOGIN_FAILED, user_id=user.pk, reason="wrong_password" if user.is_active else "inactive")
        raise InvalidCredentials()
    if user.suspended_at is not None:
        raise AccountSuspended()
    return user


def user_login(
    *, password: str, client: ClientInfo, email: str | None = None, username: str | None = None
) -> tuple[User, TokenPair]:
    user = user_authenticate(password=password, email=email, username=username)
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        pair = session_start(user=user, client=client)
    return user, pair


# --- sessions and tokens -----------------------------------------------------------------


def session_end_of(created_at: Any) -> Any:
    """The absolute end of a session opened at ``created_at``: no refresh moves it."""
    return created_at + settings.AUTH_SESSION_MAX_AGE


def session_start(*, user: User, client: ClientInfo) -> TokenPair:
    """Open a new session (token family) and issue its first pair."""
    session_id = uuid.uuid4()
    issued = tokens.issue_pair(user=user, session_id=session_id, not_after=session_end_of(timezone.now()))
    AuthSession.objects.create(
        id=session_id,
        user=user,
        refresh_jti=issued.refresh_jti,
        expires_at=issued.refresh_expires_at,
        ip_address=client.ip,
        user_agent=client.user_agent,
    )
    return TokenPair(issued.access, issued.refresh)


def _blacklist(jtis: list[str]) -> None:
    outstanding = OutstandingToken.objects.filter(jti__in=jtis)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


def sessions_revoke(sessions: "QuerySet[AuthSession]", *, reason: str = "logout") -> int:
    """Revoke these sessions: their refresh tokens are blacklisted, their access tokens rejected.

    ``revoked_at`` on the row is the lasting record: access checks fall back
    to it when the cache lost the revocation.
    """
    live = list(sessions.filter(revoked_at__isnull=True).values_list("id", "refresh_jti", "user_id"))
    if not live:
        return 0
    AuthSession.objects.filter(id__in=[sid for sid, _, _ in live]).update(revoked_at=timezone.now())
    _blacklist([jti for _, jti, _ in live])
    tokens.revoke_access(sids=[str(sid) for sid, _, _ in live])
    for sid, _, user_id in live:
        security_event(SESSION_REVOKED, user_id=user_id, sessionId=str(sid), reason=reason)
    transaction.on_commit(lambda: _announce_revoked(live))
    return len(live)


def _announce_revoked(live: list[tuple[uuid.UUID, str, uuid.UUID]]) -> None:
    by_user: dict[uuid.UUID, list[uuid.UUID]] = {}
    for sid, _, user_id in live:
        by_user.setdefault(user_id, []).append(sid)
    for user_id, session_ids in by_user.items():
        signals.session_revoked.send(sender=AuthSession, user_id=user_id, session_ids=session_ids)


def sessions_revoke_all(*, user: User, reason: str = "logout_all") -> int:
    return sessions_revoke(AuthSession.objects.filter(user=user), reason=reason)


def session_revoke(*, user: User, session_id: uuid.UUID) -> None:
    """Revoke one live session of ``user`` (the session list's DELETE); its tokens stop at once."""
    with transaction.atomic():
        if not sessions_revoke(AuthSession.objects.filter(user=user, pk=session_id), reason="revoked_by_user"):
            raise NotFound("No active session with this id.")


def _rotate(session: AuthSession, claims: tokens.Claims, client: ClientInfo) -> TokenPair | ApplicationError:
    """Rotate the session's current refresh token; anything older proves a leak."""
    if claims["jti"] != session.refresh_jti:
        security_event(TOKEN_REUSED, user_id=session.user_id, sessionId=str(session.pk))
        sessions_revoke(AuthSession.objects.filter(pk=session.pk), reason="token_reused")
        return TokenReused()
    end = session_end_of(session.created_at)
    if end <= timezone.now() and session.revoked_at is None:
        security_event(SESSION_EXPIRED, user_id=session.user_id, sessionId=str(session.pk))
        sessions_revoke(AuthSession.objects.filter(pk=session.pk), reason="absolute_lifetime")
        return SessionExpired()
    if not session.is_live or not session.user.is_active or session.user.suspended_at is not None:
        return TokenInvalid()
    _blacklist([session.refresh_jti])
    issued = tokens.issue_pair(user=session.user, session_id=session.id, not_after=end)
    session.refresh_jti, session.expires_at = issued.refresh_jti, issued.refresh_expires_at
    session.last_used_at = timezone.now()
    session.ip_address, session.user_agent = client.ip, client.user_agent
    session.save(update_fields=["refresh_jti", "expires_at", "last_used_at", "ip_address", "user_agent"])
    return TokenPair(issued.access, issued.refresh)


def session_refresh(*, refresh_token: str, client: ClientInfo) -> TokenPair:
    """Exchange a refresh token for a new pair.

    The session row is locked, so of two concurrent refreshes with one token
    exactly one rotates; the other then presents a retired token. A reuse
    revokes the session and must survive the error, so the outcome is raised
    only after the transaction commits.
    """
    claims = tokens.decode_token(refresh_token, tokens.REFRESH)
    with transaction.atomic():
        session = (
            AuthSession.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=claims["sid"], user_id=claims["userId"])
            .first()
        )
        outcome = TokenInvalid() if session is None else _rotate(session, claims, client)
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


def session_logout(*, user: User, claims: tokens.Claims, refresh_token: str | None, everywhere: bool) -> None:
    """Revoke the caller's session and access token, the given refresh token's session, or all."""
    with transaction.atomic():
        tokens.revoke_access(sids=[claims["sid"]], jtis=[claims["jti"]])
        if everywhere:
            sessions_revoke_all(user=user)
            return
        sids = {claims["sid"]}
        if refresh_token:
            # An unusable refresh token needs no revoking; logout still succeeds.
            with contextlib.suppress(TokenInvalid):
                sids.add(tokens.decode_token(refresh_token, tokens.REFRESH)["sid"])
        sessions_revoke(AuthSession.objects.filter(user=user, id__in=sids))


# --- one-time tokens: email verification and password reset ------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _void_one_time_tokens(user: User) -> list[str]:
    """Forget every pending verification and reset link of ``user``; the fields to save."""
    user.email_verification_token_hash, user.email_verification_expires_at = "", None
    user.email_verification_address = ""
    user.password_reset_token_hash, user.password_reset_expires_at = "", None
    return [
        "email_verification_token_hash",
        "email_verification_expires_at",
        "email_verification_address",
        "password_reset_token_hash",
        "password_reset_expires_at",
    ]


def _cooldown_keys(user: User) -> list[str]:
    # The address is hashed: cache keys end up in Redis dumps and monitors.
    return [f"auth:verify-cooldown:user:{user.pk}", f"auth:verify-cooldown:address:{_digest(user.email)}"]


def _cooldown_take(user: User) -> int:
    """Start the verification-email cooldown of the user and the address.

    Returns 0 when both were free (an email may go), else the seconds to wait.
    ``cache.add`` is atomic, so two concurrent requests cannot both send.
    """
    if not settings.RATELIMIT_ENABLE:
        return 0
    seconds = settings.VERIFICATION_EMAIL_COOLDOWN_SECONDS
    taken = [cache.add(key, 1, timeout=seconds) for key in _cooldown_keys(user)]
    if all(taken):
        return 0
    for key, mine in zip(_cooldown_keys(user), taken, strict=True):
        if mine:
            cache.delete(key)  # this attempt sends nothing: leave the other key's clock alone
    return seconds


def email_verification_request(*, user: User) -> None:
    """Send a verification email once the current transaction commits.

    Silently skipped while the user or the address is in its cooldown (a
    flood by alternating email changes); the user can resend afterwards.
    """
    if not _cooldown_take(user):
        _queue_verification_email(user)


def email_verification_resend(*, user: User) -> None:
    """``POST /auth/resend-verification``: 429 while the user or the address is in its cooldown."""
    wait = _cooldown_take(user)
    if wait:
        security_event(RATE_LIMITED, user_id=user.pk, group="resend-verification")
        raise RateLimited(headers={"Retry-After": str(wait)})
    _queue_verification_email(user)


def _queue_verification_email(user: User) -> None:
    """Queue a verification email in the current transaction; it is sent once that commits."""
    email_enqueue(kind="verify_email", user=user)


def _token_issue(user: User, hash_field: str, expiry_field: str, lifetime: timedelta, extra: list[str]) -> str:
    """A new single-use token; only its SHA-256 is stored, replacing any earlier one."""
    raw = secrets.token_urlsafe(32)
    setattr(user, hash_field, _digest(raw))
    setattr(user, expiry_field, timezone.now() + lifetime)
    user.save(update_fields=[hash_field, expiry_field, *extra])
    return raw


def email_verification_issue(*, user: User) -> str:
    """A verification token bound to the address it is sent to: a later email change voids it."""
    user.email_verification_address = user.email
    return _token_issue(
        user,
        "email_verification_token_hash",
        "email_verification_expires_at",
        VERIFICATION_LIFETIME,
        ["email_verification_address"],
    )


def _user_for_token(hash_field: str, expiry_field: str, raw: str) -> User:
    user = (
        User.objects.select_for_update()
        .filter(**{hash_field: _digest(raw), f"{expiry_field}__gt": timezone.now()})
        .first()
    )
    if user is None:
        raise OneTimeTokenInvalid()
    return user


def email_verify(*, token: str) -> User:
    with transaction.atomic():
        user = _user_for_token("email_verification_token_hash", "email_verification_expires_at", token)
        if normalize_email(user.email_verification_address) != normalize_email(user.email):
            raise OneTimeTokenInvalid()
        user.email_verified = True
        user.email_verification_token_hash, user.email_verification_expires_at = "", None
        user.email_verification_address = ""
        user.save(
            update_fields=[
                "email_verified",
                "email_verification_token_hash",
                "email_verification_expires_at",
                "email_verification_address",
            ]
        )
    return user


def password_reset_request(*, email: str) -> None:
    """Queue a reset link if an active account has this email; say nothing either way."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    if user is not None:
        with transaction.atomic():
            email_enqueue(kind="password_reset", user=user)


def password_reset_issue(*, user: User) -> str:
    return _token_issue(user, "password_reset_token_hash", "password_reset_expires_at", RESET_LIFETIME, [])


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password with a reset token; every session of the user ends."""
    with transaction.atomic():
        user = _user_for_token("password_reset_token_hash", "password_reset_expires_at", token)
        password_check_rules(password=new_password, user=user, field="newPassword")
        user.set_password(new_password)
        user.save(update_fields=["password", *_void_one_time_tokens(user)])
        sessions_revoke_all(user=user, reason="password_reset")
    return user


def _require_password(user: User, password: str, field: str) -> None:
    # A 400 on the field, not a 401: clients read 401 as "session expired".
    if not user.check_password(password):
        raise WrongPassword(details=[{"field": field, "message": WrongPassword.message}])


def password_change(*, user: User, current_password: str, new_password: str, client: ClientInfo) -> TokenPair:
    """Change the password, end every session and open a fresh one for this client."""
    _require_password(user, current_password, "currentPassword")
    password_check_rules(password=new_password, user=user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", *_void_one_time_tokens(user)])
        sessions_revoke_all(user=user, reason="password_change")
        return session_start(user=user, client=client)


# --- profile, avatar, account ------------------------------------------------------------


def _merged(stored: dict[str, Any], defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Partial update of a preferences blob; nested objects (``email``) merge too."""
    merged = {**defaults, **stored}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def profile_update(*, user: User, **changes: Any) -> User:
    """Apply profile changes; a new email address must be verified again."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        fields: list[str] = []
        if "username" in changes and changes["username"] != user.username:
            _ensure_available(username=changes["username"], exclude=user)
            user.username = changes["username"]
            fields.append("username")
        email = normalize_email(changes["email"]) if "email" in changes else user.email
        if email != user.email:
            _ensure_available(email=email, exclude=user)
            user.email, user.email_verified = email, False
            # Links sent to the old address must not verify or reset the new one.
            fields += ["email", "email_verified", *_void_one_time_tokens(user)]
            email_verification_request(user=user)
        if "timezone" in changes:
            user.timezone = changes["timezone"]
            fields.append("timezone")
        for name, defaults in (
            ("notification_preferences", default_notification_preferences()),
            ("privacy_settings", default_privacy_settings()),
        ):
            if name in changes:
                setattr(user, name, _merged(getattr(user, name) or {}, defaults, changes[name]))
                fields.append(name)
        if fields:
            _save_unique(user, update_fields=[*fields, "updated_at"])
            changed = [name for name in fields if name != "email_verified"]
            send_in_transaction(signals.profile_updated, sender=User, user_id=user.pk, changed=changed)
    return user


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def avatar_set(*, user: User, upload: UploadedFile) -> User:
    """Store a re-encoded square avatar under a random name; the old file goes after commit."""
    image = process_avatar(upload)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_name = user.avatar.name
        user.avatar.save(image.name or "avatar", image, save=False)
        user.save(update_fields=["avatar", "updated_at"])
        _delete_file_on_commit(old_name)
        send_in_transaction(signals.profile_updated, sender=User, user_id=user.pk, changed=["avatar"])
    return user


def account_delete(*, user: User, password: str) -> None:
    """Delete the user and all they own; the apps above accounts remove theirs (``account_deleting``)."""
    _require_password(user, password, "password")
    with transaction.atomic():
        signals.account_deleting.send(sender=User, user=user)
        sessions_revoke_all(user=user, reason="account_deleted")
        _delete_file_on_commit(user.avatar.name)
        # A queryset delete leaves ``user.pk`` intact (Model.delete() would set
        # it to None) for the domain events sent after commit by the receivers.
        User.objects.filter(pk=user.pk).delete()


def user_deactivate(*, user: User) -> None:
    """Disable an account (admin action): it can no longer sign in, and its sessions end."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        tokens.forget_user(user.pk)  # update() sends no post_save
        sessions_revoke_all(user=user, reason="deactivated")


def user_suspend(*, user: User) -> bool:
    """Moderation: sign the user out everywhere and refuse their sign-in until lifted. Whether it changed."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, suspended_at__isnull=True).update(suspended_at=timezone.now())
        tokens.forget_user(user.pk)  # update() sends no post_save
        sessions_revoke_all(user=user, reason="suspended")
    return bool(changed)


def user_unsuspend(*, user: User) -> bool:
    """Moderation: lift a suspension; the user signs in again as before. Whether it changed."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, suspended_at__isnull=False).update(suspended_at=None)
        tokens.forget_user(user.pk)
    return bool(changed)
