"""How one user is shown to another, in every app's API.

Outside ``accounts.api`` because the groups and check-ins APIs show users too,
and no app imports another app's ``api`` package (``.importlinter``).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import User


def avatar_url(user: User, request: Any = None) -> str | None:
    """The absolute URL of a user's avatar, or ``None`` when they have none."""
    if not user.avatar:
        return None
    url = user.avatar.url
    return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url


class PublicUserSerializer(serializers.ModelSerializer[User]):
    """The only form in which one user sees another: ``{id, username, avatarUrl}``."""

    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "avatar_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        return avatar_url(user, self.context.get("request"))
