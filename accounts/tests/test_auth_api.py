import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts import services
from accounts.models import AuthSession, User
from accounts.tests.conftest import STRONG_PASSWORD, Tokens, error_of, fields_of
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROFILE_KEYS = {
    "id",
    "username",
    "email",
    "emailVerified",
    "avatarUrl",
    "timezone",
    "notificationPreferences",
    "privacySettings",
    "createdAt",
    "lastLoginAt",
    "lastActiveAt",
}


def register(client: APIClient, **overrides: Any) -> Any:
    body = {"username": "new_friend", "email": "New.Friend@Example.com", "password": STRONG_PASSWORD, **overrides}
    return client.post("/api/v1/auth/register", body)


def html_of(message: Any) -> str:
    """The HTML alternative of an email sent by the accounts tasks."""
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


def link_token(message: Any, path: str) -> str:
    match = re.search(rf"http://localhost:3000/{path}\?token=([A-Za-z0-9_\-]+)", message.body)
    assert match, message.body
    return match.group(1)


# --- register ----------------------------------------------------------------------------------


def test_register_returns_profile_and_tokens_and_sends_a_verification_email(
    api_client: APIClient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)

    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"user", "accessToken", "refreshToken"}
    assert set(data["user"]) == PROFILE_KEYS
    assert data["user"]["email"] == "new.friend@example.com"
    assert data["user"]["emailVerified"] is False
    assert data["user"]["notificationPreferences"]["reminderDay"] == "sunday"
    assert data["user"]["privacySettings"] == {"profile": "friends", "scores": "group"}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.friend@example.com"]
    token = link_token(message, "verify-email")
    assert token in html_of(message)
    stored = User.objects.get(email="new.friend@example.com").email_verification_token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_register_response_never_contains_secrets(api_client: APIClient) -> None:
    body = register(api_client).content.decode()

    assert STRONG_PASSWORD not in body
    assert "password" not in body.lower()
    assert "hash" not in body.lower()


def test_registered_user_can_use_the_access_token(api_client: APIClient, bearer: Callable[[str], APIClient]) -> None:
    tokens = register(api_client).json()["data"]

    response = bearer(tokens["accessToken"]).get("/api/v1/users/profile")

    assert response.status_code == 200
    assert response.json()["data"]["username"] == "new_friend"


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@example.com", " Taken@Example.COM "])
def test_register_with_taken_email_is_a_conflict_case_insensitively(api_client: APIClient, email: str) -> None:
    UserFactory.create(email="taken@example.com")

    response = register(api_client, email=email)

    assert response.status_code == 409
    assert error_of(response)["code"] == "EMAIL_ALREADY_EXISTS"


def test_register_with_taken_username_is_a_conflict_case_insensitively(api_client: APIClient) -> None:
    UserFactory.create(username="Sam_1")

    response = register(api_client, username="sAM_1")

    assert response.status_code == 409
    assert error_of(response)["code"] == "USERNAME_ALREADY_EXISTS"


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1A", "at least 8"),
        ("alllowercase1", "upper-case"),
        ("ALLUPPERCASE1", "lower-case"),
        ("NoDigitsHere", "digit"),
        ("Password123", "too common"),
        ("New_friend1", "too similar"),
    ],
)
def test_register_applies_the_password_rules(api_client: APIClient, password: str, fragment: str) -> None:
    response = register(api_client, password=password)

    assert response.status_code == 400
    details = error_of(response)["details"]
    assert {item["field"] for item in details} == {"password"}
    assert any(fragment in item["message"] for item in details)


# --- login ---------------------------------------------------------------------------------------


def test_login_by_email_or_username_updates_last_login(api_client: APIClient, user: User) -> None:
    by_email = api_client.post("/api/v1/auth/login", {"email": user.email.upper(), "password": DEFAULT_PASSWORD})
    by_name = api_client.post("/api/v1/auth/login", {"username": user.username.upper(), "password": DEFAULT_PASSWORD})

    assert by_email.status_code == by_name.status_code == 200
    data = by_name.json()["data"]
    assert set(data) == {"user", "accessToken", "refreshToken"}
    assert data["user"]["lastLoginAt"] is not None
    assert User.objects.get(pk=user.pk).last_login is not None
    assert AuthSession.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "disabled", "unknown_username"])
