"""The /ws/ socket end to end on the real ASGI application."""

import asyncio
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis.asyncio
from channels.db import database_sync_to_async
from django.conf import settings as django_settings

from accounts.tests.factories import UserFactory
from accounts.tokens import revoke_access
from groups.tests.factories import GroupFactory, MembershipFactory
from realtime import departures
from realtime.consumers import RealtimeConsumer
from realtime.models import UserSession
from realtime.protocol import CLOSE_FLOODING, CLOSE_HEARTBEAT_TIMEOUT, CLOSE_TOO_BIG, CLOSE_UNAUTHENTICATED

from .helpers import access_token, assert_nothing_more, communicator, connect, receive_event, send

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory.create)
create_membership = database_sync_to_async(MembershipFactory.create)
make_token = database_sync_to_async(access_token)


async def assert_closed(socket, code: int) -> None:
    """The server closes with ``code``; the client side then goes, as a real one would, and the consumer finishes."""
    output = await socket.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}
    await socket.disconnect(code)


async def test_token_in_query_connects_and_announces_the_session() -> None:
    user = await create_user()
    socket, frame = await connect(user)
    session = await UserSession.objects.aget(user=user)
    assert frame["data"]["userId"] == str(user.pk)
    assert frame["data"]["sessionId"] == str(session.pk)
    assert "T" in frame["data"]["serverTime"]
    await socket.disconnect()
    await departures.settled()
    assert not await UserSession.objects.filter(user=user).aexists()


async def test_missing_token_closes_4401_after_the_auth_window() -> None:
    socket = communicator("/ws/")
    accepted, _ = await socket.connect()
    assert accepted
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("token", ["not-a-jwt", ""])
async def test_bad_token_closes_4401(token: str) -> None:
    socket = communicator(f"/ws/?token={token}")
    await socket.connect()
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_expired_token_closes_4401() -> None:
    user = await create_user()
    token = await make_token(user, lifetime=timedelta(seconds=-5))
    socket = communicator(f"/ws/?token={token}")
    await socket.connect()
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_revoked_token_closes_4401() -> None:
    user = await create_user()
    sid = uuid.uuid4()
    token = await make_token(user, sid=sid)
    await database_sync_to_async(revoke_access)(sids=[str(sid)])
    socket = communicator(f"/ws/?token={token}")
    await socket.connect()
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_authenticate_as_first_frame_connects() -> None:
    user = await create_user()
    socket = communicator("/ws/")
    await socket.connect()
    await send(socket, "authenticate", {"token": await make_token(user)}, ref="a1")
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "connected"
    assert frame["data"]["userId"] == str(user.pk)
    assert await socket.receive_json_from(timeout=5) == {"event": "ack", "data": {"ref": "a1"}, "ref": "a1"}
    await socket.disconnect()


async def test_authenticate_with_a_bad_token_closes_4401() -> None:
    socket = communicator("/ws/")
    await socket.connect()
    await send(socket, "authenticate", {"token": "nope"})
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_first_frame_other_than_authenticate_closes_4401() -> None:
    socket = communicator("/ws/")
    await socket.connect()
    await send(socket, "heartbeat")
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_socket_closes_4401_when_its_token_expires() -> None:
    user = await create_user()
    # Long enough for the handshake (token, session row, stream read) on a loaded machine.
    socket, _ = await connect(user, token=await make_token(user, lifetime=timedelta(seconds=3)))
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_reauthenticating_keeps_the_socket_past_the_old_expiry() -> None:
    user = await create_user()
    # Long enough for the handshake and the re-authentication to finish on a
    # loaded machine before the first token runs out.
    lifetime = timedelta(seconds=3)
    first_expiry = time.time() + lifetime.total_seconds()
    socket, _ = await connect(user, token=await make_token(user, lifetime=lifetime))
    await send(socket, "authenticate", {"token": await make_token(user)}, ref=7)
    assert (await socket.receive_json_from(timeout=5))["event"] == "ack"
    # Until past the first token's expiry (and after it), the socket still answers,
    # a heartbeat every quarter second (well within the frame budget).
    past_expiry = first_expiry + 0.5
    while time.time() < past_expiry:
        await send(socket, "heartbeat", ref="h")
        assert (await socket.receive_json_from(timeout=5))["event"] == "heartbeat-ack"
        await asyncio.sleep(0.25)
    await socket.disconnect()


