"""No access token reaches a log line: daphne's access log, the app's own log lines."""

import asyncio
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

from accounts.tests.factories import UserFactory
from hucares.core.logging import JsonFormatter, RequestContextFilter, redact
from tests.test_e2e_realtime import ROOT, START_TIMEOUT, free_port, server_env, stop_server

from .helpers import access_token
from .test_asgi import httpx_status


def test_the_auth_subprotocol_is_redacted_like_a_query_token() -> None:
    assert redact("offered hucares.v1, hucares.auth.eyJ.a-b_c.d9 at /ws/?token=eyJ.x") == (
        "offered hucares.v1, hucares.auth.[redacted] at /ws/?token=[redacted]"
    )
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "protocols: hucares.auth.eyJ.s3cr3t", None, None)
    RequestContextFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["message"] == "protocols: hucares.auth.[redacted]"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_no_token_reaches_daphnes_access_log_or_the_app_log(tmp_path: Path) -> None:
    port, access_log, app_log = free_port(), tmp_path / "access.log", tmp_path / "app.log"
    command = [sys.executable, "-m", "daphne", "--access-log", str(access_log), "-b", "127.0.0.1", "-p", str(port)]
    with app_log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "hucares.asgi:application"], cwd=ROOT, env=server_env(), stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while httpx_status(port) is None:
            assert process.poll() is None, "daphne exited"
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
        token = access_token(UserFactory.create())
        asyncio.run(open_sockets_every_way(f"ws://127.0.0.1:{port}/ws/", token))
    finally:
        stop_server(process)
    logged = access_log.read_text() + app_log.read_text()
    assert logged.count("WSCONNECT /ws/") >= 3, logged
    assert token not in logged
    assert token.split(".")[2] not in logged  # not even the signature alone


async def open_sockets_every_way(url: str, token: str) -> None:
    async with websockets.connect(f"{url}?token={token}", origin=Origin("http://localhost")) as ws:
        assert json.loads(await ws.recv())["event"] == "connected"
        await ws.send("{broken")
        assert json.loads(await ws.recv())["data"]["code"] == "MALFORMED_FRAME"
    offered = [Subprotocol("hucares.v1"), Subprotocol(f"hucares.auth.{token}")]
    async with websockets.connect(url, subprotocols=offered) as ws:
        assert ws.subprotocol == "hucares.v1"
        assert json.loads(await ws.recv())["event"] == "connected"
    for bad in (f"{url}?token={token}x", url):
        protocols = [Subprotocol("hucares.v1"), Subprotocol(f"hucares.auth.{token}x")] if bad == url else None
        async with websockets.connect(bad, subprotocols=protocols) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401
