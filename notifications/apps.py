from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from . import emails, receivers  # noqa: F401 - registers the email renderers; queues notification fan-out
