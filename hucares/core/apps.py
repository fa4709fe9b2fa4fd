from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "hucares.core"
    label = "core"
    verbose_name = "HuCares core"

    def ready(self) -> None:
        from celery.signals import task_prerun
        from django.core.signals import request_started
        from django.db.backends.signals import connection_created

        from . import infra_metrics, pool, routers

        infra_metrics.connect()
        # Each request and each task starts with its reads allowed on the replica.
        request_started.connect(routers.forget_writes, dispatch_uid="hucares.routers.request")
        task_prerun.connect(routers.forget_writes, dispatch_uid="hucares.routers.task")
        if settings.DATABASES["default"].get("OPTIONS", {}).get("pool"):
            connection_created.connect(pool.start_checking, dispatch_uid="hucares.pool_check")