async def test_reauthenticating_as_someone_else_is_refused() -> None:
    user, other = await create_user(), await create_user()
    socket, _ = await connect(user)
    await send(socket, "authenticate", {"token": await make_token(other)}, ref="x")
    frame = await socket.receive_json_from(timeout=5)
    assert frame["data"] == {"ref": "x", "code": "PERMISSION_DENIED", "message": "The token belongs to another user."}
    await send(socket, "authenticate", {"token": "garbage"})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "TOKEN_INVALID"
    await socket.disconnect()


async def test_heartbeat_is_acknowledged_with_server_time_and_ref() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    await send(socket, "heartbeat", ref="hb-1")
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "heartbeat-ack"
    assert frame["ref"] == "hb-1"
    assert "serverTime" in frame["data"]
    await socket.disconnect()


async def test_heartbeat_writes_last_heartbeat_and_rechecks_the_token(settings) -> None:
    settings.REALTIME_HEARTBEAT_WRITE_INTERVAL = 0
    user = await create_user()
    sid = uuid.uuid4()
    socket, _ = await connect(user, token=await make_token(user, sid=sid))
    before = (await UserSession.objects.aget(user=user)).last_heartbeat
    await send(socket, "heartbeat")
    await receive_event(socket, "heartbeat-ack")
    assert (await UserSession.objects.aget(user=user)).last_heartbeat > before
    # Logged out elsewhere: the next heartbeat notices.
    await database_sync_to_async(revoke_access)(sids=[str(sid)])
    await send(socket, "heartbeat")
    await assert_closed(socket, CLOSE_UNAUTHENTICATED)


