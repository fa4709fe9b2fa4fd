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


class StreamCounter(models.Model):
    """The last cursor given to one user's event stream.

    Every append moves it in the appending transaction, which keeps the row
    locked until that transaction ends: a user's cursors therefore commit in
    the order they were given, and a reader that has seen cursor ``n`` can
    never later find an ``n - 1`` it skipped.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_cursor = models.BigIntegerField(default=0)

    class Meta:
        db_table = "event_stream_counters"

    def __str__(self) -> str:
        return f"stream of {self.user_id} at {self.last_cursor}"


class StreamEvent(models.Model):
    """One live event as its user was sent it, kept for resume and long-poll (``EVENT_STREAM_*``)."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.UUIDField()
    cursor = models.BigIntegerField()
    # The frame {"event", "data"} without its cursor.
    frame = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "event_stream"
        constraints = [models.UniqueConstraint(fields=["user_id", "cursor"], name="event_stream_user_cursor_unique")]
        indexes = [models.Index(fields=["created_at"], name="event_stream_created_idx")]

    def __str__(self) -> str:
        return f"{self.frame.get('event')} #{self.cursor} of {self.user_id}"
