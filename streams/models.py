from django.conf import settings
from django.db import models


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
    """One event as its user was sent it, kept for every reader (``EVENT_STREAM_*``)."""

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
