"""The channel-layer groups and messages of live events, sent through :mod:`realtime.broadcast`.

Callers are on-commit receivers and Celery tasks, never code inside a
transaction. Publishing never raises and is bounded.
"""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from .broadcast import Message, abroadcast, broadcast

EVENT_MESSAGE_TYPE = "realtime.event"
CONTROL_MESSAGE_TYPE = "realtime.control"

__all__ = ["Message", "apublish_many", "event_message", "publish_many", "room_group", "user_group"]


def user_group(user_id: UUID | str) -> str:
    """The channel-layer group every socket of one user joins."""
    return f"user.{user_id}"


def room_group(group_id: UUID | str) -> str:
    """The channel-layer group of a HuCares group's room."""
    return f"group.{group_id}"


def event_message(
    event: dict[str, Any], *, room: str | None = None, exclude_user: str | None = None, appended_at: float | None = None
) -> Message:
    """Wrap a built event for the consumer's ``realtime_event`` handler.

    ``appended_at``: when a stream event was appended to its user's stream
    (a Unix time), for the consumer's lag metric; it travels beside the
    event, never in the frame the client sees.
    """
    message: Message = {"type": EVENT_MESSAGE_TYPE, "event": event, "room": room, "exclude_user": exclude_user}
    if appended_at is not None:
        message["appended_at"] = appended_at
    return message


def publish_many(sends: Iterable[tuple[str, Message]]) -> bool:
    """Send each ``(group, message)`` in order; ``True`` when all were handed to the layer."""
    return broadcast(sends)


async def apublish_many(sends: Iterable[tuple[str, Message]]) -> bool:
    """The async form of :func:`publish_many`, for the consumer: bounded, never raises."""
    return await abroadcast(sends)


def publish_to_users(user_ids: Iterable[UUID | str], event: dict[str, Any]) -> bool:
    """The same event to the personal stream of each user."""
    message = event_message(event)
    return publish_many((user_group(user_id), message) for user_id in user_ids)


def publish_to_user(user_id: UUID | str, event: dict[str, Any]) -> bool:
    return publish_to_users([user_id], event)


def publish_to_room(group_id: UUID | str, event: dict[str, Any], *, exclude_user: str | None = None) -> bool:
    """An event to the sockets that joined a group's room."""
    room = room_group(group_id)
    return publish_many([(room, event_message(event, room=room, exclude_user=exclude_user))])


def send_leave_room(user_id: UUID | str, group_id: UUID | str, *, event: dict[str, Any] | None = None) -> bool:
    """Make every socket of a user drop a room at once (removed or banned member).

    ``event``, if given, is delivered to those sockets after they left, so
    the client learns why.
    """
    message = {"type": CONTROL_MESSAGE_TYPE, "action": "leave-room", "room": room_group(group_id), "event": event}
    return publish_many([(user_group(user_id), message)])
