"""Daphne CPU per WebSocket handshake, A/B between source trees, runs interleaved.

For each tree given in ``--trees`` it starts one daphne on
``hucares.asgi:application`` from that tree (the same virtualenv for all),
connects ``--sockets`` sockets of users in groups of ``--group-size``,
``--concurrency`` handshakes in flight and in group order as
``bench/ws_fanout.py`` connects them, waits for the ``user-online`` frames
they cause to settle, and reports the daphne's user + system CPU
(``/proc/<pid>/stat``) over that phase divided by the sockets, the connect
times, and the frames received. The trees take turns ``--rounds`` times, so
the machine's drifting speed hits both alike.

Users, groups and memberships are made in the database (no HTTP server
needed); tokens are minted with ``accounts.tokens.issue_pair`` each round
and every user's cache entry is warmed, as the API calls before a real
connect phase do. Presence keys and socket rows are cleared before each run,
so every handshake is its user's first socket. Run it with the environment
of the daphne under test (production settings, ``DATABASE_URL``,
``REDIS_URL``, ``CHANNEL_LAYER_PREFIX``, ``SECRET_KEY``, ``JWT_SIGNING_KEY``,
``ALLOWED_HOSTS``)::

    python bench/ws_handshake_cpu.py --trees /tmp/ws-old,. --rounds 3

``--profile DIR`` also records each run with py-spy (``--py-spy``, raw
format, 250 samples a second) while the sockets connect; CPU figures of such runs
include py-spy's share and are not for comparison.
"""

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.production")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

import websockets  # noqa: E402
from django.db import transaction  # noqa: E402
from procstat import cpu_seconds  # noqa: E402
from websockets.typing import Origin  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import ClientInfo, session_start  # noqa: E402
from accounts.tokens import check_access_token  # noqa: E402
from groups.models import Group, GroupMembership, MembershipStatus, Role  # noqa: E402
from realtime import presence  # noqa: E402
from realtime.models import UserSession  # noqa: E402

PREFIX = "wshs"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def ensure_users(sockets: int, group_size: int) -> list[User]:
    """One user in no group (the warm-up), then ``sockets`` users in groups of ``group_size``.

    Made once and reused by later runs with the same figures.
    """
    existing = list(User.objects.filter(username__startswith=f"{PREFIX}_").order_by("username"))
    grouped = GroupMembership.objects.filter(user__username__startswith=f"{PREFIX}_").count()
    if len(existing) == sockets + 1 and grouped == sockets:
        return existing
    User.objects.filter(username__startswith=f"{PREFIX}_").delete()
    Group.objects.filter(name__startswith=f"{PREFIX} ").delete()
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(username=f"{PREFIX}_{i:05d}", email=f"{PREFIX}_{i:05d}@bench.example", email_verified=True)
            for i in range(sockets + 1)
        )
        for index in range(0, sockets, group_size):
            members = users[1 + index : 1 + index + group_size]
            group = Group.objects.create(
                name=f"{PREFIX} {index // group_size}",
                access_code=f"W{index // group_size:07d}",
                period_anchor="2025-01-06",
                created_by=members[0],
                max_members=group_size,
                member_count=len(members),
            )
            GroupMembership.objects.bulk_create(
                GroupMembership(
                    group=group,
                    user=user,
                    role=Role.ADMIN if user is members[0] else Role.MEMBER,
                    status=MembershipStatus.ACTIVE,
                )
                for user in members
            )
    return users


def fresh_tokens(users: list[User]) -> list[str]:
    """A token per user, each user's cache entry warm; no presence or socket row left over."""
    UserSession.objects.filter(user__username__startswith=f"{PREFIX}_").delete()
    store = presence.store()
    client = getattr(store, "client", None)
    if client is not None:
        keys = [store._key(str(user.pk)) for user in users]  # type: ignore[attr-defined]
        client.delete(*keys)
    tokens = [session_start(user=user, client=ClientInfo()).access for user in users]
    for token in tokens:
        check_access_token(token)
    return tokens


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


