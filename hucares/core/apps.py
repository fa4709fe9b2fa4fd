from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "hucares.core"
    label = "core"
    verbose_name = "HuCares core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import infra_metrics, pool

        infra_metrics.connect()
        if settings.DATABASES["default"].get("OPTIONS", {}).get("pool"):
            connection_created.connect(pool.start_checking, dispatch_uid="hucares.pool_check")
