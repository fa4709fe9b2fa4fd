"""Login latency and throughput of a running HuCares server.

Registers ``--users`` accounts, then signs them in over and over with 1, 8
and 32 concurrent clients and prints p50/p95/p99 latency and logins per
second for each level. Run it against a server with the auth rate limit off
(``RATELIMIT_ENABLE=false``), or the failed-attempt and API limits will
answer 429 long before the hashing cost shows.

    python bench/auth.py --base-url http://127.0.0.1:8000 --users 32 --logins 200
"""

import argparse
import asyncio
import secrets
import statistics
import sys
import time

import httpx

PASSWORD = "Bench-Mark-2024"
LEVELS = (1, 8, 32)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def register_users(client: httpx.AsyncClient, count: int) -> list[str]:
    run = secrets.token_hex(3)
    emails = [f"bench_{run}_{index}@example.com" for index in range(count)]
    for index, email in enumerate(emails):
        body = {"username": f"b{run}_{index}", "email": email, "password": PASSWORD}
        response = await client.post("/api/v1/auth/register", json=body)
        if response.status_code != 201:
            sys.exit(f"register failed: {response.status_code} {response.text[:200]}")
    return emails


async def login_worker(client: httpx.AsyncClient, emails: list[str], quota: int, samples: list[float]) -> int:
    failures = 0
    for attempt in range(quota):
        email = emails[attempt % len(emails)]
        started = time.perf_counter()
        response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        samples.append(time.perf_counter() - started)
        failures += response.status_code != 200
    return failures


async def measure(base_url: str, emails: list[str], concurrency: int, logins: int) -> dict[str, float]:
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        quota = max(1, logins // concurrency)
        started = time.perf_counter()
        failures = await asyncio.gather(*(login_worker(client, emails, quota, samples) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "requests": len(samples),
        "failures": sum(failures),
        "p50": percentile(samples, 0.50) * 1000,
        "p95": percentile(samples, 0.95) * 1000,
        "p99": percentile(samples, 0.99) * 1000,
        "mean": statistics.fmean(samples) * 1000,
        "per_second": len(samples) / elapsed,
    }


def print_table(rows: list[dict[str, float]]) -> None:
    print(f"{'clients':>8} {'logins':>7} {'fail':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'logins/s':>9}")
    for row in rows:
        print(
            f"{row['concurrency']:>8.0f} {row['requests']:>7.0f} {row['failures']:>5.0f} {row['p50']:>8.1f}"
            f" {row['p95']:>8.1f} {row['p99']:>8.1f} {row['per_second']:>9.1f}"
        )
    best = max(rows, key=lambda row: row["per_second"])
    print(f"max throughput: {best['per_second']:.1f} logins/s at {best['concurrency']:.0f} concurrent clients")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=32, help="accounts to register first")
    parser.add_argument("--logins", type=int, default=320, help="logins per concurrency level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS), help="concurrency levels")
    args = parser.parse_args()

    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as client:
        emails = await register_users(client, args.users)
        # One warm-up login per user: connection pools, caches and imports settle first.
        await login_worker(client, emails, len(emails), [])
    rows = [await measure(args.base_url, emails, level, args.logins) for level in args.levels]
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