async def connect_all(url: str, tokens: list[str], concurrency: int) -> tuple[list[float], list[Any], dict[str, int]]:
    limit = asyncio.Semaphore(concurrency)
    times: list[float] = []
    sockets: list[Any] = []
    frames: dict[str, int] = {}

    async def read(ws: Any) -> None:
        try:
            async for raw in ws:
                name = json.loads(raw)["event"]
                frames[name] = frames.get(name, 0) + 1
        except websockets.ConnectionClosed:
            pass

    async def connect(token: str) -> None:
        async with limit:
            started = time.perf_counter()
            ws = await websockets.connect(
                f"{url}?token={token}", origin=Origin("http://localhost"), open_timeout=30, max_queue=None
            )
            while True:
                name = json.loads(await ws.recv())["event"]
                frames[name] = frames.get(name, 0) + 1
                if name == "connected":
                    break
            times.append(time.perf_counter() - started)
        sockets.append(ws)
        asyncio.create_task(read(ws))  # noqa: RUF006 - lives as long as the socket

    await asyncio.gather(*(connect(token) for token in tokens))
    return times, sockets, frames


async def run_once(
    url: str, pid: int, tokens: list[str], args: argparse.Namespace, profile: list[str] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    # Warm-up: imports, the database pool and Redis connections of the fresh process.
    _, warm, _ = await connect_all(url, tokens[:1], 1)
    await asyncio.gather(*(ws.close() for ws in warm))
    await asyncio.sleep(1)
    spy = None
    if profile is not None:
        spy = subprocess.Popen([*profile, "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await asyncio.sleep(1)
    before = cpu_seconds(pid)
    started = time.perf_counter()
    times, sockets, frames = await connect_all(url, tokens[1:], args.concurrency)
    wall = time.perf_counter() - started
    await asyncio.sleep(args.settle)
    cpu = cpu_seconds(pid) - before
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.sleep(4)  # the server's disconnect work, before it is stopped
    figures = {"cpu_ms": cpu / len(times) * 1000, "p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}
    return figures, {"wall": wall, "frames": frames}


def run_tree(tree: Path, port: int, tokens: list[str], args: argparse.Namespace, label: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    daphne = Path(sys.executable).parent / "daphne"
    command = [str(daphne), "--verbosity", "0", "--bind", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([*command, "hucares.asgi:application"], cwd=tree, env=env)
    profile = None
    if args.profile:
        out = Path(args.profile) / f"{label}.raw"
        profile = [args.py_spy, "record", "-r", "250", "-f", "raw", "-o", str(out), *args.spy_arg]
    try:
        wait_for_port(port)
        url = f"ws://127.0.0.1:{port}/ws/"
        figures, extra = asyncio.run(run_once(url, server.pid, tokens, args, profile))
    finally:
        server.terminate()
        server.wait(30)
    print(
        f"{label:>10} {tree}: daphne CPU {figures['cpu_ms']:.2f} ms/socket, connect p50/p95 "
        f"{figures['p50']:.1f}/{figures['p95']:.1f} ms, {extra['wall']:.1f}s wall, frames {extra['frames']}",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", required=True, help="comma-separated source trees (A,B,...)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--group-size", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after the last connect before reading CPU")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--profile", default="", help="directory for py-spy raw profiles of each run")
    parser.add_argument("--py-spy", default="py-spy")
    parser.add_argument("--spy-arg", action="append", default=[], help="extra py-spy record argument (e.g. --gil)")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    trees = [Path(tree).resolve() for tree in args.trees.split(",")]
    users = ensure_users(args.sockets, args.group_size)
    results: dict[int, list[dict[str, Any]]] = {index: [] for index in range(len(trees))}
    for round_ in range(args.rounds):
        for index, tree in enumerate(trees):
            tokens = fresh_tokens(users)
            results[index].append(run_tree(tree, args.port, tokens, args, f"r{round_ + 1}-{'AB'[index % 2]}{index}"))
    for index, tree in enumerate(trees):
        cpu = [r["cpu_ms"] for r in results[index]]
        p95 = [r["p95"] for r in results[index]]
        print(f"{tree}: CPU ms/socket {', '.join(f'{c:.2f}' for c in cpu)}; p95 {', '.join(f'{p:.0f}' for p in p95)}")


if __name__ == "__main__":
    main()
