from typing import Any

from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    """``{id, type, title, message, data, isRead, createdAt, readAt, expiresAt}``."""

    class Meta:
        model = Notification
        fields = ["id", "type", "title", "message", "data", "is_read", "created_at", "read_at", "expires_at"]
        read_only_fields = fields


class NotificationListQuerySerializer(serializers.Serializer[Any]):
    unread = serializers.BooleanField(required=False, default=False)


class ReadAllResultSerializer(serializers.Serializer[Any]):
    updated = serializers.IntegerField(min_value=0)
