from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from PIL import Image

        from . import avatars

        # Pillow's documented decompression-bomb limit, lowered to the avatar
        # limit: any decoding in this process refuses larger images too.
        Image.MAX_IMAGE_PIXELS = avatars.MAX_PIXELS

        from . import (
            emails,  # noqa: F401 - registers the email renderers with the outbox
            metrics,  # noqa: F401 - registers the active-users gauge
            receivers,  # noqa: F401 - connects the signal receivers
        )
