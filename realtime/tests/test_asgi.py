"""The one ASGI application (``hucares.asgi``) under a real daphne."""

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import websockets
from django.conf import settings
from websockets.typing import Origin

from accounts.tests.factories import UserFactory
from tests.test_e2e_realtime import ROOT, START_TIMEOUT, free_port, server_env, stop_server

from .helpers import access_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def websocket_server(transactional_db: None) -> Iterator[tuple[int, str]]:
    """A real daphne serving ``hucares.asgi``, the one ASGI application (``make serve`` and ``make run``).

    Yields its port and the name its Redis connections carry, so a test can
    count this process's connections among everyone else's on a shared Redis.
    """
    port, client_name = free_port(), f"hucares-test-daphne-{uuid.uuid4().hex}"
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    env = {**server_env(), "REDIS_URL": named_redis_url(settings.REDIS_URL, client_name)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while httpx_status(port) is None:
            assert process.poll() is None, "daphne exited"
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
        yield port, client_name
    finally:
        stop_server(process)


def named_redis_url(url: str, client_name: str) -> str:
    """``url`` with redis-py's ``client_name`` option: every connection opened from it says who opened it."""
    return f"{url}{'&' if '?' in url else '?'}client_name={client_name}"


def httpx_status(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code
    except httpx.TransportError:
        return None


def redis_clients(name: str) -> int:
    """Open connections named ``name`` on the shared Redis (other suites' connections are not counted)."""
    clients: list[dict[str, str]] = redis.Redis.from_url(settings.REDIS_URL).client_list()  # type: ignore[assignment]
    return sum(1 for client in clients if client["name"] == name)


@pytest.mark.services_only  # Redis connections
@pytest.mark.e2e
def test_handshakes_share_the_process_cache_connections(websocket_server: tuple[int, str]) -> None:
    # Each handshake reads the token's revocation keys from the cache. A cache
    # object per socket would open (and keep) one Redis connection per socket.
    port, client_name = websocket_server
    users = UserFactory.create_batch(9)
    tokens = [access_token(user) for user in users]

    async def open_sockets(batch: list[str]) -> list[Any]:
        sockets = []
        for token in batch:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/?token={token}", origin=Origin("http://localhost"))
            assert json.loads(await ws.recv())["event"] == "connected"
            sockets.append(ws)
        # A heartbeat is served after the socket's handshake work (presence
        # announcements included) is done: its answer means nothing of the
        # handshake is still opening connections.
        for ws in sockets:
            await ws.send(json.dumps({"event": "heartbeat", "data": {}}))
            while json.loads(await ws.recv())["event"] != "heartbeat-ack":
                pass
        return sockets

    async def scenario() -> tuple[int, int]:
        warm = await open_sockets(tokens[:1])  # the process's pools connect once
        before = await asyncio.to_thread(redis_clients, client_name)
        rest = await open_sockets(tokens[1:])
        after = await asyncio.to_thread(redis_clients, client_name)
        for ws in warm + rest:
            await ws.close()
        return before, after

    before, after = asyncio.run(scenario())
    assert before > 0, "the server's connections carry its name"
    assert after - before < 4, (before, after)
