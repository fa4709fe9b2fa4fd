import uuid

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """One open WebSocket; the row lives as long as the socket."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sockets")
    socket_id = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_heartbeat = models.DateTimeField(auto_now_add=True)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "user_sessions"
        ordering = ["-connected_at"]
        indexes = [models.Index(fields=["last_heartbeat"], name="user_sessions_heartbeat_idx")]

    def __str__(self) -> str:
        return f"socket {self.socket_id} of {self.user_id}"
