"""Resume of missed events over the socket: connect with ``?since=`` and time the replay.

Sets up one user whose stream holds ``--missed`` events more than a cursor,
starts one daphne (``hucares.asgi``) on a free port with production settings,
then ``--runs`` times: opens a socket with ``?token=…&since=<cursor>``, and
times the handshake until ``connected`` and until the last replayed event.
Prints p50/p95/p99 of both, in ms.

    python bench/sync_resume.py --missed 100 --runs 200

Environment (defaults in brackets): ``DATABASE_URL``
[postgres://postgres@127.0.0.1:5432/hucares_sync_bench, created if missing],
``REDIS_URL`` [redis://127.0.0.1:6379/9].
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "hucares.settings.production",
    "ALLOW_CONSOLE_EMAIL": "true",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hucares_sync_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "CHANNEL_LAYER_PREFIX": "syncbench",
    "SECRET_KEY": "bench-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "RATELIMIT_ENABLE": "false",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(missed: int) -> tuple[str, int]:
    """A user with ``missed`` events after the returned cursor; their access token."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import User
    from accounts.services import ClientInfo, session_start
    from streams import events
    from streams.selectors import stream_latest
    from streams.services import stream_append

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="sync-resume-bench", defaults={"email": "resume@bench.local"})
    with transaction.atomic():
        sent = stream_append(
            deliveries=[
                (
                    user.pk,
                    events.notification(
                        id=user.pk,
                        type="bench",
                        title="t",
                        message="m" * 80,
                        data={"n": n},
                        created_at=user.created_at,
                    ),
                )
                for n in range(missed)
            ]
        )
    cursor = int(sent[0][1]["cursor"]) - 1 if sent else stream_latest(user_id=user.pk)
    return session_start(user=user, client=ClientInfo()).access, cursor


def percentiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49]:.1f} ms  p95 {cuts[94]:.1f} ms  p99 {cuts[98]:.1f} ms"


async def measure(port: int, token: str, cursor: int, missed: int, runs: int) -> tuple[list[float], list[float]]:
    connected_ms, replayed_ms = [], []
    url = f"ws://127.0.0.1:{port}/ws/?token={token}&since={cursor}"
    for _ in range(runs):
        started = time.perf_counter()
        async with websockets.connect(url, origin=Origin("http://localhost")) as ws:
            assert json.loads(await ws.recv())["event"] == "connected"
            connected_ms.append((time.perf_counter() - started) * 1000)
            for _ in range(missed):
                frame = json.loads(await ws.recv())
                assert frame["event"] == "notification", frame
            replayed_ms.append((time.perf_counter() - started) * 1000)
    return connected_ms, replayed_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missed", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], capture_output=True, check=False)
    token, cursor = prepare(args.missed)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "--verbosity",
            "0",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "hucares.asgi:application",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("daphne did not start")
            time.sleep(0.2)
        # A few runs to warm the process up (imports, pools), not counted.
        asyncio.run(measure(port, token, cursor, args.missed, 5))
        connected_ms, replayed_ms = asyncio.run(measure(port, token, cursor, args.missed, args.runs))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"resume of {args.missed} missed events, {args.runs} runs, one daphne")
    print(f"  until connected:          {percentiles(connected_ms)}")
    print(f"  until the last replayed:  {percentiles(replayed_ms)}")


if __name__ == "__main__":
    main()