def test_failed_logins_all_look_the_same(api_client: APIClient, case: str) -> None:
    UserFactory.create(email="me@example.com", username="me_myself")
    UserFactory.create(email="off@example.com", is_active=False)
    body = {
        "wrong_password": {"email": "me@example.com", "password": "Wrong-Pass-1"},
        "unknown_email": {"email": "nobody@example.com", "password": DEFAULT_PASSWORD},
        "disabled": {"email": "off@example.com", "password": DEFAULT_PASSWORD},
        "unknown_username": {"username": "nobody", "password": DEFAULT_PASSWORD},
    }[case]

    response = api_client.post("/api/v1/auth/login", body)

    assert response.status_code == 401
    assert error_of(response) == {"code": "INVALID_CREDENTIALS", "message": "Invalid email or password."}


def test_login_with_unknown_email_still_computes_one_hash(api_client: APIClient, monkeypatch) -> None:
    calls: list[str] = []

    def counting_make_password(password: str, *args: Any, **kwargs: Any) -> str:
        calls.append(password)
        return make_password(password, *args, **kwargs)

    monkeypatch.setattr(services, "make_password", counting_make_password)

    api_client.post("/api/v1/auth/login", {"email": "ghost@example.com", "password": "Some-Pass-1"})

    assert calls == ["Some-Pass-1"]


def test_old_pbkdf2_hash_is_upgraded_to_argon2id_on_login(api_client: APIClient, settings) -> None:
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.Argon2idHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = UserFactory.create()
    User.objects.filter(pk=user.pk).update(password=make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256"))

    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert User.objects.get(pk=user.pk).check_password(DEFAULT_PASSWORD)


def test_new_passwords_are_hashed_with_owasp_argon2id(api_client: APIClient, settings) -> None:
    settings.PASSWORD_HASHERS = ["accounts.hashers.Argon2idHasher"]

    register(api_client)

    assert User.objects.get(username="new_friend").password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


# --- refresh -------------------------------------------------------------------------------------


def refresh(token: str) -> Any:
    return APIClient().post("/api/v1/auth/refresh", {"refreshToken": token})


def test_refresh_rotates_the_pair_and_retires_the_old_refresh_token(login: Callable[..., Tokens], user: User) -> None:
    first = login(user)

    response = refresh(first["refreshToken"])

    assert response.status_code == 200
    second = response.json()["data"]
    assert set(second) == {"accessToken", "refreshToken"}
    assert second["refreshToken"] != first["refreshToken"]
    assert BlacklistedToken.objects.count() == 1
    assert refresh(second["refreshToken"]).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(
    login: Callable[..., Tokens], user: User, bearer: Callable[[str], APIClient]
) -> None:
    first = login(user)
    second = refresh(first["refreshToken"]).json()["data"]

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL + 1)):
        reuse = refresh(first["refreshToken"])

    assert reuse.status_code == 401
    assert error_of(reuse)["code"] == "TOKEN_REUSED"
    newest = refresh(second["refreshToken"])
    assert newest.status_code == 401
    assert error_of(newest)["code"] == "TOKEN_INVALID"
    assert bearer(second["accessToken"]).get("/api/v1/users/profile").status_code == 401
    assert AuthSession.objects.get(user=user).revoked_at is not None


def test_reuse_in_one_session_leaves_other_sessions_alone(
    login: Callable[..., Tokens], user: User, bearer: Callable[[str], APIClient]
) -> None:
    leaked, other = login(user), login(user)
    refresh(leaked["refreshToken"])

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL + 1)):
        refresh(leaked["refreshToken"])

    assert bearer(other["accessToken"]).get("/api/v1/users/profile").status_code == 200
    assert refresh(other["refreshToken"]).status_code == 200


def test_expired_refresh_token_is_invalid(login: Callable[..., Tokens], user: User) -> None:
    tokens = login(user)

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        response = refresh(tokens["refreshToken"])

    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_access_token_cannot_be_used_to_refresh(login: Callable[..., Tokens], user: User) -> None:
    response = refresh(login(user)["accessToken"])

    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_refresh_of_a_disabled_user_is_invalid(login: Callable[..., Tokens], user: User) -> None:
    tokens = login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert error_of(refresh(tokens["refreshToken"]))["code"] == "TOKEN_INVALID"


