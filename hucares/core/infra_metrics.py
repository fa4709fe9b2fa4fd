"""Metrics of the infrastructure every app shares: Celery's queues and task
outcomes, and the database connection pool (docs/operations.md lists them
with the alerts built on them).

Counters and pool gauges are recorded in the process that sees the event and
aggregated across processes in multiprocess mode like the request metrics;
queue lengths are read from the broker at scrape time.
"""

import contextlib
from typing import Any

import redis
from celery import signals
from django.conf import settings
from django.core.signals import request_finished
from django.db import connection
from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily

from .metrics import register_gauge, serve_process_metrics

TASKS = Counter("celery_tasks", "Celery tasks finished, by task name and outcome.", ["task", "outcome"])
POOL_CONNECTIONS = Gauge(
    "db_pool_connections", "Connections in the database pool, by state.", ["state"], multiprocess_mode="livesum"
)
POOL_WAITING = Gauge(
    "db_pool_requests_waiting", "Requests waiting for a pooled connection now.", multiprocess_mode="livesum"
)
POOL_WAITS = Counter("db_pool_waits", "Requests that had to wait for a pooled connection.")
POOL_WAIT_SECONDS = Counter("db_pool_wait_seconds", "Time spent waiting for a pooled connection.")
POOL_ERRORS = Counter("db_pool_errors", "Failed requests for a connection and failed connection attempts.")
POOL_LOST = Counter("db_pool_connections_lost", "Broken connections the pool's check found and replaced.")

# Kombu's Redis transport keeps a queue as a list under its name, plus one list
# per priority step when task priorities are used.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_broker: redis.Redis | None = None


def record_pool_stats(**_: Any) -> None:
    """After each request: the pool's current size and what it counted since the last call."""
    pool = getattr(connection, "pool", None)
    if pool is None:
        return
    stats = pool.pop_stats()
    POOL_CONNECTIONS.labels("open").set(stats.get("pool_size", 0))
    POOL_CONNECTIONS.labels("idle").set(stats.get("pool_available", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))
    POOL_WAITS.inc(stats.get("requests_queued", 0))
    POOL_WAIT_SECONDS.inc(stats.get("requests_wait_ms", 0) / 1000)
    POOL_ERRORS.inc(stats.get("requests_errors", 0) + stats.get("connections_errors", 0))
    POOL_LOST.inc(stats.get("connections_lost", 0))


def _broker_client() -> redis.Redis | None:
    global _broker  # one client (and its connection pool) per process
    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith(("redis://", "rediss://")):
        return None
    if _broker is None:
        _broker = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return _broker


def celery_queue_length() -> GaugeMetricFamily:
    family = GaugeMetricFamily("celery_queue_length", "Tasks waiting in the broker, by queue.", labels=["queue"])
    client = _broker_client()
    queue = str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))
    if client is not None:
        # Broker down: no sample; celery_broker_up says why.
        with contextlib.suppress(redis.RedisError):
            lengths = [client.llen(queue + suffix) for suffix in _PRIORITY_SUFFIXES]
            family.add_metric([queue], sum(int(n) for n in lengths if isinstance(n, int)))
    return family


def celery_broker_up() -> GaugeMetricFamily:
    client = _broker_client()
    try:
        up = client is None or bool(client.ping())
    except redis.RedisError:
        up = False
    return GaugeMetricFamily("celery_broker_up", "Whether the Celery broker answered a ping.", value=int(up))


def _task_name(sender: Any) -> str:
    return str(getattr(sender, "name", sender))


def on_task_success(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_task_name(sender), "succeeded").inc()


def on_task_failure(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_task_name(sender), "failed").inc()


def on_task_retry(sender: Any = None, **_: Any) -> None:
    TASKS.labels(_task_name(sender), "retried").inc()


def serve_worker_metrics(**_: Any) -> None:
    """A Celery worker has no HTTP server: with CELERY_METRICS_PORT set it gets one for Prometheus."""
    serve_process_metrics(port_variable="CELERY_METRICS_PORT", address_variable="CELERY_METRICS_ADDR")


def connect() -> None:
    """Called once from the core app's ready()."""
    request_finished.connect(record_pool_stats, dispatch_uid="hucares.pool_stats")
    signals.task_success.connect(on_task_success, weak=False, dispatch_uid="hucares.task_success")
    signals.task_failure.connect(on_task_failure, weak=False, dispatch_uid="hucares.task_failure")
    signals.task_retry.connect(on_task_retry, weak=False, dispatch_uid="hucares.task_retry")
    signals.worker_ready.connect(serve_worker_metrics, weak=False, dispatch_uid="hucares.worker_metrics")
    register_gauge(celery_queue_length)
    register_gauge(celery_broker_up)
