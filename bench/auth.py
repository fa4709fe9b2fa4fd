"""Login latency and throughput of a running HuCares server.

Registers ``--users`` accounts, then signs them in over and over with 1, 8
and 32 concurrent clients and prints p50/p95/p99 latency and logins per
second for each level. With ``--ceiling-url``, the same levels against
``POST /verify`` of ``bench/ceiling.py`` (one Argon2id verification with the
app's parameters in a minimal DRF view on the same layout): the floor under
any login. Run it against a server with the auth rate limit off
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


Login = tuple[str, dict[str, str]]


def app_logins(emails: list[str]) -> list[Login]:
    return [("/api/v1/auth/login", {"email": email, "password": PASSWORD}) for email in emails]


CEILING_LOGINS: list[Login] = [("/verify", {"password": PASSWORD})]


async def login_worker(client: httpx.AsyncClient, logins: list[Login], quota: int, samples: list[float]) -> int:
    failures = 0
    for attempt in range(quota):
        path, body = logins[attempt % len(logins)]
        started = time.perf_counter()
        response = await client.post(path, json=body)
        samples.append(time.perf_counter() - started)
        failures += response.status_code != 200
    return failures


async def measure(base_url: str, logins: list[Login], concurrency: int, count: int) -> dict[str, float]:
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        quota = max(1, count // concurrency)
        started = time.perf_counter()
        failures = await asyncio.gather(*(login_worker(client, logins, quota, samples) for _ in range(concurrency)))
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
    print(f"max throughput: {best['per_second']:.1f}/s at {best['concurrency']:.0f} concurrent clients")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=32, help="accounts to register first")
    parser.add_argument("--logins", type=int, default=320, help="logins per concurrency level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS), help="concurrency levels")
    parser.add_argument("--ceiling-url", help="base URL of bench/ceiling.py served by the same layout")
    args = parser.parse_args()

    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as client:
        emails = await register_users(client, args.users)
        # One warm-up login per user: connection pools, caches and imports settle first.
        await login_worker(client, app_logins(emails), len(emails), [])
    rows = [await measure(args.base_url, app_logins(emails), level, args.logins) for level in args.levels]
    print("POST /auth/login")
    print_table(rows)
    if args.ceiling_url:
        await measure(args.ceiling_url, CEILING_LOGINS, 1, 8)  # warm-up
        rows = [await measure(args.ceiling_url, CEILING_LOGINS, level, args.logins) for level in args.levels]
        print("ceiling: POST /verify (one Argon2id verification, minimal DRF view)")
        print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
