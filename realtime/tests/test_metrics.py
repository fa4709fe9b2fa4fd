"""The real-time metrics recorded in the process: sockets held, event-stream lag, live events lost."""

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from accounts.tests.factories import UserFactory
from realtime import services
from streams import events, publish
from streams.models import StreamEvent
from streams.publish import user_group, wakeup
from streams.services import stream_deliver

from .helpers import access_token, assert_nothing_more, communicator, connect, receive_event

create_user = database_sync_to_async(UserFactory.create)
make_token = database_sync_to_async(access_token)
deliver = database_sync_to_async(stream_deliver)


def sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def sockets() -> float:
    return sample("websocket_process_connections")


@pytest.mark.django_db(transaction=True)
async def test_an_accepted_socket_is_counted_until_it_closes() -> None:
    before = sockets()
    socket, _ = await connect(await create_user())
    assert sockets() == before + 1
    await socket.disconnect()
    assert sockets() == before


@pytest.mark.django_db(transaction=True)
async def test_a_socket_the_server_closes_for_a_bad_token_counts_once() -> None:
    before = sockets()
    socket = communicator("/ws/?token=not-a-token")
    accepted, _ = await socket.connect()
    assert accepted
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await socket.disconnect(4401)
    assert sockets() == before


@pytest.mark.django_db(transaction=True)
async def test_a_refused_handshake_is_not_counted() -> None:
    user = await create_user()
    before = sockets()
    socket = communicator(f"/ws/?token={await make_token(user)}", headers=[(b"origin", b"https://evil.example")])
    accepted, _ = await socket.connect()
    assert not accepted
    assert sockets() == before
    await socket.disconnect()
    assert sockets() == before


@pytest.mark.django_db(transaction=True)
async def test_a_socket_whose_consumer_fails_leaves_the_count(monkeypatch) -> None:
    def broken(**_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "socket_open", broken)
    user = await create_user()
    before = sockets()
    socket = communicator(f"/ws/?token={await make_token(user)}")
    accepted, _ = await socket.connect()
    assert accepted
    # The consumer ends with the error, without a disconnect of its own.
    with pytest.raises(RuntimeError, match="went away"):
        await socket.wait(timeout=5)
    assert sockets() == before


@pytest.mark.django_db
def test_a_wake_up_carries_the_append_instant_and_the_cursor_not_the_frame(
    published, django_capture_on_commit_callbacks
) -> None:
    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        stream_deliver(deliveries=[(user.pk, events.profile_updated(changed=["username"]))])
    [(group, message)] = published
    stored = StreamEvent.objects.get(user_id=user.pk)
    assert group == user_group(user.pk)
    assert message == {"type": "stream.wakeup", "cursor": 1, "appended_at": stored.created_at.timestamp()}


@pytest.mark.django_db(transaction=True)
async def test_a_live_stream_event_records_its_lag_once_when_written_to_the_socket() -> None:
    user = await create_user()
    socket, _ = await connect(user)
    count, total = sample("event_stream_lag_seconds_count"), sample("event_stream_lag_seconds_sum")
    await deliver(deliveries=[(user.pk, events.profile_updated(changed=["username"]))])
    frame = await receive_event(socket, "profile-updated")
    # The frame the client sees is unchanged: no append instant in it.
    assert set(frame) == {"event", "data", "cursor"}
    # A marker behind it: the event's handler has finished.
    await assert_nothing_more(socket, user.pk)
    assert sample("event_stream_lag_seconds_count") == count + 1
    assert sample("event_stream_lag_seconds_sum") >= total
    # The same wake-up again (the socket is at its cursor already) reads nothing and is not measured.
    assert await publish.abroadcast([wakeup(user.pk, cursor=int(frame["cursor"]), appended_at=0.0)])
    await assert_nothing_more(socket, user.pk)
    assert sample("event_stream_lag_seconds_count") == count + 1
    await socket.disconnect()


async def test_each_message_of_a_batch_the_layer_refuses_is_counted_lost(monkeypatch) -> None:
    async def fail(sends):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(publish, "deliver", fail)
    before = sample("live_events_lost_total")
    assert await publish.abroadcast([(user_group(uuid.uuid4()), {"type": "x"}) for _ in range(2)]) is False
    assert sample("live_events_lost_total") == before + 2


async def test_a_batch_that_times_out_is_counted_lost(monkeypatch, settings) -> None:
    settings.REALTIME_PUBLISH_TIMEOUT = 0.05

    async def hang(sends):
        await asyncio.Event().wait()

    monkeypatch.setattr(publish, "deliver", hang)
    before = sample("live_events_lost_total")
    assert await publish.abroadcast([("user.x", {"type": "realtime.event"})]) is False
    assert sample("live_events_lost_total") == before + 1


async def test_a_published_batch_is_not_counted_lost(published) -> None:
    before = sample("live_events_lost_total")
    assert await publish.abroadcast([("user.x", {"type": "realtime.event"})]) is True
    assert sample("live_events_lost_total") == before