async def test_socket_without_heartbeats_closes_4408(settings) -> None:
    settings.REALTIME_PRESENCE_TTL = 1
    user = await create_user()
    socket, _ = await connect(user)
    await assert_closed(socket, CLOSE_HEARTBEAT_TIMEOUT)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "MALFORMED_FRAME"),
        ("[1, 2]", "INVALID_FRAME"),
        ('{"data": {}}', "INVALID_FRAME"),
        ('{"event": 5}', "INVALID_FRAME"),
        ('{"event": "heartbeat", "ref": {"a": 1}}', "INVALID_FRAME"),
        ('{"event": "heartbeat", "data": [1]}', "VALIDATION_ERROR"),
        ('{"event": "dance", "data": {}}', "UNKNOWN_EVENT"),
        ('{"event": "join-group", "data": {"groupId": "not-a-uuid"}}', "VALIDATION_ERROR"),
        ('{"event": "join-group", "data": {"groupId": 12}}', "VALIDATION_ERROR"),
        ('{"event": "join-group", "data": {}}', "VALIDATION_ERROR"),
        ('{"event": "leave-group", "data": {"groupId": null}}', "VALIDATION_ERROR"),
        ('{"event": "authenticate", "data": {"token": 3}}', "VALIDATION_ERROR"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(text: str, code: str) -> None:
    user = await create_user()
    socket, _ = await connect(user)
    await socket.send_to(text_data=text)
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "error"
    assert frame["data"]["code"] == code
    await send(socket, "heartbeat")
    assert (await socket.receive_json_from(timeout=5))["event"] == "heartbeat-ack"
    await socket.disconnect()


async def test_error_frames_echo_the_ref() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    await send(socket, "dance", ref="r-9")
    frame = await socket.receive_json_from(timeout=5)
    assert frame == {
        "event": "error",
        "data": {"ref": "r-9", "code": "UNKNOWN_EVENT", "message": "Unknown event 'dance'."},
        "ref": "r-9",
    }
    await socket.disconnect()


async def test_binary_frames_are_refused() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "MALFORMED_FRAME"
    await socket.disconnect()


async def test_frame_over_64_kb_closes_1009() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    await socket.send_to(text_data=json.dumps({"event": "heartbeat", "data": {"pad": "x" * 70_000}}))
    await assert_closed(socket, CLOSE_TOO_BIG)


async def test_flooding_is_rate_limited_then_closed_4429(settings) -> None:
    settings.REALTIME_FRAME_RATE = 0.001
    settings.REALTIME_FRAME_BURST = 2
    user = await create_user()
    socket, _ = await connect(user)
    for _ in range(60):
        await socket.send_to(text_data='{"event": "heartbeat"}')
    events = []
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == CLOSE_FLOODING
            break
        events.append(json.loads(output["text"]))
    await socket.disconnect(CLOSE_FLOODING)
    assert [e["event"] for e in events[:2]] == ["heartbeat-ack", "heartbeat-ack"]
    assert {e["data"]["code"] for e in events[2:]} == {"RATE_LIMITED"}


async def test_origin_outside_allowed_hosts_is_rejected() -> None:
    user = await create_user()
    token = await make_token(user)
    socket = communicator(f"/ws/?token={token}", headers=[(b"origin", b"https://evil.example")])
    accepted, _ = await socket.connect()
    assert not accepted
    await socket.disconnect()


async def test_join_group_as_member_lists_who_is_online() -> None:
    membership = await create_membership()
    other = await create_membership(group=membership.group)
    socket, _ = await connect(membership.user)
    await send(socket, "join-group", {"groupId": str(membership.group_id)}, ref="j")
    frame = await receive_event(socket, "group-joined")
    assert frame == {
        "event": "group-joined",
        "data": {"groupId": str(membership.group_id), "onlineUserIds": [str(membership.user_id)]},
        "ref": "j",
    }
    other_socket, _ = await connect(other.user)
    await send(socket, "join-group", {"groupId": str(membership.group_id)})
    frame = await receive_event(socket, "group-joined")
    assert set(frame["data"]["onlineUserIds"]) == {str(membership.user_id), str(other.user_id)}
    await socket.disconnect()
    await other_socket.disconnect()


async def test_join_group_of_someone_else_is_not_found() -> None:
    user = await create_user()
    group = await database_sync_to_async(GroupFactory.create)()
    socket, _ = await connect(user)
    await send(socket, "join-group", {"groupId": str(group.pk)}, ref=1)
    frame = await socket.receive_json_from(timeout=5)
    assert frame["data"] == {"ref": 1, "code": "NOT_FOUND", "message": "Group not found."}
    await send(socket, "join-group", {"groupId": str(uuid.uuid4())})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "NOT_FOUND"
    await socket.disconnect()


async def _pair_in_room():
    first = await create_membership()
    second = await create_membership(group=first.group)
    a, _ = await connect(first.user)
    b, _ = await connect(second.user)
    for socket in (a, b):
        await send(socket, "join-group", {"groupId": str(first.group_id)})
        await receive_event(socket, "group-joined")
    await receive_event(a, "user-online")  # b came online after a
    return first, second, a, b


async def test_typing_reaches_the_room_but_not_the_sender() -> None:
    first, _second, a, b = await _pair_in_room()
    await send(a, "user-typing", {"groupId": str(first.group_id), "isTyping": True}, ref="t")
    assert (await a.receive_json_from(timeout=5)) == {"event": "ack", "data": {"ref": "t"}, "ref": "t"}
    frame = await b.receive_json_from(timeout=5)
    assert frame == {
        "event": "user-typing",
        "data": {
            "groupId": str(first.group_id),
            "userId": str(first.user_id),
            "username": first.user.username,
            "isTyping": True,
        },
    }
    await assert_nothing_more(a, first.user_id)
    await a.disconnect()
    await b.disconnect()


async def test_typing_repeats_are_throttled_but_state_changes_pass() -> None:
    first, second, a, b = await _pair_in_room()
    group_id = str(first.group_id)
    for is_typing in (True, True, True, False):
        await send(a, "user-typing", {"groupId": group_id, "isTyping": is_typing})
    received = [(await b.receive_json_from(timeout=5))["data"]["isTyping"] for _ in range(2)]
    assert received == [True, False]
    await assert_nothing_more(b, second.user_id)
    await a.disconnect()
    await b.disconnect()


async def test_typing_needs_a_joined_room_and_a_boolean() -> None:
    membership = await create_membership()
    socket, _ = await connect(membership.user)
    await send(socket, "user-typing", {"groupId": str(membership.group_id), "isTyping": True})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "NOT_JOINED"
    await send(socket, "user-typing", {"groupId": str(membership.group_id), "isTyping": "yes"})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "VALIDATION_ERROR"
    await socket.disconnect()


async def test_leave_group_stops_room_events() -> None:
    first, second, a, b = await _pair_in_room()
    await send(b, "leave-group", {"groupId": str(first.group_id)}, ref="bye")
    assert (await b.receive_json_from(timeout=5))["event"] == "ack"
    await send(a, "user-typing", {"groupId": str(first.group_id), "isTyping": True}, ref="t")
    assert (await a.receive_json_from(timeout=5))["event"] == "ack"  # published by now
    await assert_nothing_more(b, second.user_id)
    await a.disconnect()
    await b.disconnect()


async def test_presence_online_and_offline_reach_co_members_once_per_user() -> None:
    first = await create_membership()
    second = await create_membership(group=first.group)
    stranger = await create_user()
    watcher, _ = await connect(first.user)
    outsider, _ = await connect(stranger)
    one, _ = await connect(second.user)
    assert await receive_event(watcher, "user-online") == {
        "event": "user-online",
        "data": {"userId": str(second.user_id)},
    }
    two, _ = await connect(second.user)  # a second tab: no new announcement
    await one.disconnect()
    await assert_nothing_more(watcher, first.user_id)
    await two.disconnect()
    assert await receive_event(watcher, "user-offline") == {
        "event": "user-offline",
        "data": {"userId": str(second.user_id)},
    }
    await assert_nothing_more(outsider, stranger.pk)
    await watcher.disconnect()
    await outsider.disconnect()


async def test_sockets_work_the_same_on_the_in_memory_layer_of_the_embedded_default(settings) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    first = await create_membership()
    second = await create_membership(group=first.group)
    watcher, _ = await connect(first.user)
    other, _ = await connect(second.user)
    assert await receive_event(watcher, "user-online") == {
        "event": "user-online",
        "data": {"userId": str(second.user_id)},
    }
    await send(other, "heartbeat", ref="h1")
    assert (await receive_event(other, "heartbeat-ack"))["ref"] == "h1"
    await other.disconnect()
    assert (await receive_event(watcher, "user-offline"))["data"] == {"userId": str(second.user_id)}
    await watcher.disconnect()


async def test_a_failing_server_receive_ends_the_consumer_with_its_error() -> None:
    async def receive() -> dict:
        raise RuntimeError("the server's queue broke")

    async def send_nowhere(message: dict) -> None:
        pass

    consumer = RealtimeConsumer()
    scope: dict[str, Any] = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b"", "token": None}
    with pytest.raises(RuntimeError, match="queue broke"):
        await asyncio.wait_for(consumer(scope, receive, send_nowhere), 5)


