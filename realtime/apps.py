from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the live-delivery receivers
