"""Serializer fields shared by the groups and check-ins APIs."""

from typing import Any
from zoneinfo import available_timezones

from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User


class StrictIntegerField(serializers.IntegerField):
    """An integer that is a JSON number without a fraction: ``"8"``, ``8.0`` and ``true`` are refused."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


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


def actor(request: Request) -> User:
    """The authenticated caller (every view here requires authentication)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
