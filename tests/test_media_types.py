"""JSON in: every endpoint takes application/json only (the avatar upload multipart/form-data only), else 415."""

import re
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User

PARAM = re.compile(r"\{[a-z_]+\}")


def unsafe_operations() -> list[tuple[str, str]]:
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    return [
        (method, PARAM.sub(str(uuid.uuid4()), path))
        for path, item in schema["paths"].items()
        for method in item
        if method in {"post", "put", "patch", "delete"}
    ]


def assert_415(response: Any) -> None:
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert response.json()["success"] is False


@pytest.mark.django_db
def test_a_form_upload_to_any_json_endpoint_is_415(user_client: APIClient) -> None:
    operations = unsafe_operations()
    assert len(operations) > 30
    for method, path in operations:
        if path == "/api/v1/users/avatar":
            continue
        response = getattr(user_client, method)(path, {"name": "x", "accessCode": "K7Q2M9XP"}, format="multipart")
        assert_415(response)


@pytest.mark.django_db
def test_a_urlencoded_body_is_415_even_without_a_token(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/auth/login", "email=a%40b.example&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert_415(response)


@pytest.mark.django_db
def test_the_avatar_upload_takes_multipart_only(user_client: APIClient) -> None:
    assert_415(user_client.post("/api/v1/users/avatar", {"avatar": "aGVsbG8="}, format="json"))


@pytest.mark.django_db
def test_json_bodies_and_empty_bodies_still_pass(user_client: APIClient, user: User) -> None:
    response = user_client.post(
        "/api/v1/groups", '{"name": "Climbers"}', content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 201, response.content
    group_id = response.json()["data"]["id"]
    assert user_client.post("/api/v1/notifications/read-all").status_code == 200
    assert user_client.post(f"/api/v1/groups/{group_id}/access-code").status_code == 200
