"""Health, metrics, the OpenAPI schema and production settings."""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from realtime.models import UserSession

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


def test_health_reports_every_dependency(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "ok"
    assert data["checks"] == {"database": "ok", "cache": "ok", "channelLayer": "ok"}
    assert data["version"]


def test_liveness_answers_without_touching_dependencies(api_client: APIClient, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json()["data"] == {"status": "ok"}


def test_health_is_degraded_naming_a_cache_on_a_closed_port(api_client: APIClient, settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["status"] == "degraded"
    assert "Redis" in body["message"]
    assert "cache" in body["message"]
    assert body["data"]["checks"]["cache"] == "error"
    assert body["data"]["checks"]["database"] == "ok"


def test_health_is_503_when_the_database_is_down(api_client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hucares.core import views

    def database_down() -> None:
        raise OSError("connection refused")

    monkeypatch.setitem(views.CHECKS, "database", database_down)
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "database" in body["error"]["message"]
    assert body["error"]["details"]["status"] == "error"


def test_health_is_degraded_naming_a_channel_layer_on_a_closed_port(api_client: APIClient, settings) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [CLOSED_PORT_URL]}}
    }
    channel_layers.backends.clear()
    try:
        response = api_client.get("/api/v1/health")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "degraded"
    assert response.json()["data"]["checks"]["channelLayer"] == "error"


def test_schema_is_valid_openapi_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    assert '"openapi"' in out.getvalue()


def test_schema_documents_the_envelope(api_client: APIClient) -> None:
    schema = api_client.get("/api/v1/schema/?format=json").json()
    health = schema["paths"]["/api/v1/health"]["get"]["responses"]
    ok = health["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/HealthEnvelope"}
    assert set(schema["components"]["schemas"]["HealthEnvelope"]["required"]) == {"success", "data", "meta"}
    assert health["default"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert "/api/v1/health/" not in schema["paths"]


def test_redoc_page_is_served_locally(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/redoc/")
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/redoc" in response.content.decode()


def test_metrics_use_route_templates_not_raw_paths(api_client: APIClient, user) -> None:
    UserSession.objects.create(user=user, socket_id="specific.abc")
    api_client.get("/api/v1/health")
    api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="x")
    response = api_client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'http_request_duration_seconds_count{method="GET",route="/api/v1/health",status_code="200"}' in text
    assert "checkins_total" in text
    assert "websocket_connections 1.0" in text
    assert "active_users" in text


def test_unmatched_paths_share_one_metrics_label(api_client: APIClient) -> None:
    api_client.get("/api/v1/groups/3f0e7c8e-0000-4000-8000-000000000000/nothing")
    text = api_client.get("/metrics").content.decode()
    assert "3f0e7c8e" not in text
    assert 'route="unmatched"' in text


def test_metrics_are_refused_to_other_addresses(api_client: APIClient) -> None:
    response = api_client.get("/metrics", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"


def test_metrics_token_opens_metrics_to_any_address(api_client: APIClient, settings) -> None:
    settings.METRICS_TOKEN = "scrape-me"
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer nope").status_code == 403
    ok = api_client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert ok.status_code == 200


def _run_manage(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# Keys made for this run: production refuses any key written in the repository.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "hucares.settings.production",
    "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
    "ALLOW_CONSOLE_EMAIL": "true",
}
GOOD_KEY = secrets.token_urlsafe(64)


def test_production_refuses_the_embedded_secret_key() -> None:
    result = _run_manage(["check"], PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = _run_manage(["check"], {**PRODUCTION, "SECRET_KEY": GOOD_KEY, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_settings_pass_check_deploy() -> None:
    result = _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "api.hucares.example"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_leaves_the_export_download_unwrapped(api_client: APIClient) -> None:
    schema = api_client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/checkins/export"]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    assert "x-no-envelope" not in operation


@pytest.mark.services_only  # the Redis cache's client
def test_redis_cache_reuses_one_client_per_server() -> None:
    # Django's own Redis backend builds a client per call; django-redis keeps one (docs/decisions.md).
    from django.core.cache import cache
    from django_redis import get_redis_connection

    cache.set("probe", 1)
    assert get_redis_connection("default") is get_redis_connection("default")
    assert cache.get("probe") == 1


def test_redis_down_keeps_signed_in_reads_working(api_client: APIClient, user, settings) -> None:
    # The session check reads PostgreSQL while Redis is away (accounts.tokens).
    from accounts.services import ClientInfo, session_start

    access = session_start(user=user, client=ClientInfo()).access
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CLOSED_PORT_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    response = api_client.get("/api/v1/users/profile", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == 200, response.content
