"""Every write of accounts and authentication.

Views translate HTTP; these functions hold the rules. Emails and file
deletions leave through ``transaction.on_commit``. Revoking access tokens in
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

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from hucares.core.errors import ApplicationError, ValidationFailed
from hucares.core.events import send_on_commit

from . import signals, tokens
from .avatars import process_avatar
from .errors import (
    EmailAlreadyExists,
    InvalidCredentials,
    OneTimeTokenInvalid,
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
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
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


def session_start(*, user: User, client: ClientInfo) -> TokenPair:
    """Open a new session (token family) and issue its first pair."""
    session_id = uuid.uuid4()
    issued = tokens.issue_pair(user=user, session_id=session_id)
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


def sessions_revoke(sessions: "QuerySet[AuthSession]") -> int:
    """Revoke these sessions: their refresh tokens are blacklisted, their access tokens rejected."""
    live = list(sessions.filter(revoked_at__isnull=True).values_list("id", "refresh_jti"))
    if not live:
        return 0
    AuthSession.objects.filter(id__in=[sid for sid, _ in live]).update(revoked_at=timezone.now())
    _blacklist([jti for _, jti in live])
    tokens.revoke_access(sids=[str(sid) for sid, _ in live])
    return len(live)


def sessions_revoke_all(*, user: User) -> int:
    return sessions_revoke(AuthSession.objects.filter(user=user))


def _rotate(session: AuthSession, claims: tokens.Claims, client: ClientInfo) -> TokenPair | ApplicationError:
    """Rotate the session's current refresh token; anything older proves a leak."""
    if claims["jti"] != session.refresh_jti:
        sessions_revoke(AuthSession.objects.filter(pk=session.pk))
        return TokenReused()
    if not session.is_live or not session.user.is_active:
        return TokenInvalid()
    _blacklist([session.refresh_jti])
    issued = tokens.issue_pair(user=session.user, session_id=session.id)
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


def email_verification_request(*, user: User) -> None:
    """Send a verification email once the current transaction commits (queued by a receiver)."""
    signals.verification_email_requested.send(sender=User, user_id=str(user.pk))


def _token_issue(user: User, hash_field: str, expiry_field: str, lifetime: timedelta) -> str:
    """A new single-use token; only its SHA-256 is stored, replacing any earlier one."""
    raw = secrets.token_urlsafe(32)
    setattr(user, hash_field, _digest(raw))
    setattr(user, expiry_field, timezone.now() + lifetime)
    user.save(update_fields=[hash_field, expiry_field])
    return raw


def email_verification_issue(*, user: User) -> str:
    return _token_issue(user, "email_verification_token_hash", "email_verification_expires_at", VERIFICATION_LIFETIME)


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
        user.email_verified = True
        user.email_verification_token_hash, user.email_verification_expires_at = "", None
        user.save(update_fields=["email_verified", "email_verification_token_hash", "email_verification_expires_at"])
    return user


def password_reset_request(*, email: str) -> None:
    """Send a reset link if an active account has this email; say nothing either way."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    if user is not None:
        signals.password_reset_requested.send(sender=User, user_id=str(user.pk))


def password_reset_issue(*, user: User) -> str:
    return _token_issue(user, "password_reset_token_hash", "password_reset_expires_at", RESET_LIFETIME)


def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password with a reset token; every session of the user ends."""
    with transaction.atomic():
        user = _user_for_token("password_reset_token_hash", "password_reset_expires_at", token)
        password_check_rules(password=new_password, user=user, field="newPassword")
        user.set_password(new_password)
        user.password_reset_token_hash, user.password_reset_expires_at = "", None
        user.save(update_fields=["password", "password_reset_token_hash", "password_reset_expires_at"])
        sessions_revoke_all(user=user)
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
        user.save(update_fields=["password"])
        sessions_revoke_all(user=user)
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
            fields += ["email", "email_verified"]
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
            send_on_commit(signals.profile_updated, sender=User, user_id=user.pk, changed=changed)
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
        send_on_commit(signals.profile_updated, sender=User, user_id=user.pk, changed=["avatar"])
    return user


def account_delete(*, user: User, password: str) -> None:
    """Delete the user and all they own; the apps above accounts remove theirs (``account_deleting``)."""
    _require_password(user, password, "password")
    with transaction.atomic():
        signals.account_deleting.send(sender=User, user=user)
        sessions_revoke_all(user=user)
        _delete_file_on_commit(user.avatar.name)
        # A queryset delete leaves ``user.pk`` intact (Model.delete() would set
        # it to None) for the domain events sent after commit by the receivers.
        User.objects.filter(pk=user.pk).delete()


def user_deactivate(*, user: User) -> None:
    """Disable an account (admin action): it can no longer sign in, and its sessions end."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        tokens.forget_user(user.pk)  # update() sends no post_save
        sessions_revoke_all(user=user)
