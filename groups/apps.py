from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "groups"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the receivers
