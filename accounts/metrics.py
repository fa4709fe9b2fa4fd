"""The accounts' gauge on ``/metrics``, read from the database at scrape time."""

from prometheus_client.core import GaugeMetricFamily

from hucares.core.metrics import active_since, register_gauge

from .models import User


@register_gauge
def active_users() -> GaugeMetricFamily:
    count = User.objects.filter(last_active_at__gte=active_since()).count()
    return GaugeMetricFamily("active_users", "Users active in the last 15 minutes.", value=count)
