"""Operator metrics beside the request metrics: Celery's queue, broker and
task outcomes, the database pool, the metrics port of processes without an
HTTP server; and the broker and pool settings the fault drills
(scripts/drill_*.sh) exercise end to end."""

import logging
import re
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from wsgiref.simple_server import WSGIServer

import psycopg
import pytest
import redis
from celery import shared_task
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from hucares.core import infra_metrics
from hucares.core.metrics import serve_process_metrics
from realtime.metrics import process_sockets, socket_server_started

pytestmark = pytest.mark.django_db


def metric(text: str, name: str, labels: str = "") -> float | None:
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" ([0-9.e+-]+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


@pytest.fixture
def broker(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = f"test-queue-{uuid.uuid4().hex}"
    monkeypatch.setattr(infra_metrics, "_broker", None)
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.mark.services_only  # the Celery broker in Redis
def test_queue_length_is_read_from_the_broker(api_client: APIClient, broker: redis.Redis, settings) -> None:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    broker.rpush(queue, "a", "b", "c")
    text = api_client.get("/metrics").content.decode()
    assert metric(text, "celery_queue_length", f'queue="{queue}"') == 3.0
    assert metric(text, "celery_broker_up") == 1.0


def test_broker_down_is_reported_not_raised(api_client: APIClient, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(infra_metrics, "_broker", None)
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert metric(response.content.decode(), "celery_broker_up") == 0.0


@shared_task(name="tests.deploy.fails")
def fails() -> None:
    raise ValueError("boom")


@shared_task(name="tests.deploy.succeeds")
def succeeds() -> int:
    return 1


def test_task_outcomes_are_counted(api_client: APIClient) -> None:
    def count(task: str, outcome: str) -> float:
        text = api_client.get("/metrics").content.decode()
        return metric(text, "celery_tasks_total", f'outcome="{outcome}",task="{task}"') or 0.0

    before = count("tests.deploy.fails", "failed"), count("tests.deploy.succeeds", "succeeded")
    fails.apply(throw=False)
    succeeds.apply()
    assert count("tests.deploy.fails", "failed") == before[0] + 1
    assert count("tests.deploy.succeeds", "succeeded") == before[1] + 1


@pytest.mark.services_only  # PostgreSQL's connection pool
def test_pool_use_is_reported_after_a_request(api_client: APIClient) -> None:
    assert getattr(connection, "pool", None) is not None
    api_client.get("/api/v1/health")
    text = api_client.get("/metrics").content.decode()
    open_connections = metric(text, "db_pool_connections", 'state="open"')
    assert open_connections is not None
    assert open_connections >= 1
    assert metric(text, "db_pool_waits_total") is not None


@pytest.mark.services_only  # PostgreSQL's connection pool
@pytest.mark.django_db(transaction=True)
def test_pooled_connections_killed_by_the_server_are_not_handed_out() -> None:
    # What a PostgreSQL restart does to every idle pooled connection: here
    # seven of them, as a busy daphne leaves behind. The request's own check
    # alone retried with backoff (1 s, 2 s, 4 s, ...) and timed out after four.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # back to the pool, idle
    pool = getattr(connection, "pool", None)  # Django's pool is not in the wrapper's type
    assert pool is not None
    lent = [pool.getconn() for _ in range(7)]
    for pooled in lent:
        pool.putconn(pooled)
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        killed = other.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 1
    with connection.cursor() as cursor:  # the first use afterwards succeeds
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_redelivery_waits_only_as_long_as_a_task_may() -> None:
    from hucares.celery import app

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest_wait = max(
        [settings.CELERY_TASK_TIME_LIMIT]
        + [
            int(getattr(task, "retry_backoff_max", 0) or 0)
            for name, task in app.tasks.items()
            if not name.startswith("celery.")
        ]
    )
    # Above the longest a task may be held (else it runs twice), not far above
    # it (else a dead worker's tasks wait an hour).
    assert longest_wait < timeout <= longest_wait + 120


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


def scrape_and_stop(server: WSGIServer | None) -> str:
    """The metrics a process's own port serves; the server is stopped afterwards."""
    assert server is not None
    try:
        return scrape(server.server_port)
    finally:
        server.shutdown()
        server.server_close()


def serve_test_port() -> WSGIServer | None:
    return serve_process_metrics(port_variable="TEST_METRICS_PORT", address_variable="TEST_METRICS_ADDR")


def test_the_metrics_port_serves_the_processs_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_METRICS_PORT", "0")  # any free port
    monkeypatch.setenv("TEST_METRICS_ADDR", "127.0.0.1")
    text = scrape_and_stop(serve_test_port())
    assert metric(text, "live_events_lost_total") is not None
    assert "celery_tasks_total" in text
    # The scrape-time gauges stay with /metrics: a worker or daphne does not query the database per scrape.
    assert "# TYPE websocket_connections gauge" not in text


def test_no_metrics_port_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_METRICS_PORT", raising=False)
    assert serve_test_port() is None


def test_a_metrics_port_taken_is_logged_and_the_process_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("TEST_METRICS_PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("TEST_METRICS_ADDR", "127.0.0.1")
        with caplog.at_level(logging.ERROR, logger="hucares.core.metrics"):
            assert serve_test_port() is None
    assert "TEST_METRICS_PORT" in caplog.text


def test_a_websocket_server_serves_its_sockets_on_ws_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WS_METRICS_PORT", "0")
    monkeypatch.setenv("WS_METRICS_ADDR", "127.0.0.1")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    text = scrape_and_stop(socket_server_started())
    assert metric(text, "websocket_process_connections") == 0.0
    assert metric(text, "event_stream_lag_seconds_count") is not None


def test_metrics_lists_the_realtime_series_beside_the_database_total(api_client: APIClient) -> None:
    process_sockets()  # as in a process that serves sockets (make run)
    text = api_client.get("/metrics").content.decode()
    # Two gauges, two names: the total from the database and this process's sockets.
    assert text.count("# TYPE websocket_connections gauge") == 1
    assert metric(text, "websocket_connections") is not None
    assert metric(text, "websocket_process_connections") is not None
    assert metric(text, "event_stream_lag_seconds_bucket", 'le="0.05"') is not None
    assert metric(text, "live_events_lost_total") is not None
