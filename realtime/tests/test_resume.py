"""Resume over the socket: a client that dropped gets what it missed, in order, once, then live events."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from checkins import services as checkin_services
from groups import services as group_services
from groups.models import Role
from groups.tests.factories import GroupFactory, MembershipFactory
from realtime import frames, protocol
from streams import events
from streams.publish import send_soon, wakeup
from streams.selectors import stream_latest, stream_read, stream_resume
from streams.services import stream_append, stream_deliver

from .helpers import Communicator, _token, communicator, connect, send

pytestmark = pytest.mark.django_db(transaction=True)

# Presence comes and goes outside the stream.
PRESENCE = {"user-online", "user-offline"}


@database_sync_to_async
def make_group():
    group = GroupFactory.create(member_count=3)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    author = MembershipFactory.create(group=group).user
    friend = MembershipFactory.create(group=group).user
    return group, admin, author, friend


@database_sync_to_async
def meanwhile(group, admin, author) -> None:
    """A friend's check-in (with its notification), a group update and an edit of the check-in."""
    check_in = checkin_services.checkin_submit(
        user=author, group_id=group.pk, productive=5, satisfied=5, body=5, care=5
    )
    group_services.group_update(group=group, by=admin, name="Renamed")
    checkin_services.checkin_update(check_in=check_in, user=author, care=9)


@database_sync_to_async
def stored_after(user, cursor: int) -> list[dict[str, Any]]:
    page = stream_read(user_id=user.pk, since=cursor)
    assert not page.resync
    return page.events


async def stream_frames(socket: Communicator, count: int) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while len(frames) < count:
        frame = await socket.receive_json_from(timeout=5)
        if frame["event"] not in PRESENCE:
            frames.append(frame)
    return frames


async def nothing_more(socket: Communicator) -> bool:
    while not await socket.receive_nothing(timeout=0.3):
        frame = await socket.receive_json_from(timeout=1)
        assert frame["event"] in PRESENCE, frame
    return True


async def resumed(user, since: int | str) -> tuple[Communicator, dict[str, Any]]:
    socket = communicator(f"/ws/?token={await _token(user)}&since={since}")
    accepted, _ = await socket.connect()
    assert accepted
    connected = await socket.receive_json_from(timeout=5)
    assert connected["event"] == "connected"
    return socket, connected


async def test_a_socket_back_with_its_cursor_gets_exactly_what_it_missed_in_order_once() -> None:
    group, admin, author, friend = await make_group()
    socket, connected = await connect(friend)
    cursor = int(connected["data"]["cursor"])
    await socket.disconnect()

    await meanwhile(group, admin, author)
    missed = await stored_after(friend, cursor)
    assert [frame["event"] for frame in missed] == [
        "notification",
        "friend-checked-in",
        "group-updated",
        "friend-checked-in",
    ]

    socket, connected = await resumed(friend, cursor)
    assert connected["data"]["cursor"] == missed[-1]["cursor"]
    assert await stream_frames(socket, len(missed)) == missed
    assert await nothing_more(socket)
    # Then live events, continuing the same cursors.
    await database_sync_to_async(group_services.group_update)(group=group, by=admin, name="Again")
    [live] = await stream_frames(socket, 1)
    assert (live["event"], int(live["cursor"])) == ("group-updated", int(missed[-1]["cursor"]) + 1)
    await socket.disconnect()


async def test_the_resume_frame_does_the_same_on_an_open_socket() -> None:
    group, admin, author, friend = await make_group()
    socket, connected = await connect(friend)
    cursor = connected["data"]["cursor"]
    await socket.disconnect()
    await meanwhile(group, admin, author)
    missed = await stored_after(friend, int(cursor))

    socket, _ = await connect(friend)
    await socket.send_json_to({"type": "resume", "since": cursor})
    assert await stream_frames(socket, len(missed)) == missed
    # The frame shape of every other client frame works too, with an ack.
    await send(socket, "resume", {"since": cursor}, ref=7)
    assert await stream_frames(socket, len(missed) + 1) == [*missed, frames.ack(ref=7)]
    await send(socket, "resume", {"since": "soon"}, ref=8)
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "VALIDATION_ERROR"
    await socket.disconnect()


async def test_events_committed_during_the_replay_come_once_after_it(monkeypatch) -> None:
    group, admin, author, friend = await make_group()
    socket, connected = await connect(friend)
    cursor = int(connected["data"]["cursor"])
    await socket.disconnect()
    await meanwhile(group, admin, author)

    def racing_read(**kwargs: Any) -> Any:
        # One event commits (and wakes the socket) just before the read, so the read has it too;
        # one just after it, so only its wake-up brings it.
        stream_deliver(deliveries=[(friend.pk, events.profile_updated(changed=["username"]))])
        page = stream_resume(**kwargs)
        stream_deliver(deliveries=[(friend.pk, events.profile_updated(changed=["timezone"]))])
        return page

    monkeypatch.setattr(protocol, "stream_resume", racing_read)
    socket, _ = await resumed(friend, cursor)
    everything = await stored_after(friend, cursor)
    assert [frame["data"]["changed"] for frame in everything[-2:]] == [["username"], ["timezone"]]
    assert await stream_frames(socket, len(everything)) == everything
    assert await nothing_more(socket)
    await socket.disconnect()


async def test_a_cursor_older_than_the_window_gets_resync_required(settings) -> None:
    settings.EVENT_STREAM_MAX_EVENTS = 2
    group, admin, author, friend = await make_group()
    await meanwhile(group, admin, author)
    latest = str(await database_sync_to_async(stream_latest)(user_id=friend.pk))
    socket, connected = await resumed(friend, 0)
    assert connected["data"]["cursor"] == latest
    assert await stream_frames(socket, 1) == [frames.resync_required(cursor=int(latest))]
    await database_sync_to_async(group_services.group_update)(group=group, by=admin, name="Again")
    [live] = await stream_frames(socket, 1)
    assert int(live["cursor"]) == int(latest) + 1
    await socket.disconnect()


@database_sync_to_async
def append_two(user) -> list[dict[str, Any]]:
    with transaction.atomic():
        sent = stream_append(
            deliveries=[
                (user.pk, events.profile_updated(changed=["username"])),
                (user.pk, events.profile_updated(changed=["timezone"])),
            ]
        )
    return [frame for _, frame in sent]


async def test_wake_ups_out_of_order_from_two_processes_bring_every_event_in_order_once() -> None:
    _, _, _, friend = await make_group()
    socket, _ = await connect(friend)
    first, second = await append_two(friend)
    await database_sync_to_async(send_soon)([wakeup(friend.pk, cursor=int(second["cursor"]), appended_at=0.0)])
    assert await stream_frames(socket, 2) == [first, second]
    await database_sync_to_async(send_soon)([wakeup(friend.pk, cursor=int(first["cursor"]), appended_at=0.0)])
    assert await nothing_more(socket)
    await socket.disconnect()


async def test_an_event_whose_wake_up_was_lost_arrives_with_a_later_heartbeat(settings) -> None:
    settings.REALTIME_HEARTBEAT_WRITE_INTERVAL = 0
    _, _, _, friend = await make_group()
    socket, _ = await connect(friend)
    lost, _ = await append_two(friend)  # written, never published
    await send(socket, "heartbeat", ref=1)
    frames = await stream_frames(socket, 3)
    assert [frame.get("cursor") for frame in frames[:2]] == [lost["cursor"], str(int(lost["cursor"]) + 1)]
    assert frames[2]["event"] == "heartbeat-ack"
    await socket.disconnect()
