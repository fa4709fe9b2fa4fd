"""Latency of the analytics endpoints, cold and warm cache.

Seeds two years of weekly check-ins for a 20-member group through
``manage.py seed_analytics_bench`` (run here with this process's environment,
so point DATABASE_URL/REDIS_URL at the same services as the server), logs
every member in over HTTP, then measures p50/p95 per endpoint:

- cold: each request is the first for its cache key (a distinct member and
  ``weeks`` value), so the database does the work;
- warm: the same request repeated after one priming call.

Example, against a daphne started on port 8704::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hucares_d_bench \\
    REDIS_URL=redis://127.0.0.1:6379/5 \\
    .venv/bin/python bench/analytics.py --base-url http://127.0.0.1:8704

Standard library only. ``--credentials FILE`` reuses a saved seed report
instead of seeding (cold figures are then only cold for keys never read).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLD_WEEKS = (13, 14, 15)
WARM_WEEKS = 12


def request(base: str, path: str, token: str | None = None, body: dict[str, Any] | None = None) -> tuple[float, Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    req = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{path}: HTTP {exc.code} {exc.read()[:300]!r}") from None
    return (time.perf_counter() - started) * 1000, payload


def seed(args: argparse.Namespace) -> dict[str, Any]:
    if args.credentials:
        return json.loads(Path(args.credentials).read_text())
    command = [sys.executable, "manage.py", "seed_analytics_bench", "--members", str(args.members)]
    started = time.perf_counter()
    out = subprocess.run(command, cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    seconds = time.perf_counter() - started
    print(f"seeded {report['checkIns']} check-ins for {len(report['emails'])} members in {seconds:.1f}s")
    return report


def login(base: str, email: str, password: str) -> str:
    _, payload = request(base, "/api/v1/auth/login", body={"email": email, "password": password})
    return str(payload["data"]["accessToken"])


def paths(group_id: str, weeks: int) -> dict[str, str]:
    return {
        "personal": f"/api/v1/analytics/personal?weeks={weeks}",
        "group": f"/api/v1/analytics/group/{group_id}?weeks={weeks}",
        "comparison": f"/api/v1/analytics/comparison?groupId={group_id}&weeks={weeks}",
        "insights": "/api/v1/analytics/insights",
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), cuts[18]


def measure(base: str, tokens: list[str], group_id: str, warm_repeats: int) -> dict[tuple[str, str], list[float]]:
    results: dict[tuple[str, str], list[float]] = {}
    # Insights first: it fills the weeks=12 personal and group keys it reads.
    for token in tokens:
        results.setdefault(("insights", "cold"), []).append(
            request(base, paths(group_id, WARM_WEEKS)["insights"], token)[0]
        )
    for weeks in COLD_WEEKS:
        for token in tokens:
            for name, path in paths(group_id, weeks).items():
                if name != "insights":
                    results.setdefault((name, "cold"), []).append(request(base, path, token)[0])
    for name, path in paths(group_id, WARM_WEEKS).items():
        for token in tokens:
            request(base, path, token)  # prime
        for index in range(warm_repeats):
            results.setdefault((name, "warm"), []).append(request(base, path, tokens[index % len(tokens)])[0])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--warm-repeats", type=int, default=100)
    parser.add_argument("--credentials", help="a saved seed report (JSON) instead of seeding")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    report = seed(args)
    tokens = [login(base, email, report["password"]) for email in report["emails"]]
    results = measure(base, tokens, report["groupId"], args.warm_repeats)
    print(f"{'endpoint':<12} {'cache':<5} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    for (name, mode), samples in sorted(results.items()):
        p50, p95 = percentiles(samples)
        print(f"{name:<12} {mode:<5} {len(samples):>4} {p50:>8.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
