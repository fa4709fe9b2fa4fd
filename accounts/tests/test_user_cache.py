"""The authenticated user's row is cached beside the revocation keys and kept in step."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User

from .conftest import Tokens

pytestmark = pytest.mark.django_db


def test_a_warm_request_runs_no_query_for_its_user(
    signed_in: tuple[APIClient, Tokens], django_assert_num_queries
) -> None:
    client, _ = signed_in
    # The first request of the minute records activity, which refreshes the row.
    client.get("/api/v1/users/profile")
    client.get("/api/v1/users/profile")
    with django_assert_num_queries(0):
        assert client.get("/api/v1/users/profile").status_code == 200


def test_a_profile_change_is_seen_by_the_next_request(signed_in: tuple[APIClient, Tokens]) -> None:
    client, _ = signed_in
    client.get("/api/v1/users/profile")
    assert client.patch("/api/v1/users/profile", {"timezone": "Europe/Berlin"}).status_code == 200
    assert client.get("/api/v1/users/profile").json()["data"]["timezone"] == "Europe/Berlin"


def test_a_change_made_outside_the_api_is_seen_too(signed_in: tuple[APIClient, Tokens], user: User) -> None:
    client, _ = signed_in
    client.get("/api/v1/users/profile")
    user.username = "renamed_by_admin"
    user.save()
    assert client.get("/api/v1/users/profile").json()["data"]["username"] == "renamed_by_admin"


@pytest.mark.parametrize("how", ["deactivate", "delete"])
def test_a_deactivated_or_deleted_user_is_rejected_at_once(
    signed_in: tuple[APIClient, Tokens], user: User, how: str
) -> None:
    client, _ = signed_in
    assert client.get("/api/v1/users/profile").status_code == 200
    actions: dict[str, Any] = {
        "deactivate": lambda: services.user_deactivate(user=user),
        "delete": lambda: User.objects.filter(pk=user.pk).delete(),
    }
    actions[how]()
    assert client.get("/api/v1/users/profile").status_code == 401
