import smtplib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery.exceptions import Retry
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


def test_email_task_asks_for_a_retry_on_smtp_errors(monkeypatch) -> None:
    user = UserFactory.create(email_verified=False)

    def failing_send(*args: Any) -> None:
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr(tasks, "_send", failing_send)

    # Run inline, the task surfaces the retry it schedules on a worker.
    with pytest.raises(Retry) as retry:
        tasks.send_verification_email.delay(str(user.pk))

    assert isinstance(retry.value.exc, smtplib.SMTPServerDisconnected)
    assert mail.outbox == []


def test_email_tasks_do_nothing_for_gone_or_verified_users(user: User) -> None:
    tasks.send_verification_email.delay(str(user.pk))  # already verified
    tasks.send_password_reset_email.delay("00000000-0000-0000-0000-000000000000")

    assert mail.outbox == []


def test_email_tasks_are_late_acknowledged_with_bounded_retries() -> None:
    for task in (tasks.send_verification_email, tasks.send_password_reset_email):
        assert task.acks_late is True
        assert task.max_retries == tasks.EMAIL_MAX_RETRIES
        assert OSError in getattr(task, "autoretry_for", ())


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
