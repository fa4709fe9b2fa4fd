"""The transport's own frames: the socket's protocol, presence and typing (nothing kept in the stream).

The events of a user's stream are built by :mod:`streams.events`.
"""

import json
from typing import Any
from uuid import UUID

from streams.events import Frame, frame, instant

# ``json.dumps(frame, separators=...)`` builds an encoder per call; one serves every frame.
encode = json.JSONEncoder(separators=(",", ":")).encode

_frame, _instant = frame, instant


def connected(*, user_id: UUID | str, session_id: UUID | str, cursor: int) -> Frame:
    """``cursor``: the latest of the user's event stream, to resume from after a drop."""
    data = {"userId": str(user_id), "sessionId": str(session_id), "serverTime": _instant(), "cursor": str(cursor)}
    return _frame("connected", data)


def ack(*, ref: Any) -> Frame:
    return _frame("ack", {"ref": ref}, ref)


def error(*, code: str, message: str, ref: Any = None) -> Frame:
    return _frame("error", {"ref": ref, "code": code, "message": message}, ref)


def heartbeat_ack(*, ref: Any = None) -> Frame:
    return _frame("heartbeat-ack", {"serverTime": _instant()}, ref)


def group_joined(*, group_id: UUID | str, online_user_ids: list[UUID], ref: Any = None) -> Frame:
    online = sorted(str(user_id) for user_id in online_user_ids)
    return _frame("group-joined", {"groupId": str(group_id), "onlineUserIds": online}, ref)


def user_online(*, user_id: UUID | str) -> Frame:
    return _frame("user-online", {"userId": str(user_id)})


def user_offline(*, user_id: UUID | str) -> Frame:
    return _frame("user-offline", {"userId": str(user_id)})


def user_typing(*, group_id: UUID | str, user_id: UUID | str, username: str, is_typing: bool) -> Frame:
    return _frame(
        "user-typing",
        {"groupId": str(group_id), "userId": str(user_id), "username": username, "isTyping": is_typing},
    )


def resync_required(*, cursor: int) -> Frame:
    """The socket's resume cursor is older than the kept window: refetch, then resume from ``cursor``."""
    return _frame("resync-required", {"cursor": str(cursor)})
