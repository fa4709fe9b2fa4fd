"""The OpenAPI schema as its readers get it: every operation documented, nothing internal, committed as served."""

import re
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from hucares.core.errors import error_table

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch"}
ERROR_ROW = re.compile(r"^\| (\d{3}) \| `([A-Z_]+)` \| .+ \|$", re.MULTILINE)


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return dict(APIClient().get("/api/v1/schema/?format=json").json())


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_committed_schema_is_the_served_one(api_client: APIClient) -> None:
    served = api_client.get("/api/v1/schema/").content.decode()
    assert COMMITTED.read_text() == served, "docs/openapi.yaml is stale: run `make openapi` and commit the diff"


def test_every_operation_has_a_summary_a_description_and_who_may_call(schema: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(schema):
        description = operation.get("description", "")
        if not operation.get("summary") or "**Who may call:**" not in description or "**Errors**" not in description:
            missing.append(f"{method} {path}")
    assert not missing, f"document these with hucares.core.apidoc.api_operation: {missing}"


def test_every_error_response_is_declared_from_the_error_table(schema: dict[str, Any]) -> None:
    table = {(cls.status, cls.code) for cls in error_table()}
    for method, path, operation in operations(schema):
        listed = {(int(status), code) for status, code in ERROR_ROW.findall(operation["description"])}
        assert listed <= table, f"{method} {path}: codes outside the error table: {listed - table}"
        declared = {int(status) for status in operation["responses"] if status.startswith(("4", "5"))}
        assert declared == {status for status, _ in listed}, f"{method} {path}: responses and errors table differ"
        for status in declared:
            content = operation["responses"][str(status)]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
            codes = {code for row_status, code in listed if row_status == status}
            assert {ref["$ref"].split("/")[-1].split("_", 1)[1] for ref in content["examples"].values()} == codes


def test_every_response_is_described(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        for status, response in operation["responses"].items():
            assert response.get("description"), f"{method} {path} {status}"
            if status.startswith("2") and status != "204":
                assert "content" in response, f"{method} {path} {status} has no body schema"
            if status == "204":
                assert "content" not in response


def test_a_null_data_answer_is_documented_as_such(schema: dict[str, Any]) -> None:
    leave = schema["paths"]["/api/v1/groups/{group_id}/leave"]["post"]["responses"]["200"]
    assert leave["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EmptyEnvelope"}
    data = schema["components"]["schemas"]["EmptyEnvelope"]["properties"]["data"]
    assert data["enum"] == [None]


def test_anonymous_operations_declare_no_security(schema: dict[str, Any]) -> None:
    anonymous = {f"{m} {p}" for m, p, operation in operations(schema) if operation.get("security") == []}
    assert {"POST /api/v1/auth/login", "POST /api/v1/auth/register", "GET /api/v1/health"} <= anonymous
    for method, path, operation in operations(schema):
        if f"{method} {path}" not in anonymous:
            assert operation["security"] == [{"bearerAuth": []}], f"{method} {path}"
            assert "401" in operation["responses"], f"{method} {path}"


def test_operation_ids_are_unique_snake_case_names(schema: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id) for operation_id in ids), ids


def test_nothing_internal_leaks_into_the_schema() -> None:
    text = COMMITTED.read_text()
    assert "``" not in text, "RST markup (from a docstring?) in the schema"
    assert ":class:" not in text
    assert ":mod:" not in text
    assert "CONTR" + "ACT" not in text
    assert "Serializer" not in text


def test_json_endpoints_declare_json_only_and_the_avatar_multipart_only(schema: dict[str, Any]) -> None:
    for method, path, operation in operations(schema):
        body = operation.get("requestBody")
        if body is None:
            continue
        expected = ["multipart/form-data"] if path == "/api/v1/users/avatar" else ["application/json"]
        assert list(body["content"]) == expected, f"{method} {path}"
        assert "415" in operation["responses"], f"{method} {path}"
