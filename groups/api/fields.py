"""Serializer fields of the groups API."""

from typing import Any
from zoneinfo import available_timezones

from rest_framework import serializers


class TimezoneField(serializers.CharField):
    """An IANA timezone name."""

    default_error_messages = {"unknown": "Unknown timezone: use an IANA name such as Europe/Berlin."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if value not in _zones():
            self.fail("unknown")
        return value


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES
