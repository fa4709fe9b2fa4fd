"""Sessions end (absolute lifetime), can be listed and revoked, and stay revoked without the cache."""

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuthSession, User
from accounts.tests.conftest import Tokens, error_of
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def refresh(refresh_token: str) -> object:
    return APIClient().post("/api/v1/auth/refresh", {"refreshToken": refresh_token})


def test_a_session_refreshed_every_six_days_ends_after_thirty(user: User, login: Callable[..., Tokens]) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens = login(user)
    for day in (6, 12, 18, 24):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            response = refresh(tokens["refreshToken"])
            assert response.status_code == 200, day  # type: ignore[attr-defined]
            tokens = response.json()["data"]  # type: ignore[attr-defined]

    with time_machine.travel(start + timedelta(days=30, seconds=1), tick=False):
        response = refresh(tokens["refreshToken"])

    assert response.status_code == 401  # type: ignore[attr-defined]
    assert error_of(response)["code"] in {"TOKEN_INVALID", "SESSION_EXPIRED"}


def test_a_session_from_before_the_limit_is_refused_with_session_expired(
    user: User, login: Callable[..., Tokens], settings
) -> None:
    # A session opened under a longer limit (its refresh token outlives the new one).
    settings.AUTH_SESSION_MAX_AGE = timedelta(days=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens = login(user)
    settings.AUTH_SESSION_MAX_AGE = timedelta(days=3)

    with time_machine.travel(start + timedelta(days=4), tick=False):
        response = refresh(tokens["refreshToken"])

    assert response.status_code == 401  # type: ignore[attr-defined]
    assert error_of(response)["code"] == "SESSION_EXPIRED"
    assert AuthSession.objects.get().revoked_at is not None


def test_the_lifetime_is_configurable(user: User, login: Callable[..., Tokens], settings) -> None:
    settings.AUTH_SESSION_MAX_AGE = timedelta(days=2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens = login(user)
    with time_machine.travel(start + timedelta(days=2, seconds=1), tick=False):
        assert refresh(tokens["refreshToken"]).status_code == 401  # type: ignore[attr-defined]


def test_the_session_list_shows_each_device(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    phone = login(user, HTTP_USER_AGENT="HuCares/2.1 (iPhone)", REMOTE_ADDR="198.51.100.7")
    laptop = login(user, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux)", REMOTE_ADDR="2001:db8::5")
    other = UserFactory.create()
    login(other)

    response = bearer(laptop["accessToken"]).get("/api/v1/auth/sessions")

    assert response.status_code == 200
    rows = response.json()["data"]
    assert len(rows) == 2
    by_agent = {row["userAgent"]: row for row in rows}
    assert set(by_agent) == {"HuCares/2.1 (iPhone)", "Mozilla/5.0 (X11; Linux)"}
    assert by_agent["Mozilla/5.0 (X11; Linux)"]["current"] is True
    assert by_agent["HuCares/2.1 (iPhone)"]["current"] is False
    assert by_agent["HuCares/2.1 (iPhone)"]["ipAddress"] == "198.51.100.7"
    assert set(rows[0]) == {"id", "userAgent", "ipAddress", "createdAt", "lastUsedAt", "expiresAt", "endsAt", "current"}
    assert phone["accessToken"] != laptop["accessToken"]


def test_using_a_session_moves_its_last_used_time(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens = login(user)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        bearer(tokens["accessToken"]).get("/api/v1/users/profile")

    assert AuthSession.objects.get().last_used_at == start + timedelta(minutes=5)


def test_revoking_a_session_stops_its_access_and_refresh_tokens_at_once(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    stolen = login(user, HTTP_USER_AGENT="unknown device")
    mine = login(user)
    thief = bearer(stolen["accessToken"])
    assert thief.get("/api/v1/users/profile").status_code == 200
    sid = AuthSession.objects.get(user_agent="unknown device").pk

    response = bearer(mine["accessToken"]).delete(f"/api/v1/auth/sessions/{sid}")

    assert response.status_code == 204
    assert thief.get("/api/v1/users/profile").status_code == 401
    assert refresh(stolen["refreshToken"]).status_code == 401  # type: ignore[attr-defined]
    assert bearer(mine["accessToken"]).get("/api/v1/users/profile").status_code == 200


def test_another_users_or_a_revoked_session_is_not_found(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient]
) -> None:
    mine = login(user)
    login(UserFactory.create())
    foreign = AuthSession.objects.exclude(user=user).get().pk
    client = bearer(mine["accessToken"])

    assert client.delete(f"/api/v1/auth/sessions/{foreign}").status_code == 404
    own = AuthSession.objects.get(user=user).pk
    assert client.delete(f"/api/v1/auth/sessions/{own}").status_code == 204
    assert client.delete(f"/api/v1/auth/sessions/{own}").status_code == 401  # its own token is gone too


@pytest.mark.parametrize("how", ["logout", "delete"])
def test_a_revocation_survives_losing_the_cache(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient], how: str
) -> None:
    tokens = login(user)
    client = bearer(tokens["accessToken"])
    if how == "logout":
        assert client.post("/api/v1/auth/logout", {}).status_code == 200
    else:
        sid = AuthSession.objects.get().pk
        assert bearer(login(user)["accessToken"]).delete(f"/api/v1/auth/sessions/{sid}").status_code == 204

    cache.clear()  # a Redis restart without persistence, a FLUSHDB or an eviction

    assert client.get("/api/v1/users/profile").status_code == 401


def test_a_live_session_needs_one_query_after_losing_the_cache_then_none(
    signed_in: tuple[APIClient, Tokens], django_assert_num_queries
) -> None:
    client, _ = signed_in
    client.get("/api/v1/users/profile")
    cache.clear()
    assert client.get("/api/v1/users/profile").status_code == 200
    client.get("/api/v1/users/profile")
    with django_assert_num_queries(0):
        assert client.get("/api/v1/users/profile").status_code == 200
