"""Two real daphne processes sharing Redis and the database.

A check-in submitted over HTTP to the first process reaches, as
``friend-checked-in``, a socket connected to the second: rooms and personal
streams work across processes through the Redis channel layer.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Origin

from groups.tests.factories import GroupFactory, MembershipFactory
from realtime.tests.helpers import access_token
from tests.layout import server_services

# Across processes through the Redis channel layer: the embedded layout has one process.
pytestmark = [pytest.mark.e2e, pytest.mark.services_only]

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env() -> dict[str, str]:
    env = {**os.environ, **server_services()}
    env.update(DJANGO_SETTINGS_MODULE="hucares.settings.test", PYTHONUNBUFFERED="1")
    return env


def stop_server(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM, and SIGKILL if it has not exited by ``START_TIMEOUT`` (a loaded machine slows daphne's shutdown)."""
    process.terminate()
    try:
        process.wait(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne on {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"daphne on {port} did not start within {START_TIMEOUT}s")


@pytest.fixture
def two_servers(transactional_db: None) -> Iterator[tuple[int, int]]:
    ports = (free_port(), free_port())
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        for port, process in zip(ports, processes, strict=True):
            wait_until_serving(port, process)
        yield ports
    finally:
        for process in processes:
            stop_server(process)


async def next_event(ws: Any, name: str, timeout: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["event"] == name:
                return frame


def test_check_in_on_one_process_reaches_a_socket_on_another(two_servers: tuple[int, int]) -> None:
    http_port, ws_port = two_servers
    group = GroupFactory.create(member_count=2)
    author = MembershipFactory.create(group=group).user
    friend = MembershipFactory.create(group=group).user
    author_token, friend_token = access_token(author), access_token(friend)

    async def scenario() -> tuple[httpx.Response, dict[str, Any]]:
        url = f"ws://127.0.0.1:{ws_port}/ws/?token={friend_token}"
        async with websockets.connect(url, origin=Origin("http://localhost")) as ws:
            connected = await next_event(ws, "connected")
            assert connected["data"]["userId"] == str(friend.pk)
            response = await asyncio.to_thread(
                httpx.post,
                f"http://127.0.0.1:{http_port}/api/v1/checkins",
                json={"groupId": str(group.pk), "productive": 7, "satisfied": 7, "body": 7, "care": 2},
                headers={"Authorization": f"Bearer {author_token}"},
                timeout=10,
            )
            return response, await next_event(ws, "friend-checked-in")

    response, frame = asyncio.run(scenario())
    assert response.status_code == 201, response.text
    assert frame["data"]["checkInId"] == response.json()["data"]["id"]
    assert frame["data"]["userId"] == str(author.pk)
    assert frame["data"]["huCaresScore"] == 19
