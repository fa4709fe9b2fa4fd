"""Closed sockets in batches (realtime/departures.py), on either layout: one flush for many departures."""

import asyncio
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection
from django.db.backends import utils as db_utils
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from groups.tests.factories import GroupFactory, MembershipFactory
from realtime import departures, presence, services
from realtime.models import UserSession
from realtime.publish import apublish_to_users
from tests.test_e2e_realtime import ROOT, free_port, server_env, stop_server, wait_until_serving

from .helpers import access_token, assert_nothing_more, connect, receive_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement run from now on, on any thread (the flushes run on the executor's)."""
    seen: list[str] = []
    lock = threading.Lock()
    execute = db_utils.CursorWrapper.execute

    def recording(self: Any, sql: str, params: Any = None) -> Any:
        if not is_transaction_control(sql):
            with lock:
                seen.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(db_utils.CursorWrapper, "execute", recording)
    return seen


def is_transaction_control(sql: str) -> bool:
    return sql.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def deletes(seen: list[str]) -> list[str]:
    return [sql for sql in seen if sql.lstrip().upper().startswith("DELETE") and "user_sessions" in sql]


def co_member_queries(seen: list[str]) -> list[str]:
    return [sql for sql in seen if "FROM group_memberships mine" in sql]


@database_sync_to_async
def groups_with_watchers(groups: int, size: int) -> tuple[list[list[Any]], list[Any]]:
    """``groups`` groups of ``size`` members who will leave, plus one watcher each who stays."""
    leaving, watchers = [], []
    for _ in range(groups):
        group = GroupFactory.create()
        leaving.append([MembershipFactory.create(group=group).user for _ in range(size)])
        watchers.append(MembershipFactory.create(group=group).user)
    return leaving, watchers


async def frames_so_far(socket: Any, user_id: Any) -> list[dict[str, Any]]:
    """Every frame published to ``socket`` (of ``user_id``) before this call: read up to a marker sent now.

    A marker rather than waiting for silence: a receive that times out ends the test application.
    """
    marker = {"event": "test-marker", "data": {"id": uuid.uuid4().hex}}
    assert await apublish_to_users([user_id], marker)
    frames = []
    while (frame := await socket.receive_json_from(timeout=10)) != marker:
        frames.append(frame)
    return frames


async def test_200_sockets_closing_at_once_are_one_flush_and_each_co_member_hears_once(settings, statements) -> None:
    settings.REALTIME_DEPARTURE_INTERVAL = 0.5  # wide enough for all 200 to queue on a loaded machine
    leaving, watcher_users = await groups_with_watchers(groups=20, size=10)
    watchers = [(await connect(user))[0] for user in watcher_users]
    sockets = [(await connect(user))[0] for members in leaving for user in members]
    for watcher, user in zip(watchers, watcher_users, strict=True):
        await frames_so_far(watcher, user.pk)  # the user-online of everyone who connected after it
    statements.clear()

    await asyncio.gather(*(socket.disconnect() for socket in sockets))
    await departures.settled()

    assert len(deletes(statements)) == 1, deletes(statements)
    assert len(co_member_queries(statements)) == 1
    assert len(statements) == 2, statements
    assert await UserSession.objects.acount() == len(watchers)
    everyone = [user for members in leaving for user in members]
    assert await sync_to_async(presence.online_user_ids)([u.pk for u in everyone]) == set()
    for watcher, user, members in zip(watchers, watcher_users, leaving, strict=True):
        frames = await frames_so_far(watcher, user.pk)
        heard = Counter(f["data"]["userId"] for f in frames if f["event"] == "user-offline")
        assert heard == {str(member.pk): 1 for member in members}
    for watcher in watchers:
        await watcher.disconnect()


async def test_a_user_back_within_the_grace_is_announced_neither_offline_nor_online(settings) -> None:
    settings.REALTIME_OFFLINE_GRACE = 2.0  # longer than a handshake on a loaded machine
    first = await database_sync_to_async(MembershipFactory.create)()
    second = await database_sync_to_async(MembershipFactory.create)(group=first.group)
    watcher, _ = await connect(first.user)
    dropped, _ = await connect(second.user)
    assert (await receive_event(watcher, "user-online"))["data"] == {"userId": str(second.user_id)}
    started = time.monotonic()
    await dropped.disconnect()
    # The socket did not wait for the grace; its row does.
    assert time.monotonic() - started < settings.REALTIME_OFFLINE_GRACE
    assert await UserSession.objects.filter(user_id=second.user_id).acount() == 1
    back, _ = await connect(second.user)
    await departures.settled()
    assert await UserSession.objects.filter(user_id=second.user_id).acount() == 1
    await assert_nothing_more(watcher, first.user_id)

    await back.disconnect()  # and does not come back: announced once the grace is over
    assert await UserSession.objects.filter(user_id=second.user_id).acount() == 1
    await departures.settled()
    assert (await receive_event(watcher, "user-offline"))["data"] == {"userId": str(second.user_id)}
    assert not await UserSession.objects.filter(user_id=second.user_id).aexists()
    await watcher.disconnect()


async def test_departures_arriving_during_a_flush_wait_for_the_next_and_the_cap_splits_them(
    settings, monkeypatch
) -> None:
    settings.REALTIME_DEPARTURE_INTERVAL = 0.01
    settings.REALTIME_DEPARTURE_BATCH = 3
    flushed: list[list[departures.Departure]] = []
    release = asyncio.Event()

    async def slow_flush(batch: list[departures.Departure]) -> None:
        flushed.append(batch)
        await release.wait()

    monkeypatch.setattr(departures, "flush", slow_flush)
    first = departures.depart(user_id="u1", socket_id="s1")
    while not flushed:
        await asyncio.sleep(0.01)
    later = [departures.depart(user_id=f"u{i}", socket_id=f"s{i}") for i in range(2, 7)]
    assert not first.done()
    release.set()
    await asyncio.gather(first, *later)
    assert flushed == [[("u1", "s1")], [(f"u{i}", f"s{i}") for i in (2, 3, 4)], [("u5", "s5"), ("u6", "s6")]]


async def test_a_departure_whose_socket_stops_waiting_is_still_flushed(settings) -> None:
    settings.REALTIME_DEPARTURE_INTERVAL = 0.05
    user = await database_sync_to_async(UserFactory.create)()
    open_row = database_sync_to_async(services.session_open)
    await open_row(user_id=user.pk, socket_id="gone", user_agent="", ip_address=None)
    waiting = asyncio.ensure_future(departures.depart(user_id=str(user.pk), socket_id="gone"))
    await asyncio.sleep(0)
    waiting.cancel()
    for _ in range(100):
        if not await UserSession.objects.filter(socket_id="gone").aexists():
            break
        await asyncio.sleep(0.05)
    assert not await UserSession.objects.filter(socket_id="gone").aexists()


async def test_what_is_still_queued_is_flushed_at_exit(settings) -> None:
    settings.REALTIME_DEPARTURE_INTERVAL = 60  # no flush of its own before the "exit"
    member = await database_sync_to_async(MembershipFactory.create)()
    await database_sync_to_async(services.socket_open)(
        token=await database_sync_to_async(access_token)(member.user), socket_id="last", user_agent="", ip_address=None
    )
    queued = departures.depart(user_id=str(member.user_id), socket_id="last")
    await sync_to_async(departures.flush_at_exit)()
    assert not await UserSession.objects.filter(socket_id="last").aexists()
    assert await sync_to_async(presence.online_user_ids)([member.user_id]) == set()
    assert departures.batcher().waiting == []
    queued.cancel()


def test_sockets_left_is_one_delete_one_presence_trip_and_one_co_member_query(monkeypatch) -> None:
    group = GroupFactory.create()
    staying = MembershipFactory.create(group=group).user
    leaving = [MembershipFactory.create(group=group).user for _ in range(5)]
    sockets = []
    for user in leaving:
        for tab in range(2):  # two tabs each, both closing
            socket_id = f"{user.pk}-{tab}"
            services.session_open(user_id=user.pk, socket_id=socket_id, user_agent="", ip_address=None)
            presence.socket_connected(user.pk, socket_id)
            sockets.append((user.pk, socket_id))
    trips = []
    real_store = presence.store

    def counted_store() -> presence.PresenceStore:
        trips.append(1)
        return real_store()

    monkeypatch.setattr(presence, "store", counted_store)

    with CaptureQueriesContext(connection) as queries:
        sends = services.sockets_left(sockets)

    # The DELETE (in the transaction Django's delete() opens), then the co-member query.
    run = [q["sql"] for q in queries.captured_queries if not is_transaction_control(q["sql"])]
    assert [sql.split()[0] for sql in run] == ["DELETE", "SELECT"]
    assert "FROM group_memberships mine" in run[-1]

    assert len(trips) == 1
    assert not UserSession.objects.filter(user__in=leaving).exists()
    # The one member left hears of each of the five once; the five, gone together, hear nothing.
    assert sorted((group, m["event"]["data"]["userId"]) for group, m in sends) == sorted(
        (f"user.{staying.pk}", str(user.pk)) for user in leaving
    )


def test_a_user_with_a_socket_left_is_not_announced() -> None:
    member = MembershipFactory.create()
    MembershipFactory.create(group=member.group)
    for socket_id in ("closing", "open"):
        presence.socket_connected(member.user_id, socket_id)
    assert services.sockets_left([(member.user_id, "closing")]) == []


@pytest.fixture
def slow_flushing_daphne(transactional_db: None) -> Iterator[tuple[int, "subprocess.Popen[bytes]"]]:
    port = free_port()
    # A departure waits a minute for its flush: only the flush at exit can drop the row sooner.
    env = {**server_env(), "REALTIME_DEPARTURE_INTERVAL": "60"}
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, process)
        yield port, process
    finally:
        stop_server(process)


@pytest.mark.e2e
def test_a_server_stopping_flushes_the_sockets_that_closed_before(slow_flushing_daphne) -> None:
    import websockets.sync.client
    from websockets.typing import Origin, Subprotocol

    port, process = slow_flushing_daphne
    user = UserFactory.create()
    token = access_token(user)
    with websockets.sync.client.connect(
        f"ws://127.0.0.1:{port}/ws/",
        subprotocols=[Subprotocol("hucares.v1"), Subprotocol(f"hucares.auth.{token}")],
        origin=Origin("http://localhost"),
    ) as ws:
        assert '"connected"' in ws.recv(timeout=10)
        assert UserSession.objects.filter(user=user).exists()
    time.sleep(0.5)  # the close reached the consumer, which queued the socket
    assert UserSession.objects.filter(user=user).exists()
    stop_server(process)
    assert process.returncode == 0
    assert not UserSession.objects.filter(user=user).exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live", timeout=1)
