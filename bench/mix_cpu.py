"""CPU per request of each class of the load test's phone mix, in one process, A/B between source trees.

For each tree in ``--trees`` a child process imports the project from that
tree (the same virtualenv for all), with production settings (DEBUG off, the
real middleware, JWT auth, the Redis cache, rate limits off as in
``make loadtest``), resets one group of 10 members (``loadtest/seed.py``'s
``GROUP_SIZE``) to one check-in each and the notifications those made, and
times each class of ``loadtest/seed.py``'s mix through Django's test client,
warm, ``--requests`` times (the login a tenth as often: it is one Argon2id
hash). The check-in write is measured as the loadtest sends it: ``POST``
first in a period (the member's check-in is deleted before each, untimed),
then ``PATCH``, each with a new ``Idempotency-Key``. The trees take turns
``--rounds`` times; the lowest figure per tree and class is the one to
compare. The last line weighs each class by its share of the mix.

``--ceiling`` adds, once, ``GET /read`` of ``bench/ceiling.py`` (a bare DRF
view with JWT authentication and one query) through the same test client,
the floor each class is put against. ``--profile CLASS`` instead runs that
class under cProfile in the first tree and prints the top of the profile.

    python bench/mix_cpu.py --trees /tmp/before,. --rounds 3 --ceiling
    python bench/mix_cpu.py --profile feed --requests 2000

Environment (defaults in brackets): ``DATABASE_URL``
[postgres://postgres@127.0.0.1:5432/hucares_cpu, created if missing],
``REDIS_URL`` [redis://127.0.0.1:6379/8].
"""

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trees import ensure_database, enter, environment, group_of, run_child

# The load test's mix (the share of arrivals in per cent), read from the load test itself.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "loadtest"))
from seed import MIX

SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 5}
PASSWORD = "Mix-Cpu-Passw0rd"
GROUP_NAME = "mix-cpu"