def test_expired_access_token_is_rejected_by_the_api(login: Callable[..., Tokens], user: User, bearer) -> None:
    tokens = login(user)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = bearer(tokens["accessToken"]).get("/api/v1/users/profile")

    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_malformed_authorization_header_is_rejected(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")

    response = api_client.get("/api/v1/users/profile")

    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_no_credentials_is_not_authenticated(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/users/profile")

    assert response.status_code == 401
    assert error_of(response)["code"] == "NOT_AUTHENTICATED"


def test_authenticated_requests_record_activity(signed_in: tuple[APIClient, Tokens], user: User) -> None:
    client, _ = signed_in

    client.get("/api/v1/users/profile")

    assert User.objects.get(pk=user.pk).last_active_at is not None


# --- logout --------------------------------------------------------------------------------------


def test_logout_rejects_the_access_token_at_once_and_kills_the_refresh_token(
    signed_in: tuple[APIClient, Tokens],
) -> None:
    client, tokens = signed_in

    response = client.post("/api/v1/auth/logout", {"refreshToken": tokens["refreshToken"]})

    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Logged out successfully"}
    assert client.get("/api/v1/users/profile").status_code == 401
    assert error_of(refresh(tokens["refreshToken"]))["code"] == "TOKEN_INVALID"


def test_logout_keeps_other_sessions_but_all_true_ends_them(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    first, second, third = login(user), login(user), login(user)

    bearer(first["accessToken"]).post("/api/v1/auth/logout", {})
    assert bearer(second["accessToken"]).get("/api/v1/users/profile").status_code == 200

    bearer(second["accessToken"]).post("/api/v1/auth/logout", {"all": True})
    assert bearer(third["accessToken"]).get("/api/v1/users/profile").status_code == 401
    assert refresh(third["refreshToken"]).status_code == 401
    assert not AuthSession.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_logout_with_an_unusable_refresh_token_still_succeeds(signed_in: tuple[APIClient, Tokens]) -> None:
    client, _ = signed_in

    assert client.post("/api/v1/auth/logout", {"refreshToken": "not-a-token"}).status_code == 200


def test_logout_cannot_revoke_another_users_session(
    signed_in: tuple[APIClient, Tokens], login: Callable[..., Tokens]
) -> None:
    client, _ = signed_in
    stranger = login(UserFactory.create())

    client.post("/api/v1/auth/logout", {"refreshToken": stranger["refreshToken"]})

    assert refresh(stranger["refreshToken"]).status_code == 200


def test_logout_needs_a_bearer_token(api_client: APIClient) -> None:
    assert api_client.post("/api/v1/auth/logout", {}).status_code == 401


# --- email verification ----------------------------------------------------------------------------


def verify(token: str) -> Any:
    return APIClient().post("/api/v1/auth/verify-email", {"token": token})


def test_verification_link_verifies_once(api_client: APIClient, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    token = link_token(mail.outbox[0], "verify-email")

    first = verify(token)

    assert first.status_code == 200
    assert first.json()["data"] == {"message": "Email verified"}
    assert User.objects.get(username="new_friend").email_verified is True
    assert error_of(verify(token))["code"] == "TOKEN_INVALID"
    assert verify(token).status_code == 400


def test_verification_link_expires_after_24_hours(api_client: APIClient, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client)
    token = link_token(mail.outbox[0], "verify-email")

    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        response = verify(token)

    assert response.status_code == 400
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_unknown_verification_token_is_invalid() -> None:
    response = verify("made-up-token")

    assert response.status_code == 400
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_resend_verification_sends_a_new_link_and_retires_the_old(
    django_capture_on_commit_callbacks, client_for
) -> None:
    user = UserFactory.create(email_verified=False)
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/auth/resend-verification")
        client.post("/api/v1/auth/resend-verification")

    assert first.status_code == 200
    assert len(mail.outbox) == 2
    old, new = (link_token(message, "verify-email") for message in mail.outbox)
    assert verify(old).status_code == 400
    assert verify(new).status_code == 200


def test_resend_verification_for_a_verified_user_sends_nothing(
    user_client: APIClient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/api/v1/auth/resend-verification")

    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Email already verified"}
    assert mail.outbox == []


# --- password reset --------------------------------------------------------------------------------


def forgot(email: str) -> Any:
    return APIClient().post("/api/v1/auth/forgot-password", {"email": email})


def reset(token: str, new_password: str = STRONG_PASSWORD) -> Any:
    return APIClient().post("/api/v1/auth/reset-password", {"token": token, "newPassword": new_password})


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(
    user: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = forgot(user.email.upper())
        unknown = forgot("nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert known.json()["data"] == unknown.json()["data"] == {"message": "Reset link sent"}
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_forgot_password_for_a_disabled_account_sends_nothing(django_capture_on_commit_callbacks) -> None:
    disabled = UserFactory.create(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert forgot(disabled.email).status_code == 200

    assert mail.outbox == []


def test_reset_sets_the_password_once_and_ends_every_session(
    user: User, login: Callable[..., Tokens], bearer, django_capture_on_commit_callbacks
) -> None:
    session = login(user)
    with django_capture_on_commit_callbacks(execute=True):
        forgot(user.email)
    token = link_token(mail.outbox[0], "reset-password")

    response = reset(token)

    assert response.status_code == 200
    assert response.json()["data"] == {"message": "Password reset successful"}
    assert User.objects.get(pk=user.pk).check_password(STRONG_PASSWORD)
    assert bearer(session["accessToken"]).get("/api/v1/users/profile").status_code == 401
    assert refresh(session["refreshToken"]).status_code == 401
    assert error_of(reset(token, "Other-Pass-99"))["code"] == "TOKEN_INVALID"
    assert login(user, STRONG_PASSWORD)["accessToken"]


def test_reset_link_expires_after_one_hour(user: User, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        forgot(user.email)
    token = link_token(mail.outbox[0], "reset-password")

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        response = reset(token)

    assert response.status_code == 400
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_reset_with_a_weak_password_keeps_the_token_usable(user: User, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        forgot(user.email)
    token = link_token(mail.outbox[0], "reset-password")

    weak = reset(token, "weak")

    assert weak.status_code == 400
    assert fields_of(weak) == {"newPassword"}
    assert reset(token).status_code == 200


def test_reset_emails_contain_text_and_html_links(user: User, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        forgot(user.email)

    message = mail.outbox[0]
    token = link_token(message, "reset-password")
    assert f"http://localhost:3000/reset-password?token={token}" in html_of(message)


# --- change password ---------------------------------------------------------------------------------


def test_change_password_ends_other_sessions_and_returns_a_fresh_pair(
    user: User, login: Callable[..., Tokens], bearer
) -> None:
    current, other = login(user), login(user)

    response = bearer(current["accessToken"]).post(
        "/api/v1/auth/change-password", {"currentPassword": DEFAULT_PASSWORD, "newPassword": STRONG_PASSWORD}
    )

    assert response.status_code == 200
    fresh = response.json()["data"]
    assert set(fresh) == {"accessToken", "refreshToken"}
    assert bearer(current["accessToken"]).get("/api/v1/users/profile").status_code == 401
    assert bearer(other["accessToken"]).get("/api/v1/users/profile").status_code == 401
    assert bearer(fresh["accessToken"]).get("/api/v1/users/profile").status_code == 200
    assert User.objects.get(pk=user.pk).check_password(STRONG_PASSWORD)


def test_change_password_with_wrong_current_password_is_a_field_error(signed_in: tuple[APIClient, Tokens]) -> None:
    client, _ = signed_in

    response = client.post(
        "/api/v1/auth/change-password", {"currentPassword": "Not-Mine-1", "newPassword": STRONG_PASSWORD}
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_of(response) == {"currentPassword"}


def test_change_password_applies_the_rules_to_the_new_password(signed_in: tuple[APIClient, Tokens]) -> None:
    client, _ = signed_in

    response = client.post("/api/v1/auth/change-password", {"currentPassword": DEFAULT_PASSWORD, "newPassword": "abc"})

    assert response.status_code == 400
    assert fields_of(response) == {"newPassword"}


# --- routing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/login/"])
def test_auth_paths_work_with_and_without_trailing_slash(api_client: APIClient, user: User, path: str) -> None:
    response = api_client.post(path, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200


def test_login_ignores_a_stale_authorization_header(api_client: APIClient, user: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.bad")

    response = api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
