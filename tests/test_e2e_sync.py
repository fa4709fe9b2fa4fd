"""Resume across real server processes: a socket's server dies, or Redis restarts, while events happen.

The client keeps the last cursor it saw, reconnects (to another process)
with ``?since=`` and gets exactly the events it missed, in order, once; the
long-poll from the same cursor answers the same events.
"""

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import websockets
from websockets.typing import Origin

from groups.models import Role
from groups.tests.factories import GroupFactory, MembershipFactory
from realtime.tests.helpers import access_token
from streams.selectors import stream_read

from .test_e2e_realtime import ROOT, free_port, server_env, wait_until_serving

pytestmark = [pytest.mark.e2e]

PRESENCE = {"user-online", "user-offline"}


def start_daphne(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def servers(transactional_db: None, request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Two daphne processes; parametrized (indirect) with ``"own-redis"``, against the test's own Redis."""
    env = server_env()
    if getattr(request, "param", None) == "own-redis":
        env["REDIS_URL"] = request.getfixturevalue("own_redis").url
    ports = [free_port(), free_port()]
    processes = [start_daphne(port, env) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_until_serving(port, process)
        yield {"ports": ports, "processes": processes}
    finally:
        for process in processes:
            stop(process)


class OwnRedis:
    """A redis-server of the test's own, on a free port, without persistence: a restart loses everything."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="hucares-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


@pytest.fixture(scope="module")
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def api(port: int, token: str, method: str, path: str, body: Any = None) -> httpx.Response:
    response = httpx.request(
        method,
        f"http://127.0.0.1:{port}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code < 300, response.text
    return response


def happen_meanwhile(port: int, group: Any, admin_token: str, author_token: str, suffix: str) -> None:
    """A friend checks in (with its notification), the group changes, the check-in is edited."""
    scores = {"productive": 6, "satisfied": 6, "body": 6, "care": 6}
    created = api(port, author_token, "POST", "/checkins", {"groupId": str(group.pk), **scores}).json()["data"]
    api(port, admin_token, "PATCH", f"/groups/{group.pk}", {"name": f"Renamed {suffix}"})
    api(port, author_token, "PATCH", f"/checkins/{created['id']}", {"care": 9})


async def frames_until(ws: Any, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(frames) < count:
            frame = json.loads(await ws.recv())
            if frame["event"] not in PRESENCE:
                frames.append(frame)
    return frames


async def nothing_more(ws: Any) -> bool:
    try:
        async with asyncio.timeout(0.5):
            while True:
                frame = json.loads(await ws.recv())
                assert frame["event"] in PRESENCE, frame
    except TimeoutError:
        return True


class TryAgainLater(Exception):
    """The server took the socket only to say its Redis is unreachable, and closed it with 4503."""


async def connect(port: int, token: str, since: str | None = None) -> tuple[Any, dict[str, Any]]:
    url = f"ws://127.0.0.1:{port}/ws/?token={token}" + (f"&since={since}" if since is not None else "")
    ws = await websockets.connect(url, origin=Origin("http://localhost"))
    connected = json.loads(await ws.recv())
    if connected["event"] == "error":
        assert connected["data"]["code"] == "SERVICE_UNAVAILABLE", connected
        await ws.wait_closed()
        assert ws.close_code == 4503
        raise TryAgainLater()
    assert connected["event"] == "connected"
    return ws, connected


async def reconnect(port: int, token: str, since: str, timeout: float = 30) -> tuple[Any, dict[str, Any]]:
    """Connect as a client does after a drop: again, with backoff, until a server takes the socket.

    A process whose Redis connections were cut by a restart answers sockets
    with ``SERVICE_UNAVAILABLE`` and close 4503 until its channel layer has
    connected again.
    """
    deadline, pause = time.monotonic() + timeout, 0.1
    while True:
        try:
            return await connect(port, token, since=since)
        except (websockets.ConnectionClosed, TryAgainLater):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


def make_group() -> tuple[Any, Any, Any, Any]:
    group = GroupFactory.create(member_count=3)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    author = MembershipFactory.create(group=group).user
    friend = MembershipFactory.create(group=group).user
    return group, admin, author, friend


def missed_events(user: Any, cursor: str) -> list[dict[str, Any]]:
    page = stream_read(user_id=user.pk, since=int(cursor))
    assert not page.resync
    return page.events


def test_a_client_whose_server_died_resumes_on_another_without_losing_anything(servers: dict[str, Any]) -> None:
    (port_a, port_b), (_, process_b) = servers["ports"], servers["processes"]
    group, admin, author, friend = make_group()
    friend_token, admin_token, author_token = access_token(friend), access_token(admin), access_token(author)

    async def scenario() -> tuple[str, list[dict[str, Any]], dict[str, Any], bool]:
        ws, connected = await connect(port_b, friend_token)
        cursor = connected["data"]["cursor"]
        process_b.kill()  # the friend's server dies without closing anything
        process_b.wait()
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        await asyncio.to_thread(happen_meanwhile, port_a, group, admin_token, author_token, "a")
        missed = await asyncio.to_thread(missed_events, friend, cursor)
        ws, connected = await connect(port_a, friend_token, since=cursor)
        replayed = await frames_until(ws, len(missed))
        quiet = await nothing_more(ws)
        await ws.close()
        assert replayed == missed
        return cursor, missed, connected, quiet

    cursor, missed, connected, quiet = asyncio.run(scenario())
    assert [frame["event"] for frame in missed] == [
        "notification",
        "friend-checked-in",
        "group-updated",
        "friend-checked-in",
    ]
    assert [int(frame["cursor"]) for frame in missed] == list(range(int(cursor) + 1, int(cursor) + 5))
    assert connected["data"]["cursor"] == missed[-1]["cursor"]
    assert quiet
    # The same through the long-poll, from the same cursor.
    polled = api(port_a, friend_token, "GET", f"/events?since={cursor}&wait=0").json()["data"]
    assert polled == {"events": missed, "cursor": missed[-1]["cursor"]}


@pytest.mark.parametrize("servers", ["own-redis"], indirect=True)
def test_resume_and_long_poll_after_redis_restarted_while_the_client_was_away(
    own_redis: OwnRedis, servers: dict[str, Any]
) -> None:
    port_a, port_b = servers["ports"]
    group, admin, author, friend = make_group()
    friend_token, admin_token, author_token = access_token(friend), access_token(admin), access_token(author)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ws, connected = await connect(port_b, friend_token)
        cursor = connected["data"]["cursor"]
        await ws.close()
        await asyncio.to_thread(happen_meanwhile, port_a, group, admin_token, author_token, "b")
        own_redis.stop()  # everything Redis held is gone
        own_redis.start()
        # More happens once Redis is back: a second check-in of the same friend is refused, so edit again.
        check_in_id = (await asyncio.to_thread(missed_events, friend, cursor))[1]["data"]["checkInId"]
        await asyncio.to_thread(api, port_a, author_token, "PATCH", f"/checkins/{check_in_id}", {"care": 3})
        missed = await asyncio.to_thread(missed_events, friend, cursor)
        ws, _ = await reconnect(port_b, friend_token, since=cursor)
        replayed = await frames_until(ws, len(missed))
        assert await nothing_more(ws)
        await ws.close()
        return missed, replayed

    missed, replayed = asyncio.run(scenario())
    assert len(missed) == 5
    assert replayed == missed
    cursor = str(int(missed[0]["cursor"]) - 1)
    polled = api(port_b, friend_token, "GET", f"/events?since={cursor}&wait=0").json()["data"]
    assert polled["events"] == missed
