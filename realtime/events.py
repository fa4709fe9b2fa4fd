"""One builder per WebSocket event.

Each returns a JSON-safe ``{"event", "data"}`` frame with camelCase keys:
UUIDs and instants are already strings, so the frame can cross the channel
layer and ``json.dumps`` unchanged.
"""

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.utils import timezone

Frame = dict[str, Any]

# ``json.dumps(frame, separators=...)`` builds an encoder per call; one serves every frame.
encode = json.JSONEncoder(separators=(",", ":")).encode

GROUP_UPDATE_TYPES = (
    "member-joined",
    "member-left",
    "member-removed",
    "role-changed",
    "settings-changed",
    "group-deleted",
)


def _frame(event: str, data: dict[str, Any], ref: Any = None) -> Frame:
    frame: Frame = {"event": event, "data": data}
    if ref is not None:
        frame["ref"] = ref
    return frame


def _instant(value: datetime | None = None) -> str:
    return (value or timezone.now()).isoformat()


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


def friend_checked_in(
    *,
    user_id: UUID | str,
    username: str,
    group_id: UUID | str,
    check_in_id: UUID | str,
    hu_cares_score: int | None,
    timestamp: datetime,
    updated: bool,
) -> Frame:
    return _frame(
        "friend-checked-in",
        {
            "userId": str(user_id),
            "username": username,
            "groupId": str(group_id),
            "checkInId": str(check_in_id),
            "huCaresScore": hu_cares_score,
            "timestamp": _instant(timestamp),
            "updated": updated,
        },
    )


def group_updated(*, group_id: UUID | str, type: str, data: dict[str, Any]) -> Frame:
    if type not in GROUP_UPDATE_TYPES:
        raise ValueError(f"unknown group update type: {type!r}")
    return _frame("group-updated", {"groupId": str(group_id), "type": type, "data": data})


def notification(
    *,
    id: UUID | str,
    type: str,
    title: str,
    message: str,
    data: dict[str, Any],
    created_at: datetime,
) -> Frame:
    return _frame(
        "notification",
        {
            "id": str(id),
            "type": type,
            "title": title,
            "message": message,
            "data": data,
            "createdAt": _instant(created_at),
        },
    )


def user_online(*, user_id: UUID | str) -> Frame:
    return _frame("user-online", {"userId": str(user_id)})


def user_offline(*, user_id: UUID | str) -> Frame:
    return _frame("user-offline", {"userId": str(user_id)})


def user_typing(*, group_id: UUID | str, user_id: UUID | str, username: str, is_typing: bool) -> Frame:
    return _frame(
        "user-typing",
        {"groupId": str(group_id), "userId": str(user_id), "username": username, "isTyping": is_typing},
    )


# --- a user's own other devices (and the group, for deletions) ---------------------------


def _own_check_in(
    *, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date, hu_cares_score: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "checkInId": str(check_in_id),
        "groupId": str(group_id),
        "weekStartDate": week_start_date.isoformat(),
    }
    if hu_cares_score is not None:
        data["huCaresScore"] = hu_cares_score
    return data


def checkin_created(
    *, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date, hu_cares_score: int | None
) -> Frame:
    """To the author's own sockets: one of their check-ins was submitted (maybe on another device)."""
    data = _own_check_in(
        check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date, hu_cares_score=hu_cares_score
    )
    return _frame("checkin-created", data)


def checkin_updated(
    *, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date, hu_cares_score: int | None
) -> Frame:
    data = _own_check_in(
        check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date, hu_cares_score=hu_cares_score
    )
    return _frame("checkin-updated", data)


def checkin_deleted(*, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date) -> Frame:
    return _frame(
        "checkin-deleted", _own_check_in(check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date)
    )


def friend_checkin_deleted(*, user_id: UUID | str, group_id: UUID | str, check_in_id: UUID | str) -> Frame:
    """To the group's other members: a check-in they were told about is gone."""
    return _frame(
        "friend-checkin-deleted", {"userId": str(user_id), "groupId": str(group_id), "checkInId": str(check_in_id)}
    )


def profile_updated(*, changed: list[str]) -> Frame:
    """To the user's own sockets: these profile fields or preferences changed (camelCase names)."""
    return _frame("profile-updated", {"changed": sorted(changed)})


def notification_read(*, id: UUID | str) -> Frame:
    return _frame("notification-read", {"id": str(id)})


def notifications_read_all(*, read_at: datetime) -> Frame:
    """Every notification created up to ``readAt`` is read."""
    return _frame("notifications-read-all", {"readAt": _instant(read_at)})


def notification_deleted(*, id: UUID | str) -> Frame:
    return _frame("notification-deleted", {"id": str(id)})


def resync_required(*, cursor: int) -> Frame:
    """The socket's resume cursor is older than the kept window: refetch, then resume from ``cursor``."""
    return _frame("resync-required", {"cursor": str(cursor)})
