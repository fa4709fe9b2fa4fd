"""The refresh reuse interval: a retried refresh gets the same pair back for a while, later it is a reuse."""

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.tests.conftest import Tokens

pytestmark = pytest.mark.django_db


def refresh(token: str) -> Tokens:
    response = APIClient().post("/api/v1/auth/refresh", {"refreshToken": token})
    return {"status": response.status_code, **response.json()}


def test_a_retry_within_the_interval_gets_the_same_pair(user: User, login: Callable[..., Tokens], settings) -> None:
    first = login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answer = refresh(first["refreshToken"])
    with time_machine.travel(start + timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL), tick=False):
        retry = refresh(first["refreshToken"])

    assert answer["status"] == retry["status"] == 200
    assert retry["data"] == answer["data"]
    assert AuthSession.objects.get().revoked_at is None


def test_a_retry_after_the_interval_ends_the_session(user: User, login: Callable[..., Tokens], settings) -> None:
    first = login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answer = refresh(first["refreshToken"])
    with time_machine.travel(start + timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL + 1), tick=False):
        retry = refresh(first["refreshToken"])
        newest = refresh(answer["data"]["refreshToken"])

    assert retry["status"] == 401
    assert retry["error"]["code"] == "TOKEN_REUSED"
    assert newest["status"] == 401
    assert AuthSession.objects.get().revoked_at is not None


def test_only_the_token_retired_last_gets_the_grace(user: User, login: Callable[..., Tokens]) -> None:
    first = login(user)
    second = refresh(first["refreshToken"])["data"]
    refresh(second["refreshToken"])

    older = refresh(first["refreshToken"])

    assert older["status"] == 401
    assert older["error"]["code"] == "TOKEN_REUSED"


def test_the_interval_is_a_setting(user: User, login: Callable[..., Tokens], settings) -> None:
    settings.AUTH_REFRESH_REUSE_INTERVAL = 60
    first = login(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        answer = refresh(first["refreshToken"])
    with time_machine.travel(start + timedelta(seconds=45), tick=False):
        retry = refresh(first["refreshToken"])

    assert retry["data"] == answer["data"]


def test_a_revoked_session_gets_nothing_within_the_interval(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    first = login(user)
    second = refresh(first["refreshToken"])["data"]
    assert bearer(second["accessToken"]).post("/api/v1/auth/logout", {}, format="json").status_code == 200

    retry = refresh(first["refreshToken"])

    assert retry["status"] == 401
    assert retry["error"]["code"] in {"TOKEN_INVALID", "TOKEN_REUSED"}


def test_the_session_row_stores_no_token(user: User, login: Callable[..., Tokens]) -> None:
    first = login(user)
    second = refresh(first["refreshToken"])["data"]

    row = AuthSession.objects.filter(user=user).values().get()

    stored = " ".join(str(value) for value in row.values())
    assert second["refreshToken"] not in stored
    assert second["accessToken"] not in stored
