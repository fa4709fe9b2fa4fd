"""Daphne CPU and database work per closed WebSocket when every socket drops at once, A/B between trees.

For each tree given in ``--trees`` it starts one daphne from that tree (the
same virtualenv for all), connects ``--sockets`` sockets of users in groups
of ``--group-size`` (``bench/ws_handshake_cpu.py``'s users and connect
phase), then aborts every socket's TCP connection at once, as a network
blip or a restarted proxy does, and waits until every socket row is gone.
It reports the daphne's user + system CPU over that phase per socket, the
database's transactions and statements (``pg_stat_database``: commits,
rows deleted) and how long the rows took to go. The trees take turns
``--rounds`` times. Run it with the environment of the daphne under test
(production settings, ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``,
``JWT_SIGNING_KEY``, ``ALLOWED_HOSTS``)::

    git worktree add /tmp/disc-before <commit before realtime/departures.py>
    python bench/ws_disconnect_cpu.py --trees /tmp/disc-before,. --rounds 3
"""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.db import connection
from ws_handshake_cpu import connect_all, cpu_seconds, ensure_users, fresh_tokens, wait_for_port

from realtime.models import UserSession


def database_counters() -> tuple[int, int]:
    """Commits and deleted rows of this database so far (the statistics lag by up to half a second)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit, tup_deleted FROM pg_stat_database WHERE datname = current_database()")
        commits, deleted = cursor.fetchone()
    return int(commits), int(deleted)


async def drop_all(url: str, pid: int, tokens: list[str], args: argparse.Namespace) -> dict[str, Any]:
    _, sockets, _ = await connect_all(url, tokens[1:], args.concurrency)
    await asyncio.sleep(args.settle)
    open_rows = await asyncio.to_thread(UserSession.objects.count)
    commits0, deleted0 = await asyncio.to_thread(database_counters)
    before = cpu_seconds(pid)
    started = time.perf_counter()
    for ws in sockets:
        ws.transport.abort()
    while await asyncio.to_thread(UserSession.objects.count):
        if time.perf_counter() - started > args.timeout:
            raise RuntimeError(f"socket rows still there {args.timeout:.0f} s after the drop")
        await asyncio.sleep(0.05)
    drained = time.perf_counter() - started
    await asyncio.sleep(args.settle)  # the offline announcements after the last DELETE
    cpu = cpu_seconds(pid) - before
    await asyncio.sleep(1)  # the statistics collector
    commits1, deleted1 = await asyncio.to_thread(database_counters)
    return {
        "sockets": open_rows,
        "cpu_ms": cpu / open_rows * 1000,
        "drained_s": drained,
        "commits": commits1 - commits0,
        "deleted": deleted1 - deleted0,
    }


def run_tree(tree: Path, port: int, tokens: list[str], args: argparse.Namespace, label: str) -> dict[str, Any]:
    # The flush is measured, not the offline grace that delays it (trees before the grace ignore this).
    env = {**os.environ, "PYTHONPATH": str(tree), "REALTIME_OFFLINE_GRACE": "0"}
    daphne = Path(sys.executable).parent / "daphne"
    command = [str(daphne), "--verbosity", "0", "--bind", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen([*command, "hucares.asgi:application"], cwd=tree, env=env)
    try:
        wait_for_port(port)
        figures = asyncio.run(drop_all(f"ws://127.0.0.1:{port}/ws/", server.pid, tokens, args))
    finally:
        server.terminate()
        server.wait(30)
    print(
        f"{label:>8} {tree}: {figures['sockets']} sockets dropped; daphne CPU {figures['cpu_ms']:.2f} ms/socket, "
        f"rows gone in {figures['drained_s']:.2f} s, {figures['commits']} commits, {figures['deleted']} rows deleted",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", required=True, help="comma-separated source trees (A,B,...)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--group-size", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    trees = [Path(tree).resolve() for tree in args.trees.split(",")]
    users = ensure_users(args.sockets, args.group_size)
    results: dict[int, list[dict[str, Any]]] = {index: [] for index in range(len(trees))}
    for round_ in range(args.rounds):
        for index, tree in enumerate(trees):
            tokens = fresh_tokens(users)
            results[index].append(run_tree(tree, args.port, tokens, args, f"r{round_ + 1}-{index}"))
    for index, tree in enumerate(trees):
        runs = results[index]
        cpu = ", ".join(f"{run['cpu_ms']:.2f}" for run in runs)
        drained = ", ".join(f"{run['drained_s']:.1f}" for run in runs)
        commits = ", ".join(str(run["commits"]) for run in runs)
        print(f"{tree}: CPU ms/socket {cpu}; rows gone in {drained} s; commits {commits}")


if __name__ == "__main__":
    main()
