from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  - connects the cache invalidation
