from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path


def api_path(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    """The route without a trailing slash, and the same with one: no redirect."""
    return [path(route, view, name=name), path(f"{route}/", view)]
