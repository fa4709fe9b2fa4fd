"""One process woken for many users at once: how long until the last of them has read its stream.

A check-in wakes every co-member; one daphne holds about half of them. For
each tree in ``--trees`` a child process (production settings, its own
database) appends one event to each of ``--readers`` users, then has them
read after their cursors at once through ``realtime.protocol.read_after``,
the read every transport makes, on one event loop, ``--rounds`` times. It
prints the wall time until the last reader has its page (p50/p95) and the
process's CPU per round. Trees take turns ``--passes`` times.

    python bench/wakeup_reads.py --trees /tmp/before,. --readers 10 --rounds 300 --passes 3
"""

import argparse
import asyncio
import json
import statistics
import sys
import time

from trees import ensure_database, enter, environment, group_of, run_child


def child(tree: str, readers: int, rounds: int) -> None:
    enter(tree)
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from realtime.protocol import read_after
    from streams import events
    from streams.selectors import stream_latest
    from streams.services import stream_append

    group = group_of(name="wakeup-reads", size=readers, username="wakeup")
    users = [str(m.user_id) for m in group.memberships.all()][:readers]
    walls: list[float] = []

    async def one_round(since: dict[str, int]) -> None:
        start = time.perf_counter()
        pages = await asyncio.gather(*(read_after(user, since[user]) for user in users))
        walls.append((time.perf_counter() - start) * 1000)
        assert all(len(page.events) == 1 for page in pages), pages

    def prepare(n: int) -> dict[str, int]:
        since = {user: stream_latest(user_id=user) for user in users}
        with transaction.atomic():
            stream_append(deliveries=[(user, events.profile_updated(changed=[f"f{n}"])) for user in users])
        return since

    async def run() -> float:
        cpu = 0.0
        for n in range(rounds):
            since = await sync_to_async(prepare)(n)
            t = time.process_time()
            await one_round(since)
            cpu += time.process_time() - t
        return cpu

    cpu = asyncio.run(run())
    warm = walls[20:]
    print(
        json.dumps(
            {
                "last_reader_p50_ms": round(statistics.median(warm), 2),
                "last_reader_p95_ms": round(statistics.quantiles(warm, n=20)[-1], 2),
                "cpu_ms_per_round": round(cpu / rounds * 1000, 2),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", default=".")
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.readers, args.rounds)
        return
    env = environment("bench-wakeup")
    env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/hucares_wakeup"
    ensure_database(env)
    for n in range(args.passes):
        for tree in args.trees.split(","):
            figures = run_child(__file__, tree, env, "--readers", str(args.readers), "--rounds", str(args.rounds))
            print(f"pass {n + 1} {tree}: {figures}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
