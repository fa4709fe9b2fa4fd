"""Prometheus metrics of the API.

Request durations and check-in counts are recorded in-process (aggregated
across gunicorn workers when ``PROMETHEUS_MULTIPROC_DIR`` is set); the gauges
of users and sockets are read from the database at scrape time so every
process reports the same truth.
"""

import os
from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template.",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CHECKINS_TOTAL = Counter("checkins", "Check-ins submitted.")

ACTIVE_WINDOW = timedelta(minutes=15)


class DatabaseGauges(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from accounts.models import User
        from realtime.models import UserSession

        since = timezone.now() - ACTIVE_WINDOW
        yield GaugeMetricFamily(
            "active_users",
            "Users active in the last 15 minutes.",
            value=User.objects.filter(last_active_at__gte=since).count(),
        )
        yield GaugeMetricFamily(
            "websocket_connections", "Open WebSocket connections.", value=UserSession.objects.count()
        )


def render_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    gauges = CollectorRegistry()
    gauges.register(DatabaseGauges())
    return generate_latest(registry) + generate_latest(gauges)
