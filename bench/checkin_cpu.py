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
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from procstat import cpu_seconds

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "hucares.settings.production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hucares_cpu",
    "REDIS_URL": "redis://127.0.0.1:6379/8",
    "CHANNEL_LAYER_PREFIX": "checkincpu",
    # Keys of this run only: production refuses any key written in the repository.
    "SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "testserver",
    "RATELIMIT_ENABLE": "false",
    "LOG_LEVEL": "WARNING",
}
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
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import issue_pair
    from checkins.models import CheckIn
    from groups.models import Group
    from groups.services import group_create, group_join

    call_command("migrate", verbosity=0)
    name = f"checkin-cpu-{group_size}"
    group = Group.objects.filter(name=name, is_active=True).first()
    if group is None:
        members = [
            User.objects.create_user(
                username=f"cpu{group_size}x{index}",
                email=f"cpu{group_size}x{index}@bench.example",
                password=uuid.uuid4().hex,
                email_verified=True,
            )
            for index in range(group_size)
        ]
        group = group_create(user=members[0], name=name, max_members=max(group_size, 2))
        for member in members[1:]:
            group_join(user=member, access_code=group.access_code)
    members = list(User.objects.filter(memberships__group=group).order_by("username"))
    tokens = [issue_pair(user=member, session_id=uuid.uuid4()).access for member in members]
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


def run_tree(tree: str, args: argparse.Namespace) -> dict[str, list[float]]:
    env = {**ENVIRONMENT, **{k: v for k, v in os.environ.items() if k in ENVIRONMENT}, "PATH": os.environ["PATH"]}
    command = [sys.executable, __file__, "--child", tree, "--group-size", str(args.group_size)]
    result = subprocess.run(
        [*command, "--batches", str(args.batches)], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{tree}: {result.stderr.strip().splitlines()[-1:]}")
    figures: dict[str, list[float]] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def ensure_database() -> None:
    url = os.environ.get("DATABASE_URL", ENVIRONMENT["DATABASE_URL"])
    name = url.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=False)


def main(args: argparse.Namespace) -> None:
    if args.child:
        child(args.child, args.group_size, args.batches)
        return
    ensure_database()
    trees = [str(Path(tree).resolve()) for tree in args.trees.split(",")]
    print(f"CPU per check-in, group of {args.group_size}, lowest of {args.batches} batches (median in brackets)")
    for round_number in range(1, args.rounds + 1):
        for tree in trees:
            figures = run_tree(tree, args)
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
