"""Every event builder (stream events and the transport's own frames) returns a JSON-safe camelCase frame."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from realtime import frames
from streams import events

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")

BUILT = {
    "connected": lambda: frames.connected(user_id=ID, session_id=ID, cursor=0),
    "ack": lambda: frames.ack(ref="r"),
    "error": lambda: frames.error(code="NOT_FOUND", message="Group not found.", ref=3),
    "heartbeat-ack": lambda: frames.heartbeat_ack(ref="h"),
    "group-joined": lambda: frames.group_joined(group_id=ID, online_user_ids=[ID]),
    "friend-checked-in": lambda: events.friend_checked_in(
        user_id=ID, username="ann", group_id=ID, check_in_id=ID, hu_cares_score=None, timestamp=NOW, updated=False
    ),
    "group-updated": lambda: events.group_updated(group_id=ID, type="member-left", data={"userId": str(ID)}),
    "notification": lambda: events.notification(
        id=ID, type="member_joined", title="t", message="m", data={"groupId": str(ID)}, created_at=NOW
    ),
    "user-online": lambda: frames.user_online(user_id=ID),
    "user-offline": lambda: frames.user_offline(user_id=ID),
    "user-typing": lambda: frames.user_typing(group_id=ID, user_id=ID, username="ann", is_typing=True),
}


@pytest.mark.parametrize("name", BUILT)
def test_builders_round_trip_through_json(name: str) -> None:
    frame = BUILT[name]()
    assert json.loads(json.dumps(frame)) == frame
    assert frame["event"] == name
    assert all("_" not in key for key in frame["data"])


def test_friend_checked_in_carries_the_contract_fields() -> None:
    assert BUILT["friend-checked-in"]()["data"] == {
        "userId": str(ID),
        "username": "ann",
        "groupId": str(ID),
        "checkInId": str(ID),
        "huCaresScore": None,
        "timestamp": "2026-03-02T09:30:00+00:00",
        "updated": False,
    }


def test_notification_carries_the_contract_fields() -> None:
    assert set(BUILT["notification"]()["data"]) == {"id", "type", "title", "message", "data", "createdAt"}


def test_error_frame_echoes_ref_inside_and_outside() -> None:
    assert BUILT["error"]() == {
        "event": "error",
        "data": {"ref": 3, "code": "NOT_FOUND", "message": "Group not found."},
        "ref": 3,
    }


def test_group_updated_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown group update type"):
        events.group_updated(group_id=ID, type="member-exploded", data={})
