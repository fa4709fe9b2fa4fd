"""The envelope, errors, request ids, pagination and headers of the API."""

import json
import logging
import re
import uuid

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("hucares.core.tests.probe_urls")]

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["meta"]["requestId"] == response["X-Request-ID"]
    assert "timestamp" in body["meta"]
    return body


def test_success_envelope_camelizes_and_carries_message(api_client: APIClient) -> None:
    response = api_client.post("/probe/echo", {"displayName": "Ann", "scoreCard": {"a": 3}}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["data"] == {"displayName": "Ann", "scoreCard": {"a": 3}}
    assert body["message"] == "Echoed"
    assert body["meta"]["version"] == "v1"
    assert body["meta"]["requestId"] == response["X-Request-ID"]
    assert "pagination" not in body["meta"]


def test_validation_error_lists_camelcase_fields(api_client: APIClient) -> None:
    response = api_client.post("/probe/echo", {"displayName": "toolong", "scoreCard": {"a": 11}}, format="json")
    body = assert_error(response, 400, "VALIDATION_ERROR")
    fields = {item["field"] for item in body["error"]["details"]}
    assert fields == {"displayName", "scoreCard.a"}


def test_errors_inside_lists_name_the_index(api_client: APIClient) -> None:
    response = api_client.post("/probe/echo", {"displayName": "Ann", "entries": [{"a": 1}, {"b": 99}]}, format="json")
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["error"]["details"] == [{"field": "entries[1].b", "message": body["error"]["details"][0]["message"]}]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("http404", 404, "NOT_FOUND"), ("denied", 403, "PERMISSION_DENIED"), ("token", 401, "TOKEN_INVALID")],
)
def test_django_and_jwt_exceptions_become_envelopes(api_client: APIClient, kind: str, status: int, code: str) -> None:
    response = assert_error(api_client.get(f"/probe/fail?kind={kind}"), status, code)
    assert "secret" not in json.dumps(response)


