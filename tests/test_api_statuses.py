"""Every status the server answers is one its operation lists, and every body it needs is described.

For each operation of the served schema, the requests a careless or hostile client sends: the plain call,
no credentials, an ``Accept`` without JSON, each query parameter out of range or not a number, and on
unsafe methods an empty, a malformed, a form-encoded and an oversized body. Whatever each answers must be
a status of the operation's ``responses``.
"""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"\{[a-z_]+\}")
METHODS = ("get", "post", "put", "patch", "delete")
UNSAFE = ("post", "put", "patch", "delete")
BAD_QUERY_VALUES = ("0", "abc", "-1")
# The limit is lowered for the test so that an oversized body stays small.
BODY_LIMIT = 2048


def _requests(method: str, operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, query, client keywords) of each sample request."""
    yield "plain", {}, {}
    yield "not acceptable", {}, {"HTTP_ACCEPT": "application/xml"}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query":
            for value in BAD_QUERY_VALUES:
                yield f"{parameter['name']}={value}", {parameter["name"]: value}, {}
    if method in UNSAFE:
        yield "empty body", {}, {"data": {}, "format": "json"}
        yield "malformed", {}, {"data": "{not json", "content_type": "application/json"}
        yield "form", {}, {"data": "a=b", "content_type": "application/x-www-form-urlencoded"}
        yield (
            "oversized",
            {},
            {
                "data": '{"x": "' + "a" * BODY_LIMIT + '"}',
                "content_type": "application/json",
                "HTTP_IDEMPOTENCY_KEY": "k",
            },
        )


def _signed_in() -> APIClient:
    """A client with a real access token: logout reads the token's claims."""
    client = APIClient()
    user = UserFactory.create()
    login = client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['data']['accessToken']}")
    return client


def _answer(client: APIClient, method: str, path: str, query: dict[str, Any], keywords: dict[str, Any]) -> int:
    url = path + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")
    return int(getattr(client, method)(url, **keywords).status_code)


def test_every_status_answered_is_listed_by_its_operation(settings: Any) -> None:
    schema = APIClient().get("/api/v1/schema/?format=json").json()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = BODY_LIMIT
    unlisted = []
    checked = 0
    for template, item in schema["paths"].items():
        path = PARAM.sub(lambda _: str(uuid.uuid4()), template)
        for method in (name for name in METHODS if name in item):
            operation = item[method]
            listed = set(operation["responses"])
            signed_in = _signed_in()
            samples = [(name, query, keywords, signed_in) for name, query, keywords in _requests(method, operation)]
            samples.append(("no credentials", {}, {}, APIClient()))
            for name, query, keywords, client in samples:
                status = _answer(client, method, path, query, keywords)
                checked += 1
                if str(status) not in listed:
                    unlisted.append(f"{method.upper()} {template} ({name}): {status}")
    assert checked > 300
    assert not unlisted, "answered but not listed in the schema:\n" + "\n".join(unlisted)


def test_account_deletion_describes_its_password_body() -> None:
    schema = APIClient().get("/api/v1/schema/?format=json").json()

    body = schema["paths"]["/api/v1/users/account"]["delete"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/DeleteAccountRequest"}
    assert schema["components"]["schemas"]["DeleteAccountRequest"]["required"] == ["password"]


def test_the_export_lists_its_typed_json_form_first() -> None:
    schema = APIClient().get("/api/v1/schema/?format=json").json()

    content = schema["paths"]["/api/v1/checkins/export"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["application/json", "text/csv"]
    assert content["application/json"]["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/CheckIn"}}
