"""CPU per warm read request in one process, A/B between source trees, runs interleaved.

For each tree in ``--trees`` a child process imports the project from that
tree (the same virtualenv for all), with production settings, makes (once) a
group of 20 members with one check-in each, and times ``--requests`` warm
``GET`` requests of a member through Django's test client for the group, its
check-ins and its analytics, after 20 warm-ups each. The trees take turns
``--rounds`` times so that the machine's drift hits both alike; the lowest
figure per tree is the one to compare. No server is involved.

    python bench/read_cpu.py --trees /tmp/old,. --rounds 3

Environment (defaults in brackets): ``DATABASE_URL``
[postgres://postgres@127.0.0.1:5432/hucares_cpu, created if missing],
``REDIS_URL`` [redis://127.0.0.1:6379/8].
"""

import argparse
import json
import sys
import time

from trees import ensure_database, enter, environment, group_of, run_child

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 5}
GROUP_NAME = "read-cpu"


def make_group():
    """The group of 20 members, each with a check-in, made on first use."""
    from checkins.models import CheckIn
    from checkins.services import checkin_submit

    group = group_of(name=GROUP_NAME, size=20, username="readcpu")
    for membership in group.memberships.select_related("user"):
        if not CheckIn.objects.filter(group=group, user=membership.user).exists():
            checkin_submit(user=membership.user, group_id=group.pk, **SCORES)
    return group


def child(tree: str, requests: int) -> None:
    """Runs in the tree's own process: prints one JSON line of ms of CPU per request."""
    enter(tree)
    from django.test import Client

    from accounts.models import User
    from accounts.services import ClientInfo, session_start

    group = make_group()
    token = session_start(user=User.objects.get(username="readcpu1"), client=ClientInfo()).access
    client, figures = Client(), {}
    paths = {
        "group": f"/api/v1/groups/{group.pk}",
        "checkins": f"/api/v1/checkins/group/{group.pk}",
        "analytics": f"/api/v1/analytics/group/{group.pk}",
    }
    for name, path in paths.items():
        for _ in range(20):
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        started = time.process_time()
        for _ in range(requests):
            client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        figures[name] = (time.process_time() - started) / requests * 1000
    print(json.dumps(figures))


def main(args: argparse.Namespace) -> None:
    if args.child:
        child(args.child, args.requests)
        return
    env = environment("readcpu")
    ensure_database(env)
    trees = args.trees.split(",")
    results: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    for round_number in range(1, args.rounds + 1):
        for tree in trees:
            figures = run_child(__file__, tree, env, "--requests", str(args.requests))
            results[tree].append(figures)
            shown = "  ".join(f"{name} {value:6.2f} ms" for name, value in figures.items())
            print(f"round {round_number}  {tree:<40} {shown}", flush=True)
    for tree, runs in results.items():
        lowest = "  ".join(f"{name} {min(run[name] for run in runs):6.2f} ms" for name in runs[0])
        print(f"lowest  {tree:<40} {lowest}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", default=".", help="comma-separated source trees, e.g. /tmp/old,.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    main(parser.parse_args())
