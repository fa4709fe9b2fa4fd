from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            metrics,  # noqa: F401 - registers the active-users gauge
            receivers,  # noqa: F401 - connects the signal receivers
        )
