"""Key rotation, one-time tokens, verification cooldowns, login limits, rate counting and security events."""

import logging
import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend

from accounts import services, tokens
from accounts.errors import TokenInvalid
from accounts.models import User
from accounts.tests.conftest import STRONG_PASSWORD, error_of
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from hucares.core import ratelimit
from hucares.core.ratelimit import check_rate, client_rate_key

pytestmark = pytest.mark.django_db


def link_token(message: Any, path: str) -> str:
    match = re.search(rf"/{path}\?token=([A-Za-z0-9_\-]+)", message.body)
    assert match, message.body
    return match.group(1)


def verify(token: str) -> Any:
    return APIClient().post("/api/v1/auth/verify-email", {"token": token})


def reset(token: str) -> Any:
    return APIClient().post("/api/v1/auth/reset-password", {"token": token, "newPassword": STRONG_PASSWORD})


# --- signing-key rotation -----------------------------------------------------------------------


def _signed_with(key: str, user: User) -> str:
    # A real session: a token whose sid names no row is refused whatever signed it.
    pair = services.session_start(user=user, client=services.ClientInfo())
    claims = tokens.decode_token(pair.access, tokens.ACCESS)
    return TokenBackend("HS256", signing_key=key).encode(claims)


def test_tokens_of_the_previous_key_are_accepted_during_a_rotation(user: User, settings) -> None:
    old_key = secrets.token_urlsafe(64)
    old_token = _signed_with(old_key, user)
    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(old_token)

    settings.JWT_PREVIOUS_SIGNING_KEY = old_key

    assert tokens.user_for_access_token(old_token)[0] == user
    # A key that is neither the current nor the previous one still fails.
    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(_signed_with(secrets.token_urlsafe(64), user))


def test_a_token_of_the_previous_key_is_refused_once_the_rotation_ends(user: User, settings) -> None:
    # The process keeps verified claims; ending the rotation must not leave them honoured.
    old_key = secrets.token_urlsafe(64)
    old_token = _signed_with(old_key, user)
    settings.JWT_PREVIOUS_SIGNING_KEY = old_key
    assert tokens.user_for_access_token(old_token)[0] == user

    settings.JWT_PREVIOUS_SIGNING_KEY = ""

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(old_token)


def test_a_refresh_signed_with_the_previous_key_rotates_onto_the_current_one(user: User, settings) -> None:
    from rest_framework_simplejwt.state import token_backend

    pair = services.session_start(user=user, client=services.ClientInfo())
    current_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    claims = tokens.decode_token(pair.refresh, tokens.REFRESH)
    settings.JWT_PREVIOUS_SIGNING_KEY = current_key  # as if the key just changed to a new one
    old_refresh = TokenBackend("HS256", signing_key=current_key).encode(claims)

    fresh = services.session_refresh(refresh_token=old_refresh, client=services.ClientInfo())

    assert token_backend.decode(fresh.access)["userId"] == str(user.pk)  # type: ignore[arg-type]


# --- one-time tokens --------------------------------------------------------------------------------


def test_a_verification_link_verifies_only_the_address_it_was_sent_to() -> None:
    user = UserFactory.create(email="first@example.com", email_verified=False)
    stale = User.objects.get(pk=user.pk)
    services.profile_update(user=user, email="second@example.com")
    # The email task loaded the row before the change, and sends after it.
    token = services.email_verification_issue(user=stale)

    response = verify(token)

    assert response.status_code == 400
    assert User.objects.get(pk=user.pk).email_verified is False


def test_an_email_change_voids_pending_links() -> None:
    user = UserFactory.create(email_verified=False)
    verification = services.email_verification_issue(user=user)
    reset_token = services.password_reset_issue(user=user)

    services.profile_update(user=User.objects.get(pk=user.pk), email="moved@example.com")

    assert verify(verification).status_code == 400
    assert reset(reset_token).status_code == 400


def test_a_password_change_voids_pending_links(user: User) -> None:
    User.objects.filter(pk=user.pk).update(email_verified=False)
    verification = services.email_verification_issue(user=user)
    reset_token = services.password_reset_issue(user=user)

    services.password_change(
        user=user, current_password=DEFAULT_PASSWORD, new_password=STRONG_PASSWORD, client=services.ClientInfo()
    )

    assert verify(verification).status_code == 400
    assert reset(reset_token).status_code == 400


