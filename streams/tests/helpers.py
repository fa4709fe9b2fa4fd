"""What a listener ends up with for the messages a test recorded (the ``published`` fixture)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from streams.models import StreamEvent
from streams.publish import WAKEUP_MESSAGE_TYPE

Sent = list[tuple[str, dict[str, Any]]]


def delivered(published: Sent) -> Sent:
    """Each wake-up replaced by the stream events of the append that sent it, in cursor order.

    An append gives all its events one ``created_at``, the wake-up's
    ``appended_at``: the events a wake-up announces are the user's events of
    that instant up to its cursor. Each comes as ``{"type", "event", "room"}``.
    """
    out: Sent = []
    for group, message in published:
        if message.get("type") != WAKEUP_MESSAGE_TYPE:
            out.append((group, message))
            continue
        at = datetime.fromtimestamp(message["appended_at"], UTC)
        rows = StreamEvent.objects.filter(
            user_id=group.removeprefix("user."),
            cursor__lte=message["cursor"],
            created_at__range=(at - timedelta(milliseconds=1), at + timedelta(milliseconds=1)),
        ).order_by("cursor")
        out += [
            (group, {"type": WAKEUP_MESSAGE_TYPE, "event": {**row.frame, "cursor": str(row.cursor)}, "room": None})
            for row in rows
        ]
    return out


def events_named(published: Sent, name: str) -> Sent:
    return [(group, message) for group, message in delivered(published) if message["event"]["event"] == name]
