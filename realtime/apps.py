from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from . import (
            metrics,  # noqa: F401 - registers the open-sockets gauge
            receivers,  # noqa: F401 - connects the live-delivery receivers
        )
