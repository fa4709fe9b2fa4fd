from django.apps import AppConfig


class WebConfig(AppConfig):
    """The browser client: one HTML page and its static ES modules."""

    name = "web"
    label = "web"
