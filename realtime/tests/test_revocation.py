"""Ending a sign-in session closes its sockets (4401) at once, on whichever process holds them."""

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import websockets
from channels.db import database_sync_to_async
from django.db import transaction
from websockets.typing import Origin

from accounts import services as account_services
from accounts.services import ClientInfo
from accounts.tests.factories import UserFactory
from accounts.tokens import decode_token
from realtime.protocol import CLOSE_UNAUTHENTICATED
from tests.test_e2e_realtime import ROOT, free_port, server_env, stop_server, wait_until_serving

from .helpers import communicator, receive_event, send

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-42"


@database_sync_to_async
def signed_in_twice():
    user = UserFactory.create(password=PASSWORD)
    first = account_services.session_start(user=user, client=ClientInfo())
    second = account_services.session_start(user=user, client=ClientInfo())
    return user, first.access, second.access


def session_of(access: str):
    return decode_token(access, "access")["sid"]


async def open_socket(token: str):
    socket = communicator(f"/ws/?token={token}")
    accepted, _ = await socket.connect()
    assert accepted
    assert (await socket.receive_json_from(timeout=5))["event"] == "connected"
    return socket


async def test_revoking_a_session_closes_its_sockets_within_a_second_and_no_other() -> None:
    user, revoked, kept = await signed_in_twice()
    doomed, survivor = await open_socket(revoked), await open_socket(kept)
    started = time.monotonic()
    await database_sync_to_async(account_services.session_revoke)(user=user, session_id=session_of(revoked))
    assert await doomed.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}
    assert time.monotonic() - started < 1
    await doomed.disconnect(CLOSE_UNAUTHENTICATED)
    # The other session's socket is untouched.
    await send(survivor, "heartbeat", ref="still-here")
    assert (await receive_event(survivor, "heartbeat-ack"))["ref"] == "still-here"
    await survivor.disconnect()


async def test_a_rolled_back_revocation_closes_nothing() -> None:
    user, revoked, _ = await signed_in_twice()
    socket = await open_socket(revoked)

    class Failed(Exception):
        pass

    @database_sync_to_async
    def revoke_then_fail() -> None:
        try:
            with transaction.atomic():
                account_services.session_revoke(user=user, session_id=session_of(revoked))
                raise Failed
        except Failed:
            pass

    await revoke_then_fail()
    await send(socket, "heartbeat", ref="open")
    assert (await receive_event(socket, "heartbeat-ack"))["ref"] == "open"
    await socket.disconnect()


@pytest.fixture
def daphne(transactional_db: None) -> Iterator[int]:
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env=server_env(), stdout=quiet, stderr=quiet)
    try:
        wait_until_serving(port, process)
        yield port
    finally:
        stop_server(process)


@pytest.mark.e2e
@pytest.mark.services_only  # the Redis layer between processes
@pytest.mark.parametrize("how", ["logout", "password-change", "suspension"])
def test_sockets_on_another_process_close_4401_within_a_second(daphne: int, how: str) -> None:
    user = UserFactory.create(password=PASSWORD)
    pair = account_services.session_start(user=user, client=ClientInfo())
    claims = decode_token(pair.access, "access")
    ends = {
        "logout": lambda: account_services.session_logout(
            user=user, claims=claims, refresh_token=None, everywhere=False
        ),
        "password-change": lambda: account_services.password_change(
            user=user, current_password=PASSWORD, new_password="Another-Horse-43", client=ClientInfo()
        ),
        "suspension": lambda: account_services.user_suspend(user=user),
    }

    async def scenario() -> tuple[int | None, float]:
        url = f"ws://127.0.0.1:{daphne}/ws/?token={pair.access}"
        async with websockets.connect(url, origin=Origin("http://localhost")) as ws:
            assert json.loads(await ws.recv())["event"] == "connected"
            started = time.monotonic()
            await asyncio.to_thread(ends[how])
            await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code, time.monotonic() - started

    code, elapsed = asyncio.run(scenario())
    assert code == CLOSE_UNAUTHENTICATED
    assert elapsed < 1, elapsed
