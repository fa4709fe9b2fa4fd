"""Every body field of the accounts endpoints against hostile input: a 400 naming the field, never a 500."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.conftest import STRONG_PASSWORD, error_of, fields_of
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

# endpoint -> (method, needs auth, valid body, {field: max length})
ENDPOINTS: dict[str, tuple[str, bool, dict[str, Any], dict[str, int]]] = {
    "/api/v1/auth/register": (
        "post",
        False,
        {"username": "valid_name", "email": "valid@example.com", "password": STRONG_PASSWORD},
        {"username": 20, "email": 255, "password": 128},
    ),
    "/api/v1/auth/login": ("post", False, {"email": "a@example.com", "password": "x"}, {"email": 255, "password": 128}),
    "/api/v1/auth/refresh": ("post", False, {"refreshToken": "x"}, {"refreshToken": 4096}),
    "/api/v1/auth/forgot-password": ("post", False, {"email": "a@example.com"}, {"email": 255}),
    "/api/v1/auth/reset-password": (
        "post",
        False,
        {"token": "x", "newPassword": STRONG_PASSWORD},
        {"token": 4096, "newPassword": 128},
    ),
    "/api/v1/auth/verify-email": ("post", False, {"token": "x"}, {"token": 4096}),
    "/api/v1/auth/change-password": (
        "post",
        True,
        {"currentPassword": DEFAULT_PASSWORD, "newPassword": STRONG_PASSWORD},
        {"currentPassword": 128, "newPassword": 128},
    ),
    "/api/v1/users/account": ("delete", True, {"password": DEFAULT_PASSWORD}, {"password": 128}),
}

REQUIRED_CASES = [
    (endpoint, field)
    for endpoint, (_, _, body, _) in ENDPOINTS.items()
    for field in body
    if endpoint != "/api/v1/auth/login"
]
WRONG_TYPES: list[Any] = [123, 1.5, True, [], {}, ["a"], {"a": "b"}]


@pytest.fixture
def call(client_for: Callable[[User], APIClient], user: User) -> Callable[[str, dict[str, Any]], Any]:
    def do(endpoint: str, body: dict[str, Any]) -> Any:
        method, needs_auth, _, _ = ENDPOINTS.get(endpoint, ("patch", True, {}, {}))
        client = client_for(user) if needs_auth else APIClient()
        return getattr(client, method)(endpoint, body, format="json")

    return do


def body_with(endpoint: str, field: str, value: Any) -> dict[str, Any]:
    body = dict(ENDPOINTS[endpoint][2])
    body[field] = value
    return body


def assert_field_error(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert field in fields_of(response)


@pytest.mark.parametrize(("endpoint", "field"), REQUIRED_CASES)
def test_missing_field(call, endpoint: str, field: str) -> None:
    body = dict(ENDPOINTS[endpoint][2])
    del body[field]

    assert_field_error(call(endpoint, body), field)


@pytest.mark.parametrize(("endpoint", "field"), REQUIRED_CASES)
@pytest.mark.parametrize("value", [None, ""], ids=["null", "empty"])
def test_null_or_empty_field(call, endpoint: str, field: str, value: Any) -> None:
    assert_field_error(call(endpoint, body_with(endpoint, field, value)), field)


@pytest.mark.parametrize(("endpoint", "field"), [*REQUIRED_CASES, ("/api/v1/auth/login", "email")])
@pytest.mark.parametrize("value", WRONG_TYPES)
def test_wrong_type_field(call, endpoint: str, field: str, value: Any) -> None:
    assert_field_error(call(endpoint, body_with(endpoint, field, value)), field)


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [(endpoint, field) for endpoint, (_, _, _, limits) in ENDPOINTS.items() for field in limits],
)
def test_too_long_field(call, endpoint: str, field: str) -> None:
    limit = ENDPOINTS[endpoint][3][field]
    value = "a" * (limit - 11) + "@example.com" if "email" in field else "Aa1" + "x" * limit

    assert_field_error(call(endpoint, body_with(endpoint, field, value)), field)


@pytest.mark.parametrize(("endpoint", "field"), [(e, f) for e, (_, _, b, _) in ENDPOINTS.items() for f in b])
@pytest.mark.parametrize("value", ["Ünïcødé-Pässwörd-1", "名前テスト", "😀😀😀", "a\u0000b", "\u202eevil"])
def test_unicode_field_never_breaks_the_server(call, endpoint: str, field: str, value: str) -> None:
    response = call(endpoint, body_with(endpoint, field, value))

    assert response.status_code < 500
    assert "success" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "名前テスト"),
        ("username", "über"),
        ("username", "no spaces"),
        ("username", "ab"),
        ("email", "ünï@example.com"),
        ("email", "not-an-email"),
        ("password", "a\u0000bC1defgh"),
    ],
)
def test_register_rejects_malformed_values(call, field: str, value: str) -> None:
    endpoint = "/api/v1/auth/register"

    assert_field_error(call(endpoint, body_with(endpoint, field, value)), field)


def test_unicode_password_is_accepted(call) -> None:
    endpoint = "/api/v1/auth/register"

    assert call(endpoint, body_with(endpoint, "password", "Grüße-aus-Köln-7")).status_code == 201


def test_login_needs_an_email_or_a_username(call) -> None:
    assert_field_error(call("/api/v1/auth/login", {"password": "x"}), "email")


@pytest.mark.parametrize("field", ["username", "email", "timezone"])
@pytest.mark.parametrize("value", [None, "", 5, [], "x" * 300])
def test_profile_fields_reject_bad_values(call, field: str, value: Any) -> None:
    assert_field_error(call("/api/v1/users/profile", {field: value}), field)


@pytest.mark.parametrize(("field", "value"), [("refreshToken", 5), ("refreshToken", "x" * 4097), ("all", "yes")])
def test_logout_fields_are_typed(signed_in: tuple[APIClient, Any], field: str, value: Any) -> None:
    client, _ = signed_in

    assert_field_error(client.post("/api/v1/auth/logout", {field: value}, format="json"), field)


@pytest.mark.parametrize("endpoint", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh"])
def test_body_that_is_not_json_is_malformed(endpoint: str) -> None:
    response = APIClient().post(endpoint, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_REQUEST"


@pytest.mark.parametrize("body", [[], ["a"], "text", 5])
def test_body_that_is_not_an_object_is_a_validation_error(body: Any) -> None:
    response = APIClient().post("/api/v1/auth/login", body, format="json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"


def test_form_encoded_body_is_an_unsupported_media_type() -> None:
    response = APIClient().post(
        "/api/v1/auth/login", "email=a%40b.c&password=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415


def test_unknown_fields_are_refused_by_name(user: User) -> None:
    response = APIClient().post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD, "rememberMe": True}, format="json"
    )

    assert response.status_code == 400
    assert fields_of(response) == {"rememberMe"}
