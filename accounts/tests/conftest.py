"""Fixtures of the accounts tests: real logins through the API."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD

STRONG_PASSWORD = "Green-Tree-77"

Tokens = dict[str, Any]


@pytest.fixture
def login(db: None) -> Callable[..., Tokens]:
    """Sign in through ``POST /auth/login`` and return the response's ``data``."""

    def do_login(user: User, password: str = DEFAULT_PASSWORD, **extra: Any) -> Tokens:
        response = APIClient().post("/api/v1/auth/login", {"email": user.email, "password": password}, **extra)
        assert response.status_code == 200, response.json()
        return response.json()["data"]

    return do_login


@pytest.fixture
def bearer() -> Callable[[str], APIClient]:
    """An API client sending ``Authorization: Bearer <access token>``."""

    def make(access_token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
        return client

    return make


@pytest.fixture
def signed_in(user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]) -> tuple[APIClient, Tokens]:
    """A client of ``user`` with a real session, and that session's tokens."""
    tokens = login(user)
    return bearer(tokens["accessToken"]), tokens


@pytest.fixture
def ratelimits_on(settings: Any) -> None:
    settings.RATELIMIT_ENABLE = True


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def fields_of(response: Any) -> set[str]:
    return {item["field"] for item in error_of(response).get("details", [])}
