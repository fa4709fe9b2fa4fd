"""Request bodies take JSON values of the declared type only, and no key they do not know (hucares.core.serializers)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from groups.models import Role
from groups.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NOT_BOOLEANS: list[Any] = ["yes", "1", "on", "true", 1, 0]


def details(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return {item["field"]: item["message"] for item in error["details"]}


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_a_top_level_boolean_takes_only_true_or_false(user_client: APIClient, user: User, value: Any) -> None:
    group = MembershipFactory.create(user=user, role=Role.ADMIN).group

    created = user_client.post("/api/v1/groups", {"name": "Crew", "isPrivate": value}, format="json")
    muted = user_client.patch(f"/api/v1/groups/{group.id}/membership", {"notificationEnabled": value}, format="json")
    logged_out = user_client.post("/api/v1/auth/logout", {"all": value}, format="json")

    assert details(created) == {"isPrivate": "Must be true or false."}
    assert details(muted) == {"notificationEnabled": "Must be true or false."}
    assert details(logged_out) == {"all": "Must be true or false."}


def test_a_boolean_of_a_check_in_takes_only_true_or_false(user_client: APIClient, user: User) -> None:
    group = MembershipFactory.create(user=user).group
    body = {"groupId": str(group.id), "productive": 5, "satisfied": 5, "body": 5, "care": 5, "isPrivate": "yes"}

    assert details(user_client.post("/api/v1/checkins", body, format="json")) == {"isPrivate": "Must be true or false."}


def test_a_string_field_refuses_a_number(user_client: APIClient) -> None:
    response = user_client.post("/api/v1/groups", {"name": 123, "description": 4.5}, format="json")

    assert details(response) == {"name": "Must be a string.", "description": "Must be a string."}


def test_a_profile_patch_with_only_an_unknown_key_is_refused_by_name(user_client: APIClient, user: User) -> None:
    response = user_client.patch("/api/v1/users/profile", {"favouriteColour": "teal"}, format="json")

    assert details(response) == {"favouriteColour": "Unknown field."}


def test_unknown_top_level_keys_are_named_beside_the_valid_ones(api_client: APIClient, user: User) -> None:
    response = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": "x", "rememberMe": True}, format="json"
    )

    assert details(response) == {"rememberMe": "Unknown field."}


def test_unknown_keys_inside_settings_are_still_unknown_settings(user_client: APIClient) -> None:
    response = user_client.patch("/api/v1/users/profile", {"notificationPreferences": {"sms": True}}, format="json")

    assert details(response) == {"notificationPreferences.sms": "Unknown setting."}
