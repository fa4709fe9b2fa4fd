from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import services, tasks
from accounts.errors import EmailAlreadyExists, EmailNotVerified, UsernameAlreadyExists
from accounts.models import AuthSession, User
from accounts.permissions import VerifiedEmailRequired
from accounts.services import ClientInfo
from accounts.tests.conftest import STRONG_PASSWORD
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from hucares.core import outbox
from hucares.core.models import OutboundEmail

pytestmark = pytest.mark.django_db


# --- the database constraints, not the pre-check, settle duplicates --------------------------------


@pytest.mark.parametrize(
    ("email", "username", "error"),
    [("Dup@Example.com", "someone_new", EmailAlreadyExists), ("new@example.com", "DUP_NAME", UsernameAlreadyExists)],
)
def test_constraint_violation_maps_to_its_conflict(monkeypatch, email: str, username: str, error: type) -> None:
    UserFactory.create(email="dup@example.com", username="dup_name")
    monkeypatch.setattr(services, "_ensure_available", lambda **_: None)

    with pytest.raises(error):
        services.user_register(username=username, email=email, password=STRONG_PASSWORD, client=ClientInfo())


def test_client_info_ignores_an_address_that_is_not_an_ip() -> None:
    assert ClientInfo.of("unknown", "x" * 600) == ClientInfo(None, "x" * 512)
    assert ClientInfo.of("::1", "agent").ip == "::1"


def test_login_records_the_client_on_the_session(user: User) -> None:
    APIClient(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="TestAgent/1.0").post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}
    )

    session = AuthSession.objects.get(user=user)
    assert (session.ip_address, session.user_agent) == ("198.51.100.7", "TestAgent/1.0")


# --- tasks ----------------------------------------------------------------------------------------------


def test_cleanup_removes_expired_tokens_and_dead_sessions(user: User) -> None:
    now = timezone.now()
    live = services.session_start(user=user, client=ClientInfo())
    del live
    revoked_long_ago = AuthSession.objects.create(
        user=user, refresh_jti="old", expires_at=now + timedelta(days=1), revoked_at=now - timedelta(days=8)
    )
    revoked_recently = AuthSession.objects.create(
        user=user, refresh_jti="recent", expires_at=now + timedelta(days=1), revoked_at=now - timedelta(days=1)
    )
    expired = AuthSession.objects.create(user=user, refresh_jti="gone", expires_at=now - timedelta(seconds=1))
    OutstandingToken.objects.create(user=user, jti="stale", token="t", expires_at=now - timedelta(days=1))

    removed = tasks.cleanup_expired_tokens.delay().get()

    assert removed == 2
    remaining = set(AuthSession.objects.values_list("refresh_jti", flat=True))
    assert revoked_recently.refresh_jti in remaining
    assert revoked_long_ago.refresh_jti not in remaining
    assert expired.refresh_jti not in remaining
    assert len(remaining) == 2
    assert not OutstandingToken.objects.filter(jti="stale").exists()
    assert OutstandingToken.objects.filter(user=user).count() == 1


def test_a_verification_email_that_fails_to_send_is_kept_and_sent_on_a_later_attempt(
    settings, time_machine, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "hucares.core.tests.backends.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        user = UserFactory.create(email_verified=False)
        services.email_verification_request(user=user)
    [queued] = OutboundEmail.objects.filter(kind="verify_email")
    assert (queued.status, queued.attempts, mail.outbox) == ("pending", 1, [])
    assert queued.last_error.startswith("SMTPServerDisconnected")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    outbox.emails_dispatch()
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert "verify-email?token=" in mail.outbox[0].body
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("sent", 2)


def test_account_emails_are_cancelled_for_gone_or_verified_users(
    user: User, django_capture_on_commit_callbacks
) -> None:
    gone = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        verified = outbox.email_enqueue(kind="verify_email", user=user)
        reset = outbox.email_enqueue(kind="password_reset", user=gone)
        User.objects.filter(pk=gone.pk).update(is_active=False)
    assert mail.outbox == []
    assert verified is not None
    assert reset is not None
    assert {e.status for e in OutboundEmail.objects.filter(pk__in=[verified.pk, reset.pk])} == {"cancelled"}


# --- permission for other apps ---------------------------------------------------------------------------


class _Request:
    def __init__(self, user: Any) -> None:
        self.user = user


@pytest.mark.parametrize(("required", "verified"), [(False, False), (True, True)])
def test_verified_email_permission_lets_through(settings, required: bool, verified: bool) -> None:
    settings.REQUIRE_VERIFIED_EMAIL = required
    user = UserFactory.create(email_verified=verified)

    assert VerifiedEmailRequired().has_permission(_Request(user), APIView())  # type: ignore[arg-type]


def test_verified_email_permission_refuses_unverified_users_when_required(settings) -> None:
    settings.REQUIRE_VERIFIED_EMAIL = True
    user = UserFactory.create(email_verified=False)

    with pytest.raises(EmailNotVerified):
        VerifiedEmailRequired().has_permission(_Request(user), APIView())  # type: ignore[arg-type]


def test_verified_email_permission_leaves_anonymous_callers_to_is_authenticated(settings) -> None:
    from django.contrib.auth.models import AnonymousUser

    settings.REQUIRE_VERIFIED_EMAIL = True

    assert VerifiedEmailRequired().has_permission(_Request(AnonymousUser()), APIView())  # type: ignore[arg-type]


# --- admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(db: None) -> Any:
    from django.test import Client

    staff = User.objects.create_superuser("root@example.com", "root", STRONG_PASSWORD)
    client = Client()
    client.force_login(staff)
    return client


def test_admin_lists_users_without_password_hashes(admin_client: Any, user: User) -> None:
    response = admin_client.get("/admin/accounts/user/", {"q": user.username})

    assert response.status_code == 200
    content = response.content.decode()
    assert user.email in content
    assert user.password not in content


def test_admin_filters_by_verified_active_and_staff(admin_client: Any) -> None:
    UserFactory.create(username="unverified_u", email_verified=False)

    response = admin_client.get("/admin/accounts/user/", {"email_verified__exact": "0", "is_active__exact": "1"})

    assert "unverified_u" in response.content.decode()


def test_admin_deactivate_action_disables_users_and_ends_sessions(admin_client: Any, user: User) -> None:
    services.session_start(user=user, client=ClientInfo())

    admin_client.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [str(user.pk)]})

    assert User.objects.get(pk=user.pk).is_active is False
    assert not AuthSession.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_admin_resend_verification_action_emails_unverified_users(
    admin_client: Any, django_capture_on_commit_callbacks
) -> None:
    unverified = UserFactory.create(email_verified=False)
    verified = UserFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/accounts/user/",
            {"action": "resend_verification", "_selected_action": [str(unverified.pk), str(verified.pk)]},
        )

    assert [message.to for message in mail.outbox] == [[unverified.email]]


def test_admin_can_add_a_user(admin_client: Any) -> None:
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.com",
            "username": "added_u",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="added_u").check_password(STRONG_PASSWORD)


def test_auth_sessions_are_read_only_in_admin() -> None:
    from django.test import RequestFactory

    model_admin = site._registry[AuthSession]

    assert model_admin.has_add_permission(RequestFactory().get("/")) is False


def test_expired_session_cannot_refresh(user: User) -> None:
    pair = services.session_start(user=user, client=ClientInfo())
    AuthSession.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    with time_machine.travel(timezone.now()):
        response = APIClient().post("/api/v1/auth/refresh", {"refreshToken": pair.refresh})

    assert response.json()["error"]["code"] == "TOKEN_INVALID"
