from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hucares.core"
    label = "core"
    verbose_name = "HuCares core"

    def ready(self) -> None:
        from . import infra_metrics

        infra_metrics.connect()
