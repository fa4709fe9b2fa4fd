"""A real daphne of the production layout in multiprocess mode: its sockets on its
own metrics port (compose) and, through the shared directory, on gunicorn's
``/metrics`` (``make serve``), one series per live process."""

import asyncio
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from django.db import connections
from prometheus_client import generate_latest
from websockets.typing import Origin

from accounts.tests.factories import UserFactory
from hucares.core.metrics import recorded_metrics, render_metrics
from realtime.tests.helpers import access_token

from .test_e2e_realtime import ROOT, START_TIMEOUT, free_port, server_env, stop_server

pytestmark = [pytest.mark.e2e]


@dataclass
class Daphne:
    port: int
    metrics_port: int
    directory: Path
    process: "subprocess.Popen[bytes]"


def sockets_of(text: str, pid: int) -> float | None:
    match = re.search(rf'^websocket_process_connections\{{pid="{pid}"\}} ([0-9.e+-]+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else None


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {START_TIMEOUT}s"
        time.sleep(0.05)


def answers(port: int, path: str | None = None) -> bool:
    try:
        if path is None:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        else:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1)
    except (OSError, httpx.TransportError):
        return False
    return True


@pytest.fixture
def daphne(transactional_db: None, tmp_path: Path) -> Iterator[Daphne]:
    port, metrics_port = free_port(), free_port()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {
        **server_env(),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "WS_METRICS_PORT": str(metrics_port),
        "WS_METRICS_ADDR": "127.0.0.1",
    }
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: process.poll() is None and answers(metrics_port, "/metrics") and answers(port), "daphne up")
        yield Daphne(port, metrics_port, directory, process)
    finally:
        stop_server(process)


def test_each_daphne_reports_the_sockets_it_holds_until_it_exits(
    daphne: Daphne, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory.create()
    token = access_token(user)
    pid = daphne.process.pid

    def own_port() -> str:
        return httpx.get(f"http://127.0.0.1:{daphne.metrics_port}/metrics", timeout=5).text

    def gunicorns() -> str:
        # What gunicorn's /metrics reads in `make serve`: every process's files in one directory.
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(daphne.directory))
        return render_metrics().decode()

    def gunicorns_in_a_thread() -> str:
        try:
            return gunicorns()
        finally:
            connections.close_all()  # the thread's own connection, or the test database cannot be dropped

    assert sockets_of(own_port(), pid) == 0.0

    async def open_then_close() -> None:
        url = f"ws://127.0.0.1:{daphne.port}/ws/?token={token}"
        async with websockets.connect(url, origin=Origin("http://localhost")) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["event"] == "connected"
            assert sockets_of(await asyncio.to_thread(own_port), pid) == 1.0
            assert sockets_of(await asyncio.to_thread(gunicorns_in_a_thread), pid) == 1.0

    asyncio.run(open_then_close())
    wait_for(lambda: sockets_of(own_port(), pid) == 0.0, "the closed socket uncounted")

    stop_server(daphne.process)
    # A process that exits takes its series with it.
    assert sockets_of(gunicorns(), pid) is None


def test_a_process_that_serves_no_socket_reports_no_series(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "prometheus"
    directory.mkdir()
    # What a gunicorn worker or a Celery process loads: every app and its metrics, the publisher included.
    code = "import django; django.setup(); import realtime.consumers, streams.publish"
    env = {**server_env(), "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=START_TIMEOUT)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    text = generate_latest(recorded_metrics()).decode()
    assert "live_events_lost_total" in text  # it did write its metrics to the directory
    assert "websocket_process_connections" not in text
