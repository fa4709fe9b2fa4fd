"""A body nested deeper than the documented depth is 400 MALFORMED_REQUEST on every JSON endpoint, never a 500."""

import pytest
from rest_framework.test import APIClient

from hucares.core.parsers import MAX_JSON_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/groups", "/api/v1/auth/register"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
def test_a_body_nested_too_deep_is_malformed(path: str, depth: int) -> None:
    response = APIClient().post(path, nested(depth), content_type="application/json")

    assert response.status_code in (400, 401), response.content
    if response.status_code == 401:  # groups: unauthenticated requests are refused before parsing
        return
    body = response.json()
    assert body["error"]["code"] == "MALFORMED_REQUEST"
    assert str(MAX_JSON_DEPTH) in body["error"]["message"]


def test_a_deep_body_of_a_signed_in_user_is_malformed(user_client: APIClient) -> None:
    response = user_client.post("/api/v1/groups", '{"name": ' + nested(5000) + "}", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"


def test_the_depth_limit_counts_objects_and_arrays() -> None:
    at_limit: object = []
    for level in range(MAX_JSON_DEPTH - 1):
        at_limit = {"a": at_limit} if level % 2 else [at_limit]

    assert not json_depth_exceeds(at_limit, MAX_JSON_DEPTH)
    assert json_depth_exceeds({"a": at_limit}, MAX_JSON_DEPTH)
    assert not json_depth_exceeds("text", MAX_JSON_DEPTH)
