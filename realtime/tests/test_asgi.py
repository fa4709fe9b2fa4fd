"""The WebSocket-only ASGI application of the production layout (``realtime.asgi``)."""

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
import websockets
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.conf import settings
from websockets.typing import Origin

from accounts.tests.factories import UserFactory
from realtime import asgi
from tests.test_e2e_realtime import ROOT, START_TIMEOUT, free_port, server_env

from .helpers import ORIGIN, Communicator, access_token

pytestmark = pytest.mark.django_db(transaction=True)


async def test_sockets_connect_through_the_websocket_only_application() -> None:
    user = await database_sync_to_async(UserFactory.create)()
    token = await database_sync_to_async(access_token)(user)
    socket = Communicator(asgi.application, f"/ws/?token={token}", headers=[ORIGIN])
    accepted, _ = await socket.connect()
    assert accepted
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "connected"
    assert frame["data"]["userId"] == str(user.pk)
    await socket.disconnect()


async def test_plain_http_is_not_found() -> None:
    response = await HttpCommunicator(asgi.application, "GET", "/api/v1/health/live").get_response()
    assert response["status"] == 404


@pytest.fixture(params=["realtime.asgi:application", "hucares.asgi:application"])
def websocket_server(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[int]:
    """A real daphne serving ``realtime.asgi`` (as ``make serve`` runs it) or ``hucares.asgi`` (``make run``)."""
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), request.param]
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while httpx_status(port) is None:
            assert process.poll() is None, "daphne exited"
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def httpx_status(port: int) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code
    except httpx.TransportError:
        return None


def redis_clients() -> int:
    clients: list[dict[str, str]] = redis.Redis.from_url(settings.REDIS_URL).client_list()  # type: ignore[assignment]
    return sum(1 for client in clients if client["cmd"] != "client|list")


@pytest.mark.e2e
def test_handshakes_share_the_process_cache_connections(websocket_server: int) -> None:
    # Each handshake reads the token's revocation keys from the cache. A cache
    # object per socket would open (and keep) one Redis connection per socket.
    users = UserFactory.create_batch(9)
    tokens = [access_token(user) for user in users]

    async def open_sockets(batch: list[str]) -> list[Any]:
        sockets = []
        for token in batch:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{websocket_server}/ws/?token={token}", origin=Origin("http://localhost")
            )
            assert json.loads(await ws.recv())["event"] == "connected"
            sockets.append(ws)
        return sockets

    async def scenario() -> tuple[int, int]:
        warm = await open_sockets(tokens[:1])  # the process's pools connect once
        await asyncio.sleep(0.5)
        before = await asyncio.to_thread(redis_clients)
        rest = await open_sockets(tokens[1:])
        await asyncio.sleep(0.5)
        after = await asyncio.to_thread(redis_clients)
        for ws in warm + rest:
            await ws.close()
        return before, after

    before, after = asyncio.run(scenario())
    assert after - before < 4, (before, after)


def test_autobahn_formats_debug_arguments_only_when_debugging(monkeypatch: pytest.MonkeyPatch) -> None:
    from pprint import pformat

    import autobahn.util
    import autobahn.websocket.protocol

    options = [(f"option{n}", list(range(n)), "WebSocketServerFactory") for n in range(12)]
    assert autobahn.websocket.protocol.pformat(options) == repr(options)
    # No terminal colour codes around the names either.
    assert autobahn.util.hl("sendData") == "sendData"
    monkeypatch.setattr("txaio.tx.get_global_log_level", lambda: "debug")
    assert autobahn.websocket.protocol.pformat(options) == pformat(options)


def test_autobahn_names_its_methods_in_log_lines_only_when_one_is_written() -> None:
    import autobahn.twisted.websocket
    import autobahn.util
    import autobahn.websocket.protocol
    from autobahn.twisted.websocket import WebSocketServerProtocol

    method = WebSocketServerProtocol.sendData
    for module in (autobahn.websocket.protocol, autobahn.twisted.websocket):
        name, value = module.hltype(method), module.hlval(1234)
        assert not isinstance(name, str)  # nothing formatted yet
        # A written line shows what autobahn's own helpers show.
        assert f"{name} sent {value} bytes" == (
            f"{autobahn.util.hltype(method)} sent {autobahn.util.hlval(1234)} bytes"
        )
        assert str(name) == autobahn.util.hltype(method)
        assert "<autobahn.websocket.protocol.WebSocketProtocol.sendData>" in str(name)