def test_missing_field_is_a_validation_error(api_client: APIClient) -> None:
    body = assert_error(api_client.post("/probe/echo", {}, format="json"), 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "displayName"


def test_body_that_is_not_json_is_malformed(api_client: APIClient) -> None:
    response = api_client.post("/probe/echo", "{not json", content_type="application/json")
    assert_error(response, 400, "MALFORMED_REQUEST")


def test_wrong_content_type_is_415(api_client: APIClient) -> None:
    response = api_client.post("/probe/echo", "displayName=Ann", content_type="text/plain")
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_body_over_the_upload_limit_is_413(api_client: APIClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"displayName": "x" * 5000})
    response = api_client.post("/probe/echo", payload, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_unknown_url_is_a_json_404(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/does-not-exist")
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "NOT_FOUND")


def test_wrong_method_is_405(api_client: APIClient) -> None:
    assert_error(api_client.delete("/probe/echo"), 405, "METHOD_NOT_ALLOWED")


def test_domain_error_uses_its_code_and_status(api_client: APIClient) -> None:
    body = assert_error(api_client.get("/probe/fail?kind=domain"), 418, "TEAPOT")
    assert body["error"]["message"] == "I am a teapot."


def test_unhandled_error_is_500_without_internals(api_client: APIClient, caplog) -> None:
    response = api_client.get("/probe/fail")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "SELECT" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["error"]["message"] == "An unexpected error occurred."


def test_pagination_meta_and_limits(api_client: APIClient) -> None:
    body = api_client.get("/probe/list?page=2&limit=20").json()
    assert body["data"][0] == {"itemNumber": 20}
    assert body["meta"]["pagination"] == {"page": 2, "limit": 20, "total": 45, "totalPages": 3}
    assert api_client.get("/probe/list?limit=500").json()["meta"]["pagination"]["limit"] == 100
    beyond = api_client.get("/probe/list?page=9").json()
    assert beyond["data"] == []
    assert beyond["meta"]["pagination"]["total"] == 45


def test_a_page_far_past_the_end_is_empty_not_an_error(user_client: APIClient) -> None:
    # An OFFSET this large is beyond what PostgreSQL's bigint holds: the page is not read at all.
    body = user_client.get("/api/v1/notifications?page=3466023255218830336").json()
    assert body["data"] == []
    assert body["meta"]["pagination"]["page"] == 3466023255218830336


@pytest.mark.parametrize("query", ["page=0", "page=abc", "limit=0", "limit=-3", "page=" + "9" * 5000])
def test_bad_pagination_parameters_are_validation_errors(api_client: APIClient, query: str) -> None:
    assert_error(api_client.get(f"/probe/list?{query}"), 400, "VALIDATION_ERROR")


def test_request_id_is_generated_when_absent(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/health")
    assert UUID_RE.match(response["X-Request-ID"])
    assert response.json()["meta"]["requestId"] == response["X-Request-ID"]


def test_sane_request_id_is_echoed(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="abc.DEF_123-x")
    assert response["X-Request-ID"] == "abc.DEF_123-x"
    assert response.json()["meta"]["requestId"] == "abc.DEF_123-x"


@pytest.mark.parametrize("incoming", ["has space", "x" * 65, "semi;colon", "<script>"])
def test_insane_request_id_is_replaced(api_client: APIClient, incoming: str) -> None:
    response = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID=incoming)
    assert UUID_RE.match(response["X-Request-ID"])


def test_error_outside_drf_also_carries_request_id(api_client: APIClient) -> None:
    response = api_client.get("/nowhere", HTTP_X_REQUEST_ID="trace-1")
    assert response.json()["meta"]["requestId"] == "trace-1"


def test_trailing_slash_works_without_redirect(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/health/").status_code == 200


def test_security_headers_on_api_responses(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_docs_page_has_a_self_only_csp_and_local_assets(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_cors_allows_configured_origin_and_exposes_request_id(api_client: APIClient, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.hucares.example"]
    response = api_client.get("/api/v1/health", HTTP_ORIGIN="https://app.hucares.example")
    assert response["Access-Control-Allow-Origin"] == "https://app.hucares.example"
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]
    other = api_client.get("/api/v1/health", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_access_log_line_has_context_and_redacts_tokens(api_client: APIClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="hucares.access"):
        api_client.get("/api/v1/health?token=very-secret-value&x=1", HTTP_X_REQUEST_ID="log-check")
    records = [r for r in caplog.records if r.name == "hucares.access"]
    assert len(records) == 1
    record = records[0]
    assert record.requestId == "log-check"
    assert record.route == "/api/v1/health"
    assert record.status == 200
    assert record.method == "GET"
    assert record.durationMs >= 0
    assert "very-secret-value" not in record.path
    assert "token=[redacted]" in record.path


def test_anonymous_rate_limit_answers_429_with_headers(api_client: APIClient, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_ANON = "3/15m"
    for _ in range(3):
        ok = api_client.get("/probe/list")
        assert ok.status_code == 200
    assert ok["RateLimit-Limit"] == "3"
    assert ok["RateLimit-Remaining"] == "0"
    response = api_client.get("/probe/list")
    assert_error(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit-Limit"] == "3"
    assert response["RateLimit-Remaining"] == "0"
    assert int(response["RateLimit-Reset"]) > 0


def test_spoofed_forwarded_for_does_not_dodge_the_limit(api_client: APIClient, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_ANON = "2/15m"
    for n in range(2):
        api_client.get("/probe/list", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = api_client.get("/probe/list", HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert response.status_code == 429


def test_trusted_proxy_count_uses_forwarded_address(api_client: APIClient, settings) -> None:
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_ANON = "1/15m"
    settings.TRUSTED_PROXY_COUNT = 1
    assert api_client.get("/probe/list", HTTP_X_FORWARDED_FOR="spoof, 203.0.113.1").status_code == 200
    assert api_client.get("/probe/list", HTTP_X_FORWARDED_FOR="other, 203.0.113.2").status_code == 200
    assert api_client.get("/probe/list", HTTP_X_FORWARDED_FOR="again, 203.0.113.1").status_code == 429


def test_request_id_header_is_unique_per_request(api_client: APIClient) -> None:
    ids = {api_client.get("/api/v1/health")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
    assert all(uuid.UUID(value) for value in ids)


def test_log_lines_with_mapping_arguments_are_formatted_and_redacted() -> None:
    from hucares.core.logging import JsonFormatter, RequestContextFilter

    record = logging.LogRecord(
        "celery",
        logging.INFO,
        __file__,
        1,
        "Task %(name)s got %(url)s",
        ({"name": "t", "url": "/ws/?token=abc"},),
        None,
    )
    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Task t got /ws/?token=[redacted]"
