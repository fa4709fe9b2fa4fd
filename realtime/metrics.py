"""The sockets' gauge on ``/metrics``, read from the database at scrape time (every process reports the same)."""

from prometheus_client.core import GaugeMetricFamily

from hucares.core.metrics import register_gauge

from .models import UserSession


@register_gauge
def websocket_connections() -> GaugeMetricFamily:
    return GaugeMetricFamily("websocket_connections", "Open WebSocket connections.", value=UserSession.objects.count())
