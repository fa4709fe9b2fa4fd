import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import redis
from asgiref.sync import sync_to_async
from django.db import connections

from realtime import departures
from streams.tests.helpers import events_named  # noqa: F401 - the realtime tests' import


@pytest.fixture(autouse=True)
def _fast_realtime(settings) -> None:
    # Short waits where a test waits for a deadline; the rules are the same.
    settings.REALTIME_AUTH_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
async def _release_async_orm_connection() -> AsyncIterator[None]:
    # The async ORM calls of a test run on asgiref's one sync thread, whose
    # connection Django never closes by itself: hand it back to the pool so
    # tests do not drain it and the test database can be dropped at the end.
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
async def _closed_sockets_flushed(_release_async_orm_connection: None) -> AsyncIterator[None]:
    # A closing socket does not wait for its flush (realtime/departures.py):
    # it ends here, in the test's own loop, before the connection goes back.
    yield
    await departures.settled()


@dataclass
class OwnRedis:
    url: str
    process: "subprocess.Popen[bytes]"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    """A redis-server of this test alone on a free port, for fault drills that stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert process.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield OwnRedis(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)
