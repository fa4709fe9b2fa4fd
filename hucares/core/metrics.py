"""Prometheus metrics of the API contract.

Request durations and check-in counts are recorded in-process (aggregated
across gunicorn workers when ``PROMETHEUS_MULTIPROC_DIR`` is set); the gauges
of users and sockets are read from the database at scrape time so every
process reports the same truth.
"""

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["method", "route", "status_code"],
    # 0.15, 0.2, 0.3 and 0.5: the p95 targets per endpoint class (docker/prometheus/alerts.yml).
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHECKINS_TOTAL = Counter("checkins", "Check-ins submitted.")

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


def render_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    gauges = CollectorRegistry()
    gauges.register(DatabaseGauges())
    return generate_latest(registry) + generate_latest(gauges)
