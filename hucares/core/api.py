"""Pieces every app's ``api`` package uses: the caller of a view, and the strict integer field.

They live below the apps because no app may import another app's ``api``
package (``.importlinter``).
"""

from typing import Any, Protocol, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated

UserT = TypeVar("UserT", bound=AbstractBaseUser, covariant=True)


class _HasUser(Protocol[UserT]):
    """A request whose ``user`` is the project's user model or anonymous.

    Typed this way so that ``actor`` returns the project's user model
    without this package naming (importing) the app that defines it.
    """

    @property
    def user(self) -> UserT | AnonymousUser: ...


def actor(request: _HasUser[UserT]) -> UserT:
    """The authenticated caller (every view using it requires authentication)."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise NotAuthenticated()
    return user


class StrictIntegerField(serializers.IntegerField):
    """An integer that is a JSON number without a fraction: ``"8"``, ``8.0`` and ``true`` are refused."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))
