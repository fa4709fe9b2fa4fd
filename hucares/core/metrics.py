"""Prometheus metrics of the API contract.

Request durations and check-in counts are recorded in-process (aggregated
across gunicorn workers when ``PROMETHEUS_MULTIPROC_DIR`` is set); the gauges
of users and sockets are read from the database at scrape time so every
process reports the same truth. Processes without an HTTP server of their
own (a Celery worker, a daphne) serve theirs on a port of their own
(:func:`serve_process_metrics`).
"""

import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from wsgiref.simple_server import WSGIServer

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["method", "route", "status_code"],
    # 0.15, 0.2, 0.3 and 0.5: the p95 targets per endpoint class (docker/prometheus/alerts.yml).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHECKINS_TOTAL = Counter("checkins", "Check-ins submitted.")
# channel: socket (pushed live) or email; outcome: delivered, or for email
# retrying (an attempt failed, another follows) and failed (given up).
NOTIFICATION_DELIVERIES = Counter(
    "notification_deliveries", "Notifications delivered, by channel and outcome.", ["channel", "outcome"]
)

ACTIVE_WINDOW = timedelta(minutes=15)


# Gauges read at scrape time, registered by the apps that own their data
# (``register_gauge`` in their AppConfig.ready), so this module imports no app.
GaugeReader = Callable[[], GaugeMetricFamily]
_gauge_readers: list[GaugeReader] = []


def register_gauge(reader: GaugeReader) -> GaugeReader:
    """Report ``reader()`` at every scrape; usable as a decorator."""
    _gauge_readers.append(reader)
    return reader


def active_since() -> datetime:
    """The start of the window ``active_users`` counts."""
    return timezone.now() - ACTIVE_WINDOW


class DatabaseGauges(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for reader in _gauge_readers:
            yield reader()


def recorded_metrics() -> CollectorRegistry:
    """What the processes recorded: this one's, or every process's of the directory in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def render_metrics() -> bytes:
    gauges = CollectorRegistry()
    gauges.register(DatabaseGauges())
    return generate_latest(recorded_metrics()) + generate_latest(gauges)


def serve_process_metrics(*, port_variable: str, address_variable: str) -> WSGIServer | None:
    """With the environment variable ``port_variable`` set, serve the recorded metrics on that port.

    For processes without an HTTP server of their own (a Celery worker, a
    daphne); the scrape-time gauges stay with ``/metrics``. The scraper is
    another container of the compose network, so the port listens on every
    interface unless ``address_variable`` narrows it. A port that cannot be
    had is logged and the process serves on without it: its work matters more
    than its metrics.
    """
    port = os.environ.get(port_variable)
    if not port:
        return None
    addr = os.environ.get(address_variable, "0.0.0.0")  # noqa: S104  # nosec B104 - compose network, see above
    try:
        server, _ = start_http_server(int(port), addr=addr, registry=recorded_metrics())
    except (OSError, ValueError):
        logger.exception("metrics port %s=%s (%s=%s) could not be served", port_variable, port, address_variable, addr)
        return None
    return server
