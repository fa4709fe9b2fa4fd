"""CPU per check-in (``POST /api/v1/checkins``) in one process, A/B between source trees, runs interleaved.

For each tree in ``--trees`` a child process imports the project from that
tree (the same virtualenv for all), with production settings, and submits a
check-in for every member of one group of ``--group-size`` through Django's
test client (the whole request: middleware, JWT, view, service, after-commit
publishes to Redis), ``--batches`` times, deleting the group's check-ins
between batches. It reports, per batch, the process's own CPU per check-in
and PostgreSQL's (the backends of this database, from ``/proc``); the lowest
of the batches is the figure to compare, since the machine's speed drifts.
The trees take turns ``--rounds`` times so that the drift hits both alike.
No server is involved: this isolates the request's code from the serving
layout that ``bench/api.py`` measures.

    python bench/checkin_cpu.py --trees /tmp/old,. --rounds 3

Environment (defaults in brackets): ``DATABASE_URL``
[postgres://postgres@127.0.0.1:5432/hucares_cpu, created if missing],
``REDIS_URL`` [redis://127.0.0.1:6379/8].
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from procstat import cpu_seconds
from trees import ensure_database, enter, environment, group_of, run_child

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 5}


def postgres_cpu_seconds(cursor: Any) -> float:
    """User + system CPU of this database's backends so far, from ``/proc`` (same machine)."""
    cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    total = 0.0
    for (pid,) in cursor.fetchall():
        try:
            total += cpu_seconds(pid)
        except OSError:  # a backend that ended meanwhile
            continue
    return total


def child(tree: str, group_size: int, batches: int) -> None:
    """Runs in the tree's own process: prints one JSON line of per-batch figures."""
    enter(tree)
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.services import ClientInfo, session_start
    from checkins.models import CheckIn

    group = group_of(name=f"checkin-cpu-{group_size}", size=group_size, username=f"cpu{group_size}x")
    members = list(User.objects.filter(memberships__group=group).order_by("username"))
    tokens = [session_start(user=member, client=ClientInfo()).access for member in members]
    client = Client()
    body = json.dumps({"groupId": str(group.pk), **SCORES})

    app, database = [], []
    for _ in range(batches):
        CheckIn.objects.filter(group=group).delete()
        with connection.cursor() as cursor:
            started, pg_started = time.process_time(), postgres_cpu_seconds(cursor)
        for token in tokens:
            response = client.post(
                "/api/v1/checkins", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
            if response.status_code != 201:
                sys.exit(f"check-in answered {response.status_code}: {response.content[:300]!r}")
        with connection.cursor() as cursor:
            pg_spent = postgres_cpu_seconds(cursor) - pg_started
        app.append((time.process_time() - started) / len(tokens) * 1000)
        database.append(pg_spent / len(tokens) * 1000)
    print(json.dumps({"app_ms": app, "postgres_ms": database}))


def main(args: argparse.Namespace) -> None:
    if args.child:
        child(args.child, args.group_size, args.batches)
        return
    env = environment("checkincpu")
    ensure_database(env)
    trees = [str(Path(tree).resolve()) for tree in args.trees.split(",")]
    print(f"CPU per check-in, group of {args.group_size}, lowest of {args.batches} batches (median in brackets)")
    for round_number in range(1, args.rounds + 1):
        for tree in trees:
            options = ("--group-size", str(args.group_size), "--batches", str(args.batches))
            figures = run_child(__file__, tree, env, *options)
            app, database = figures["app_ms"], figures["postgres_ms"]
            print(
                f"round {round_number}  {tree:<40} app {min(app):6.2f} ms ({statistics.median(app):6.2f})"
                f"   postgres {min(database):5.2f} ms ({statistics.median(database):5.2f})",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", default=".", help="comma-separated source trees, e.g. /tmp/old,.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=8, help="batches of one check-in per member, per run")
    parser.add_argument("--group-size", type=int, default=32)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    main(parser.parse_args())