class Mix:
    """The group, the measured member's tokens, and one callable per request class."""

    def __init__(self) -> None:
        from django.test import Client

        from accounts.models import User
        from accounts.services import ClientInfo, session_start
        from checkins.models import CheckIn
        from checkins.services import checkin_submit
        from notifications.models import Notification
        from streams.models import StreamEvent

        self.group = group_of(name=GROUP_NAME, size=10, username="mixcpu")
        members = [m.user for m in self.group.memberships.select_related("user").order_by("user__username")]
        CheckIn.objects.filter(group=self.group).delete()
        Notification.objects.filter(user__in=members).delete()
        StreamEvent.objects.filter(user_id__in=[m.pk for m in members]).delete()
        for member in members:
            checkin_submit(user=member, group_id=self.group.pk, **SCORES)
        self.user = User.objects.get(username="mixcpu1")
        self.user.set_password(PASSWORD)
        self.user.save()
        pair = session_start(user=self.user, client=ClientInfo())
        self.access, self.refresh_token = pair.access, pair.refresh
        self.client = Client()
        self.checkin_id = str(CheckIn.objects.get(group=self.group, user=self.user).pk)

    def get(self, path: str) -> Any:
        return self.client.get(path, HTTP_AUTHORIZATION=f"Bearer {self.access}")

    def send(self, method: str, path: str, body: dict[str, Any], **headers: str) -> Any:
        call = getattr(self.client, method)
        return call(path, json.dumps(body), content_type="application/json", **headers)

    def classes(self) -> dict[str, Callable[[], Any]]:
        group = self.group.pk
        return {
            "feed": lambda: self.get(f"/api/v1/checkins/group/{group}"),
            "groups": lambda: self.get("/api/v1/groups"),
            "group": lambda: self.get(f"/api/v1/groups/{group}"),
            "members": lambda: self.get(f"/api/v1/groups/{group}/members"),
            "current": lambda: self.get("/api/v1/checkins/current"),
            "notifications": lambda: self.get("/api/v1/notifications"),
            "history": lambda: self.get("/api/v1/checkins/history"),
            "profile": lambda: self.get("/api/v1/users/profile"),
            "analytics_personal": lambda: self.get("/api/v1/analytics/personal"),
            "analytics_group": lambda: self.get(f"/api/v1/analytics/group/{group}"),
            "checkin_patch": self.patch,
            "refresh": self.refresh,
            "login": lambda: self.send("post", "/api/v1/auth/login", {"email": self.user.email, "password": PASSWORD}),
        }

    def patch(self) -> Any:
        return self.send(
            "patch",
            f"/api/v1/checkins/{self.checkin_id}",
            SCORES,
            HTTP_AUTHORIZATION=f"Bearer {self.access}",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    def post(self) -> Any:
        response = self.send(
            "post",
            "/api/v1/checkins",
            {"groupId": str(self.group.pk), **SCORES},
            HTTP_AUTHORIZATION=f"Bearer {self.access}",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        self.checkin_id = response.json()["data"]["id"]
        return response

    def forget_checkin(self) -> None:
        from checkins.models import CheckIn

        CheckIn.objects.filter(pk=self.checkin_id).delete()

    def refresh(self) -> Any:
        response = self.send("post", "/api/v1/auth/refresh", {"refreshToken": self.refresh_token})
        data = response.json()["data"]
        self.access, self.refresh_token = data["accessToken"], data["refreshToken"]
        return response


def check(name: str, response: Any) -> None:
    if response.status_code not in (200, 201):
        sys.exit(f"{name} answered {response.status_code}: {response.content[:300]!r}")


def timed(call: Callable[[], Any], count: int, name: str) -> float:
    """ms of CPU per call of ``call``, after a few warm-ups."""
    for _ in range(5):
        check(name, call())
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1000


def timed_post(mix: Mix, count: int) -> float:
    """ms of CPU per first check-in of a period; the deletion before each is not counted."""
    spent = 0.0
    for index in range(count + 3):
        mix.forget_checkin()
        started = time.process_time()
        response = mix.post()
        if index >= 3:
            spent += time.process_time() - started
        check("checkin_post", response)
    return spent / count * 1000


def child(tree: str, requests: int) -> None:
    """Runs in the tree's own process: prints one JSON line of ms of CPU per request, by class."""
    enter(tree)
    mix = Mix()
    figures = {}
    for name, call in mix.classes().items():
        figures[name] = timed(call, max(requests // 10, 5) if name == "login" else requests, name)
    figures["checkin_post"] = timed_post(mix, max(requests // 10, 10))
    print(json.dumps(figures))


def profile_child(tree: str, name: str, requests: int) -> None:
    enter(tree)
    mix = Mix()
    call = mix.post if name == "checkin_post" else mix.classes()[name]
    timed(call, 20, name)
    profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL and Redis
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)


def ceiling_child(requests: int) -> None:
    """``GET /read`` of bench/ceiling.py through the test client: prints its ms of CPU per request."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    import ceiling
    from django.test import Client

    client, token = Client(), ceiling.read_token()
    figure = timed(lambda: client.get("/read", HTTP_AUTHORIZATION=f"Bearer {token}"), requests, "ceiling")
    print(json.dumps({"ceiling_read": figure}))


def weighted(figures: dict[str, float]) -> float:
    """ms of CPU per request of the mix: each class by its share; a write is a PATCH but for the first of a period."""
    total = 0.0
    for name, share in MIX.items():
        cost = figures["checkin_patch"] if name == "checkin_write" else figures[name]
        total += share / 100 * cost
    return total


def main(args: argparse.Namespace) -> None:
    if args.child == "ceiling":
        ceiling_child(args.requests)
        return
    if args.child and args.profile:
        profile_child(args.child, args.profile, args.requests)
        return
    if args.child:
        child(args.child, args.requests)
        return
    env = environment("mixcpu")
    ensure_database(env)
    trees = [str(Path(tree).resolve()) for tree in args.trees.split(",")]
    if args.profile:
        command = [sys.executable, __file__, "--child", trees[0], "--profile", args.profile]
        subprocess.run([*command, "--requests", str(args.requests)], env=env, check=True)
        return
    results: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    for round_number in range(1, args.rounds + 1):
        for tree in trees:
            figures = run_child(__file__, tree, env, "--requests", str(args.requests))
            results[tree].append(figures)
            shown = " ".join(f"{name} {value:.2f}" for name, value in figures.items())
            print(f"round {round_number} {tree}: {shown}", flush=True)
    ceiling: dict[str, Any] = {}
    if args.ceiling:
        ceiling = run_child(__file__, "ceiling", env, "--requests", str(args.requests))
    names = list(next(iter(results.values()))[0])
    print(f"\nms of CPU per request, lowest of {args.rounds} rounds")
    print(f"{'class':<20}{'share':>6}" + "".join(f"{Path(tree).name or tree:>14}" for tree in trees))
    lowest = {tree: {name: min(run[name] for run in runs) for name in names} for tree, runs in results.items()}
    for name in names:
        share = MIX.get(name, MIX["checkin_write"] if name.startswith("checkin") else 0)
        print(f"{name:<20}{share:>5}%" + "".join(f"{lowest[tree][name]:>14.2f}" for tree in trees))
    print(f"{'mix, weighted':<26}" + "".join(f"{weighted(lowest[tree]):>14.2f}" for tree in trees))
    if ceiling:
        print(f"{'ceiling GET /read':<26}{ceiling['ceiling_read']:>14.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", default=".", help="comma-separated source trees, e.g. /tmp/old,.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--ceiling", action="store_true", help="also measure bench/ceiling.py's GET /read")
    parser.add_argument("--profile", metavar="CLASS", help="profile one class in the first tree instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    main(parser.parse_args())