@pytest.mark.services_only  # Redis pub/sub subscriptions
async def test_a_closed_socket_leaves_no_subscription_behind() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    channel = (await UserSession.objects.aget(user=user)).socket_id
    client = redis.asyncio.Redis.from_url(django_settings.REDIS_URL)
    try:
        assert await client.pubsub_numsub(channel) == [(channel.encode(), 1)]
        await socket.disconnect()
        # redis-py sends UNSUBSCRIBE without awaiting its reply.
        async with asyncio.timeout(5):
            while await client.pubsub_numsub(channel) != [(channel.encode(), 0)]:
                await asyncio.sleep(0.01)
    finally:
        await client.aclose()


async def test_session_row_records_user_agent_and_address(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    user = await create_user()
    socket = communicator(
        f"/ws/?token={await make_token(user)}",
        headers=[
            (b"origin", b"http://localhost"),
            (b"user-agent", b"Bench/1.0"),
            (b"x-forwarded-for", b"203.0.113.9"),
        ],
    )
    await socket.connect()
    assert (await socket.receive_json_from(timeout=5))["event"] == "connected"
    session = await UserSession.objects.aget(user=user)
    assert session.user_agent == "Bench/1.0"
    assert session.ip_address == "203.0.113.9"
    await socket.disconnect()


async def test_unauthenticated_socket_can_go_away_quietly() -> None:
    socket = communicator("/ws/")
    accepted, _ = await socket.connect()
    assert accepted
    await socket.disconnect()
    await departures.settled()
    assert not await UserSession.objects.aexists()


async def test_a_failing_handler_answers_internal_error_and_keeps_the_socket(monkeypatch) -> None:
    membership = await create_membership()

    def broken(**kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr("realtime.consumers.group_member_ids", broken)
    socket, _ = await connect(membership.user)
    await send(socket, "join-group", {"groupId": str(membership.group_id)}, ref="boom")
    frame = await socket.receive_json_from(timeout=5)
    assert frame["data"] == {"ref": "boom", "code": "INTERNAL_ERROR", "message": "Something went wrong."}
    await send(socket, "heartbeat")
    assert (await socket.receive_json_from(timeout=5))["event"] == "heartbeat-ack"
    await socket.disconnect()


async def test_the_query_token_never_reaches_the_logs(caplog, monkeypatch) -> None:
    caplog.set_level("DEBUG")
    user = await create_user()
    token = await make_token(user)
    socket, _ = await connect(user, token=token)
    await socket.send_to(text_data="{broken")
    await socket.receive_json_from(timeout=5)
    await socket.disconnect()
    bad = communicator(f"/ws/?token={token}x")
    await bad.connect()
    await assert_closed(bad, CLOSE_UNAUTHENTICATED)
    assert token not in caplog.text
