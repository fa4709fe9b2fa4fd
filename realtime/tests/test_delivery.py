"""Delivery rules of the API over real sockets and the Redis channel layer."""

import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers

from accounts.tests.factories import UserFactory
from checkins import services as checkin_services
from groups import services as group_services
from groups.models import Role
from groups.tests.factories import GroupFactory, MembershipFactory
from streams.selectors import stream_read

from .helpers import assert_nothing_more, connect, receive_event, send

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_group(n_members: int):
    group = GroupFactory.create(member_count=n_members)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    return group, admin, [MembershipFactory.create(group=group).user for _ in range(n_members - 1)]


@database_sync_to_async
def submit(user, group):
    return checkin_services.checkin_submit(user=user, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)


async def test_friend_checked_in_reaches_other_members_without_joining_the_room() -> None:
    group, admin, (member,) = await make_group(2)
    author_socket, _ = await connect(admin)
    member_socket, _ = await connect(member)
    check_in = await submit(admin, group)
    frame = await receive_event(member_socket, "friend-checked-in")
    assert frame["data"]["checkInId"] == str(check_in.pk)
    assert frame["data"]["huCaresScore"] == 10
    # The author's own socket gets no friend-checked-in: its own checkin-created (after the member's presence).
    own = await receive_event(author_socket, "checkin-created")
    assert own["data"]["checkInId"] == str(check_in.pk)
    await assert_nothing_more(author_socket, admin.pk)
    await author_socket.disconnect()
    await member_socket.disconnect()


async def test_new_member_receives_check_ins_without_reconnecting() -> None:
    group, admin, _ = await make_group(1)
    newcomer = await database_sync_to_async(UserFactory.create)()
    socket, _ = await connect(newcomer)
    await database_sync_to_async(group_services.group_join)(user=newcomer, access_code=group.access_code)
    joined = await receive_event(socket, "group-updated")
    assert joined["data"]["data"]["userId"] == str(newcomer.pk)
    await submit(admin, group)
    frame = await receive_event(socket, "friend-checked-in")
    assert frame["data"]["groupId"] == str(group.pk)
    await socket.disconnect()


async def test_removed_member_leaves_the_room_at_once() -> None:
    group, admin, (member,) = await make_group(2)
    admin_socket, _ = await connect(admin)
    member_socket, _ = await connect(member)
    for socket in (admin_socket, member_socket):
        await send(socket, "join-group", {"groupId": str(group.pk)})
        await receive_event(socket, "group-joined")
    await database_sync_to_async(group_services.member_remove)(group=group, user=member, by=admin, ban=True)
    told = await receive_event(member_socket, "group-updated")
    assert told["data"]["type"] == "member-removed"
    assert told["data"]["data"]["banned"] is True
    assert (await receive_event(admin_socket, "group-updated"))["data"]["type"] == "member-removed"
    # Room events after the removal do not reach the removed member, nor do check-ins.
    await send(admin_socket, "user-typing", {"groupId": str(group.pk), "isTyping": True}, ref="t")
    assert (await receive_event(admin_socket, "ack"))["ref"] == "t"  # published by now
    await submit(admin, group)
    await assert_nothing_more(member_socket, member.pk)
    # Nor can they join the room again.
    await send(member_socket, "join-group", {"groupId": str(group.pk)})
    assert (await member_socket.receive_json_from(timeout=5))["data"]["code"] == "NOT_FOUND"
    await admin_socket.disconnect()
    await member_socket.disconnect()


async def test_deleted_group_room_is_dropped_after_the_last_event() -> None:
    group, admin, (member,) = await make_group(2)
    socket, _ = await connect(member)
    await send(socket, "join-group", {"groupId": str(group.pk)})
    await receive_event(socket, "group-joined")
    await database_sync_to_async(group_services.group_delete)(group=group, by=admin)
    frames = {frame["event"]: frame for frame in [await socket.receive_json_from(timeout=5) for _ in range(2)]}
    assert frames["group-updated"]["data"]["type"] == "group-deleted"
    assert frames["notification"]["data"]["type"] == "group_deleted"
    # The socket dropped the room.
    await send(socket, "user-typing", {"groupId": str(group.pk), "isTyping": True})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "NOT_JOINED"
    await socket.disconnect()


async def test_new_notifications_are_pushed_live() -> None:
    group, admin, _ = await make_group(1)
    socket, _ = await connect(admin)
    joiner = await database_sync_to_async(UserFactory.create)()
    await database_sync_to_async(group_services.group_join)(user=joiner, access_code=group.access_code)
    # The join's own group-updated comes in the same stream, before or after the notification.
    frame = await receive_event(socket, "notification", also_skip=frozenset({"group-updated"}))
    assert frame["data"]["type"] == "member_joined"
    assert frame["data"]["data"]["userId"] == str(joiner.pk)
    assert set(frame["data"]) == {"id", "type", "title", "message", "data", "createdAt"}
    await socket.disconnect()


@pytest.fixture
def redis_down(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1"}], "prefix": "down"},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_checkin_succeeds_when_the_channel_layer_is_down(redis_down, client_for, caplog) -> None:
    group = GroupFactory.create(member_count=2)
    author = MembershipFactory.create(group=group).user
    friend = MembershipFactory.create(group=group).user
    response = client_for(author).post(
        "/api/v1/checkins",
        {"groupId": str(group.pk), "productive": 5, "satisfied": 5, "body": 5, "care": 5},
        format="json",
    )
    assert response.status_code == 201, response.content
    # The wake-ups were handed off, not awaited: their loss is logged later; the stream has the events.
    deadline = time.monotonic() + 5
    while not any("live event lost" in record.getMessage() for record in caplog.records):
        assert time.monotonic() < deadline, "the lost wake-ups were not logged"
        time.sleep(0.01)
    assert "friend-checked-in" in [frame["event"] for frame in stream_read(user_id=friend.pk, since=0).events]


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def test_embedded_default_in_memory_layer_delivers_from_sync_views(in_memory_layer) -> None:
    group, admin, (member,) = await make_group(2)
    socket, _ = await connect(member)
    # submit() runs the service in a sync_to_async thread, as daphne runs a sync view.
    check_in = await submit(admin, group)
    assert (await receive_event(socket, "friend-checked-in"))["data"]["checkInId"] == str(check_in.pk)
    await socket.disconnect()
