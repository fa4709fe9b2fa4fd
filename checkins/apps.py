from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "checkins"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the receivers