def test_a_password_reset_voids_the_verification_link(user: User) -> None:
    User.objects.filter(pk=user.pk).update(email_verified=False)
    verification = services.email_verification_issue(user=user)
    reset_token = services.password_reset_issue(user=user)

    assert reset(reset_token).status_code == 200

    assert verify(verification).status_code == 400


# --- verification cooldown ---------------------------------------------------------------------------


@pytest.mark.usefixtures("ratelimits_on")
def test_resend_verification_has_a_cooldown_per_user(client_for, django_capture_on_commit_callbacks) -> None:
    client = client_for(UserFactory.create(email_verified=False))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/auth/resend-verification")
        second = client.post("/api/v1/auth/resend-verification")

    assert first.status_code == 200
    assert second.status_code == 429
    assert error_of(second)["code"] == "RATE_LIMITED"
    assert int(second["Retry-After"]) == 300
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("ratelimits_on")
def test_an_address_gets_no_second_verification_email_within_the_cooldown(
    django_capture_on_commit_callbacks,
) -> None:
    first = UserFactory.create(email="victim@example.com", email_verified=False)
    other = UserFactory.create(email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.email_verification_resend(user=first)
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_update(user=first, email="elsewhere@example.com")
        # The address is free again; another account takes it at once.
        services.profile_update(user=other, email="victim@example.com")

    assert [message.to for message in mail.outbox] == [["victim@example.com"], ["elsewhere@example.com"]]


@pytest.mark.usefixtures("ratelimits_on")
def test_changing_the_email_right_after_signing_up_mails_the_new_address(django_capture_on_commit_callbacks) -> None:
    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        signup = client.post(
            "/api/v1/auth/register",
            {"username": "typo_fixer", "email": "typo@exmaple.com", "password": DEFAULT_PASSWORD},
            format="json",
        )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {signup.json()['data']['accessToken']}")
    with django_capture_on_commit_callbacks(execute=True):
        fixed = client.patch("/api/v1/users/profile", {"email": "typo@example.com"}, format="json")
        # Switching back and forth mails each address once within the cooldown, no more.
        client.patch("/api/v1/users/profile", {"email": "typo@exmaple.com"}, format="json")
        client.patch("/api/v1/users/profile", {"email": "typo@example.com"}, format="json")

    assert signup.status_code == 201
    assert fixed.status_code == 200
    assert [message.to for message in mail.outbox] == [["typo@exmaple.com"], ["typo@example.com"]]


# --- login limits -----------------------------------------------------------------------------------


def _login(client: APIClient, user: User, password: str) -> Any:
    return client.post("/api/v1/auth/login", {"email": user.email, "password": password})


@pytest.mark.usefixtures("ratelimits_on")
def test_failed_logins_are_limited_per_account_across_addresses(user: User, settings) -> None:
    settings.RATELIMIT_AUTH_ACCOUNT = "10/15m"
    for index in range(10):
        assert _login(APIClient(REMOTE_ADDR=f"198.51.100.{index}"), user, "Wrong-Pass-1").status_code == 401

    refused = _login(APIClient(REMOTE_ADDR="198.51.100.200"), user, DEFAULT_PASSWORD)

    assert refused.status_code == 429
    assert refused["Retry-After"]
    other = UserFactory.create()
    assert _login(APIClient(REMOTE_ADDR="198.51.100.200"), other, DEFAULT_PASSWORD).status_code == 200


@pytest.mark.usefixtures("ratelimits_on")
def test_an_ipv6_client_is_counted_per_64(user: User) -> None:
    for index in range(5):
        _login(APIClient(REMOTE_ADDR=f"2001:db8:1:2::{index + 1:x}"), user, "Wrong-Pass-1")

    assert _login(APIClient(REMOTE_ADDR="2001:db8:1:2:ffff::9"), user, DEFAULT_PASSWORD).status_code == 429
    assert _login(APIClient(REMOTE_ADDR="2001:db8:1:3::1"), user, DEFAULT_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        ("198.51.100.4", "198.51.100.4"),
        ("unknown", "unknown"),
    ],
)
def test_client_rate_key(address: str, key: str) -> None:
    assert client_rate_key(address) == key


