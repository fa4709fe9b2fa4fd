"""The transport's own channel-layer messages: presence, typing and session revocation.

None of them is kept in the stream (nothing in the database changed, or
the change is a socket's, not a user's): they go to the listeners connected
now, through :mod:`streams.publish` (bounded, never raises). Stream events
are never sent here: their users' listeners get a wake-up and read them.
"""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from streams import publish as layer
from streams.publish import Message, abroadcast, user_group

EVENT_MESSAGE_TYPE = "realtime.event"
REVOKED_MESSAGE_TYPE = "session.revoked"

__all__ = ["Message", "event_message", "publish_to_users", "room_group", "user_group"]


def room_group(group_id: UUID | str) -> str:
    """The channel-layer group of a HuCares group's room (typing)."""
    return f"group.{group_id}"


def event_message(event: dict[str, Any], *, room: str | None = None, exclude_user: str | None = None) -> Message:
    """Wrap an ephemeral frame for the consumer's ``realtime_event`` handler."""
    return {"type": EVENT_MESSAGE_TYPE, "event": event, "room": room, "exclude_user": exclude_user}


def publish_to_users(user_ids: Iterable[UUID | str], event: dict[str, Any]) -> None:
    """The same ephemeral event to every listener of each user, without waiting (sync callers)."""
    message = event_message(event)
    layer.send_soon((user_group(user_id), message) for user_id in user_ids)


async def apublish_to_users(user_ids: Iterable[UUID | str], event: dict[str, Any]) -> bool:
    """The async form of :func:`publish_to_users`, for the consumer."""
    message = event_message(event)
    return await abroadcast((user_group(user_id), message) for user_id in user_ids)


async def apublish_to_room(room: str, event: dict[str, Any], *, exclude_user: str) -> bool:
    return await abroadcast([(room, event_message(event, room=room, exclude_user=exclude_user))])


def revoke_sessions(user_id: UUID | str, session_ids: Iterable[UUID | str]) -> None:
    """Close every socket of these sessions of the user (4401), on whichever process holds it, without waiting.

    Sent to the user's group, which every socket of the user joins anyway:
    a group per session would cost each handshake one more subscription.
    """
    message = {"type": REVOKED_MESSAGE_TYPE, "session_ids": [str(session_id) for session_id in session_ids]}
    layer.send_soon([(user_group(user_id), message)])
