from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.conftest import STRONG_PASSWORD, error_of
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ratelimits_on")]


def login(client: APIClient, user: User, password: str) -> Any:
    return client.post("/api/v1/auth/login", {"email": user.email, "password": password})


def test_sixth_failed_login_from_one_ip_is_rate_limited(api_client: APIClient, user: User) -> None:
    for _ in range(5):
        assert login(api_client, user, "Wrong-Pass-1").status_code == 401

    response = login(api_client, user, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert error_of(response)["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0
    assert response["RateLimit-Limit"] == "5"
    assert response["RateLimit-Remaining"] == "0"
    assert int(response["RateLimit-Reset"]) > 0


def test_successful_logins_do_not_count(api_client: APIClient, user: User) -> None:
    for _ in range(8):
        assert login(api_client, user, DEFAULT_PASSWORD).status_code == 200

    assert login(api_client, user, "Wrong-Pass-1").status_code == 401


def test_failures_are_counted_per_client_ip(user: User) -> None:
    attacker = APIClient(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        login(attacker, user, "Wrong-Pass-1")

    assert login(attacker, user, DEFAULT_PASSWORD).status_code == 429
    assert login(APIClient(REMOTE_ADDR="10.0.0.2"), user, DEFAULT_PASSWORD).status_code == 200


def test_spoofed_forwarded_for_does_not_dodge_the_limit(user: User) -> None:
    for index in range(5):
        login(APIClient(HTTP_X_FORWARDED_FOR=f"203.0.113.{index}"), user, "Wrong-Pass-1")

    assert login(APIClient(HTTP_X_FORWARDED_FOR="203.0.113.99"), user, DEFAULT_PASSWORD).status_code == 429


def test_failed_refreshes_are_limited(api_client: APIClient) -> None:
    for _ in range(5):
        assert api_client.post("/api/v1/auth/refresh", {"refreshToken": "bad"}).status_code == 401

    assert api_client.post("/api/v1/auth/refresh", {"refreshToken": "bad"}).status_code == 429


def test_guessing_verification_tokens_is_limited(api_client: APIClient) -> None:
    for _ in range(5):
        assert api_client.post("/api/v1/auth/verify-email", {"token": "guess"}).status_code == 400

    assert api_client.post("/api/v1/auth/verify-email", {"token": "guess"}).status_code == 429


def test_probing_taken_emails_at_registration_is_limited(api_client: APIClient) -> None:
    UserFactory.create(email="taken@example.com")
    for index in range(5):
        body = {"username": f"probe_{index}", "email": "taken@example.com", "password": STRONG_PASSWORD}
        assert api_client.post("/api/v1/auth/register", body).status_code == 409

    body = {"username": "fresh_one", "email": "fresh@example.com", "password": STRONG_PASSWORD}
    assert api_client.post("/api/v1/auth/register", body).status_code == 429


def test_register_validation_errors_do_not_count(api_client: APIClient) -> None:
    for _ in range(6):
        api_client.post("/api/v1/auth/register", {"username": "x"})

    body = {"username": "fresh_one", "email": "fresh@example.com", "password": STRONG_PASSWORD}
    assert api_client.post("/api/v1/auth/register", body).status_code == 201


def test_forgot_password_counts_every_request(api_client: APIClient) -> None:
    for _ in range(5):
        assert api_client.post("/api/v1/auth/forgot-password", {"email": "x@example.com"}).status_code == 200

    assert api_client.post("/api/v1/auth/forgot-password", {"email": "x@example.com"}).status_code == 429


def test_wrong_current_password_attempts_are_limited(client_for) -> None:
    client = client_for(UserFactory.create())
    body = {"currentPassword": "Wrong-Pass-1", "newPassword": STRONG_PASSWORD}
    for _ in range(5):
        assert client.post("/api/v1/auth/change-password", body).status_code == 400

    assert client.post("/api/v1/auth/change-password", body).status_code == 429


def test_limits_of_one_endpoint_family_do_not_block_another(api_client: APIClient, user: User) -> None:
    for _ in range(5):
        api_client.post("/api/v1/auth/refresh", {"refreshToken": "bad"})

    assert login(api_client, user, DEFAULT_PASSWORD).status_code == 200
