"""An access token is honoured only while its session row exists and is live, with or without Redis."""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import services, signals, tokens
from accounts.models import AuthSession, User
from accounts.tests.conftest import Tokens, error_of

pytestmark = pytest.mark.django_db

# Nothing listens here (the helpers' range of this suite): every cache call fails to connect.
CLOSED_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:18199/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    settings.RATELIMIT_ENABLE = False
    with override_settings(CACHES=CLOSED_REDIS):
        yield


def test_a_token_whose_session_has_no_row_is_refused(user: User, bearer: Callable[[str], APIClient]) -> None:
    # Validly signed, but its sid names no session: forged with a leaked key, or outlived its row.
    forged = tokens.issue_pair(user=user, session_id=uuid.uuid4())

    response = bearer(forged.access).get("/api/v1/users/profile")

    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_a_session_whose_row_went_is_refused_even_when_the_cache_says_live(
    signed_in: tuple[APIClient, Tokens],
) -> None:
    client, _ = signed_in
    assert client.get("/api/v1/users/profile").status_code == 200  # "live" is now cached
    AuthSession.objects.all().delete()

    assert client.get("/api/v1/users/profile").status_code == 401


def test_a_live_session_is_served_while_redis_is_down(signed_in: tuple[APIClient, Tokens], redis_down: None) -> None:
    client, _ = signed_in

    response = client.get("/api/v1/users/profile")

    assert response.status_code == 200, response.content


def test_a_revoked_session_stays_refused_while_redis_is_down(
    user: User, login: Callable[..., Tokens], bearer: Callable[[str], APIClient], settings: Any
) -> None:
    session_tokens = login(user)
    with override_settings(CACHES=CLOSED_REDIS):
        settings.RATELIMIT_ENABLE = False
        # Revoked while Redis is away: only the row knows.
        services.sessions_revoke_all(user=user)
        response = bearer(session_tokens["accessToken"]).get("/api/v1/users/profile")

    assert AuthSession.objects.get().revoked_at is not None
    assert response.status_code == 401
    assert error_of(response)["code"] == "TOKEN_INVALID"


def test_a_forged_sid_is_refused_while_redis_is_down(
    user: User, bearer: Callable[[str], APIClient], redis_down: None
) -> None:
    forged = tokens.issue_pair(user=user, session_id=uuid.uuid4())

    assert bearer(forged.access).get("/api/v1/users/profile").status_code == 401


def test_revoking_sessions_announces_them_inside_the_transaction(
    user: User, login: Callable[..., Tokens], django_capture_on_commit_callbacks: Any
) -> None:
    login(user)
    login(user)
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        assert transaction.get_connection().in_atomic_block
        received.append(kwargs)

    signals.session_revoked.connect(receiver)
    try:
        services.sessions_revoke_all(user=user, reason="suspended")
    finally:
        signals.session_revoked.disconnect(receiver)

    assert len(received) == 1
    assert received[0]["user_id"] == user.pk
    assert received[0]["reason"] == "suspended"
    assert sorted(received[0]["session_ids"]) == sorted(
        str(pk) for pk in AuthSession.objects.values_list("pk", flat=True)
    )
