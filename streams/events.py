"""One builder per event of a user's stream.

Each returns a JSON-safe ``{"event", "data"}`` frame with camelCase keys:
UUIDs and instants are already strings, so the frame can be stored as JSON
and sent by any transport unchanged.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.utils import timezone

Frame = dict[str, Any]

GROUP_UPDATE_TYPES = (
    "member-joined",
    "member-left",
    "member-removed",
    "role-changed",
    "settings-changed",
    "group-deleted",
)


def frame(event: str, data: dict[str, Any], ref: Any = None) -> Frame:
    """A frame ``{"event", "data", "ref"?}``; the transport's own frames are built with it too."""
    built: Frame = {"event": event, "data": data}
    if ref is not None:
        built["ref"] = ref
    return built


def instant(value: datetime | None = None) -> str:
    return (value or timezone.now()).isoformat()


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
    return frame(
        "friend-checked-in",
        {
            "userId": str(user_id),
            "username": username,
            "groupId": str(group_id),
            "checkInId": str(check_in_id),
            "huCaresScore": hu_cares_score,
            "timestamp": instant(timestamp),
            "updated": updated,
        },
    )


def group_updated(*, group_id: UUID | str, type: str, data: dict[str, Any]) -> Frame:
    if type not in GROUP_UPDATE_TYPES:
        raise ValueError(f"unknown group update type: {type!r}")
    return frame("group-updated", {"groupId": str(group_id), "type": type, "data": data})


def notification(
    *,
    id: UUID | str,
    type: str,
    title: str,
    message: str,
    data: dict[str, Any],
    created_at: datetime,
) -> Frame:
    return frame(
        "notification",
        {
            "id": str(id),
            "type": type,
            "title": title,
            "message": message,
            "data": data,
            "createdAt": instant(created_at),
        },
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
    return frame("checkin-created", data)


def checkin_updated(
    *, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date, hu_cares_score: int | None
) -> Frame:
    data = _own_check_in(
        check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date, hu_cares_score=hu_cares_score
    )
    return frame("checkin-updated", data)


def checkin_deleted(*, check_in_id: UUID | str, group_id: UUID | str, week_start_date: date) -> Frame:
    return frame(
        "checkin-deleted", _own_check_in(check_in_id=check_in_id, group_id=group_id, week_start_date=week_start_date)
    )


def friend_checkin_deleted(*, user_id: UUID | str, group_id: UUID | str, check_in_id: UUID | str) -> Frame:
    """To the group's other members: a check-in they were told about is gone."""
    return frame(
        "friend-checkin-deleted", {"userId": str(user_id), "groupId": str(group_id), "checkInId": str(check_in_id)}
    )


def profile_updated(*, changed: list[str]) -> Frame:
    """To the user's own sockets: these profile fields or preferences changed (camelCase names)."""
    return frame("profile-updated", {"changed": sorted(changed)})


def notification_read(*, id: UUID | str) -> Frame:
    return frame("notification-read", {"id": str(id)})


def notifications_read_all(*, read_at: datetime) -> Frame:
    """Every notification created up to ``readAt`` is read."""
    return frame("notifications-read-all", {"readAt": instant(read_at)})


def notification_deleted(*, id: UUID | str) -> Frame:
    return frame("notification-deleted", {"id": str(id)})
