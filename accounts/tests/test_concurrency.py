"""Races settled by PostgreSQL: real threads, real connections, real commits."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.tests.conftest import STRONG_PASSWORD
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_concurrent_registrations_with_one_email_give_one_account() -> None:
    def attempt(username: str) -> Any:
        body = {"username": username, "email": "Same@Example.com", "password": STRONG_PASSWORD}
        return APIClient().post("/api/v1/auth/register", body)

    responses = run_together([lambda: attempt("first_one"), lambda: attempt("second_one")])

    assert sorted(response.status_code for response in responses) == [201, 409]
    conflict = next(response for response in responses if response.status_code == 409)
    assert conflict.json()["error"]["code"] == "EMAIL_ALREADY_EXISTS"
    assert User.objects.filter(email="same@example.com").count() == 1


def test_two_concurrent_registrations_with_one_username_give_one_account() -> None:
    def attempt(email: str) -> Any:
        body = {"username": "Twin", "email": email, "password": STRONG_PASSWORD}
        return APIClient().post("/api/v1/auth/register", body)

    responses = run_together([lambda: attempt("a@example.com"), lambda: attempt("b@example.com")])

    assert sorted(response.status_code for response in responses) == [201, 409]
    conflict = next(response for response in responses if response.status_code == 409)
    assert conflict.json()["error"]["code"] == "USERNAME_ALREADY_EXISTS"


def test_ten_concurrent_refreshes_with_one_token_all_get_the_same_pair() -> None:
    # A phone retrying a refresh whose answer was lost: one rotation, the
    # retries within the reuse interval get its pair, the session stays.
    user = UserFactory.create()
    login = APIClient().post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    token = login.json()["data"]["refreshToken"]

    def attempt() -> Any:
        return APIClient().post("/api/v1/auth/refresh", {"refreshToken": token})

    responses = run_together([attempt] * 10)

    assert [response.status_code for response in responses] == [200] * 10
    pairs = {(r.json()["data"]["accessToken"], r.json()["data"]["refreshToken"]) for r in responses}
    assert len(pairs) == 1
    session = AuthSession.objects.get(user=user)
    assert session.revoked_at is None
    access, new_refresh = pairs.pop()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/users/profile").status_code == 200
    assert APIClient().post("/api/v1/auth/refresh", {"refreshToken": new_refresh}).status_code == 200