# --- counting without a race ------------------------------------------------------------------------


@pytest.mark.usefixtures("ratelimits_on")
def test_a_counter_that_vanishes_does_not_refuse_an_innocent_request(rf, monkeypatch: pytest.MonkeyPatch) -> None:
    """An eviction between "create the counter" and "increment it" made django-ratelimit answer 429."""
    real_add = cache.add

    def add_then_evict(key: str, *args: Any, **kwargs: Any) -> bool:
        added = real_add(key, *args, **kwargs)
        if not added:
            cache.delete(key)  # evicted, flushed or failed over right after the check
        return added

    monkeypatch.setattr(cache, "add", add_then_evict)
    request = rf.get("/")
    for _ in range(5):
        check_rate(request, group="race", rate="100000/h", key="innocent")


@pytest.mark.usefixtures("ratelimits_on")
def test_counting_is_exact_and_refuses_only_a_real_excess(rf) -> None:
    request = rf.get("/")
    for expected in range(1, 4):
        usage = check_rate(request, group="exact", rate="3/m", key="k")
        assert usage is not None
        assert usage["count"] == expected
    with pytest.raises(ratelimit.RateLimited):
        check_rate(request, group="exact", rate="3/m", key="k")


def test_counting_on_a_cache_without_atomic_increments(rf, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}}
    request = rf.get("/")
    counts = [check_rate(request, group="local", rate="5/m", key="k")["count"] for _ in range(3)]  # type: ignore[index]
    assert counts == [1, 2, 3]


# --- security events --------------------------------------------------------------------------------


def _events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "hucares.security"]


def test_a_failed_login_is_a_security_event_with_user_id_and_ip_but_no_email(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hucares.security"):
        _login(APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="req-42"), user, "Wrong-Pass-1")

    (event,) = _events(caplog)
    assert event.levelno == logging.WARNING
    assert event.event == "login_failed"  # type: ignore[attr-defined]
    assert event.userId == str(user.pk)  # type: ignore[attr-defined]
    assert event.clientIp == "203.0.113.9"  # type: ignore[attr-defined]
    assert event.requestId == "req-42"  # type: ignore[attr-defined]
    assert user.email not in str(event.__dict__)


def test_refresh_token_reuse_and_the_revocation_are_security_events(
    user: User, caplog: pytest.LogCaptureFixture
) -> None:
    pair = services.session_start(user=user, client=services.ClientInfo())
    services.session_refresh(refresh_token=pair.refresh, client=services.ClientInfo())
    later = timezone.now() + timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL + 1)

    with caplog.at_level(logging.WARNING, logger="hucares.security"), time_machine.travel(later):
        response = APIClient().post("/api/v1/auth/refresh", {"refreshToken": pair.refresh})

    assert error_of(response)["code"] == "TOKEN_REUSED"
    events = {record.event: record for record in _events(caplog)}  # type: ignore[attr-defined]
    assert set(events) == {"token_reused", "session_revoked"}
    assert events["session_revoked"].reason == "token_reused"  # type: ignore[attr-defined]
    assert events["token_reused"].userId == str(user.pk)  # type: ignore[attr-defined]


@pytest.mark.usefixtures("ratelimits_on")
def test_a_rate_limit_trip_is_a_security_event(user: User, caplog: pytest.LogCaptureFixture) -> None:
    client = APIClient(REMOTE_ADDR="203.0.113.10")
    with caplog.at_level(logging.WARNING, logger="hucares.security"):
        for _ in range(6):
            _login(client, user, "Wrong-Pass-1")

    trips = [record for record in _events(caplog) if record.event == "rate_limited"]  # type: ignore[attr-defined]
    assert trips
    assert trips[0].group == "auth-login"  # type: ignore[attr-defined]
    assert trips[0].clientIp == "203.0.113.10"  # type: ignore[attr-defined]


def test_the_access_log_carries_the_client_ip(api_client: APIClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hucares.access"):
        api_client.get("/api/v1/health/live", REMOTE_ADDR="203.0.113.11")

    (line,) = [record for record in caplog.records if record.name == "hucares.access"]
    assert line.clientIp == "203.0.113.11"  # type: ignore[attr-defined]
