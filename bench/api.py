"""Latency and throughput of check-in submission and group reads on a running HuCares server.

Sets up ``--clients`` users through the API (register, one creates a group,
the others join it), then with all clients concurrently measures:

- ``POST /checkins`` (each submission is followed by a ``DELETE`` of it, so a
  client can submit again in the same period; the deletes are reported too);
- ``GET /checkins/group/:id`` and ``GET /groups/:id`` (cached group reads);
- ``GET /health`` as the ceiling of a minimal view on the same stack.

For each it prints p50/p95/p99 latency in ms and requests per second. Run the
server with ``RATELIMIT_ENABLE=false``, or the per-user and per-IP limits
answer 429 long before the server is busy.

    python bench/api.py --base-url http://127.0.0.1:8000 --clients 32 --requests 50
"""

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

PASSWORD = "Bench-Mark-2024"
SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}


@dataclass
class Client:
    http: httpx.AsyncClient
    token: str
    check_in_ids: list[str] = field(default_factory=list)


@dataclass
class Result:
    samples: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def register(http: httpx.AsyncClient, run: str, index: int) -> str:
    body = {"username": f"a{run}_{index}", "email": f"api_{run}_{index}@example.com", "password": PASSWORD}
    response = await http.post("/api/v1/auth/register", json=body)
    if response.status_code != 201:
        sys.exit(f"register failed: {response.status_code} {response.text[:200]}")
    token: str = response.json()["data"]["accessToken"]
    return token


async def set_up(base_url: str, count: int) -> tuple[list[Client], str]:
    """Register ``count`` users; the first creates a group the others join."""
    run = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    clients = []
    for index in range(count):
        http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30)
        clients.append(Client(http, await register(http, run, index)))
    owner = clients[0]
    response = await owner.http.post(
        "/api/v1/groups", json={"name": f"Bench {run}", "maxMembers": 100}, headers=auth(owner)
    )
    if response.status_code != 201:
        sys.exit(f"group create failed: {response.status_code} {response.text[:200]}")
    group = response.json()["data"]
    for client in clients[1:]:
        joined = await client.http.post(
            "/api/v1/groups/join", json={"accessCode": group["accessCode"]}, headers=auth(client)
        )
        if joined.status_code != 200:
            sys.exit(f"join failed: {joined.status_code} {joined.text[:200]}")
    return clients, group["id"]


def auth(client: Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


Call = Callable[[Client], Awaitable[bool]]


async def run_phase(clients: list[Client], per_client: int, call: Call) -> Result:
    """Every client makes ``per_client`` calls back to back, all clients at once."""
    result = Result()

    async def worker(client: Client) -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            ok = await call(client)
            result.samples.append((time.perf_counter() - started) * 1000)
            result.errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker(client) for client in clients))
    result.elapsed = time.perf_counter() - started
    return result


def report(name: str, result: Result) -> None:
    samples = result.samples
    rate = len(samples) / result.elapsed if result.elapsed else 0.0
    print(
        f"{name:<28} n={len(samples):<6} errors={result.errors:<4} "
        f"p50={percentile(samples, 0.50):7.1f}  p95={percentile(samples, 0.95):7.1f}  "
        f"p99={percentile(samples, 0.99):7.1f} ms  mean={statistics.fmean(samples):7.1f}  {rate:8.1f} req/s"
    )


def submit_call(group_id: str) -> Call:
    async def call(client: Client) -> bool:
        response = await client.http.post(
            "/api/v1/checkins", json={"groupId": group_id, **SCORES}, headers=auth(client)
        )
        if response.status_code == 201:
            client.check_in_ids.append(response.json()["data"]["id"])
        return response.status_code == 201

    return call


async def delete_call(client: Client) -> bool:
    check_in_id = client.check_in_ids.pop()
    response = await client.http.delete(f"/api/v1/checkins/{check_in_id}", headers=auth(client))
    return response.status_code == 204


def get_call(path: str, expected: int = 200) -> Call:
    async def call(client: Client) -> bool:
        response = await client.http.get(path, headers=auth(client))
        return response.status_code == expected

    return call


async def submit_and_delete(clients: list[Client], group_id: str, rounds: int) -> tuple[Result, Result]:
    """Alternate one submission phase and one delete phase, so each client always has a free period."""
    submits, deletes = Result(), Result()
    for _ in range(rounds):
        done = await run_phase(clients, 1, submit_call(group_id))
        submits.samples += done.samples
        submits.errors += done.errors
        submits.elapsed += done.elapsed
        with_check_in = [client for client in clients if client.check_in_ids]
        done = await run_phase(with_check_in, 1, delete_call)
        deletes.samples += done.samples
        deletes.errors += done.errors
        deletes.elapsed += done.elapsed
    return submits, deletes


async def main(args: argparse.Namespace) -> None:
    clients, group_id = await set_up(args.base_url, args.clients)
    print(f"{args.clients} concurrent clients, {args.requests} requests each per read phase")
    try:
        await run_phase(clients, 2, get_call("/api/v1/health"))  # warm connections
        submits, deletes = await submit_and_delete(clients, group_id, args.requests)
        report("POST /checkins", submits)
        report("DELETE /checkins/:id", deletes)
        await run_phase(clients, 1, submit_call(group_id))  # a full period to read
        report(
            "GET /checkins/group/:id",
            await run_phase(clients, args.requests, get_call(f"/api/v1/checkins/group/{group_id}")),
        )
        report("GET /groups/:id", await run_phase(clients, args.requests, get_call(f"/api/v1/groups/{group_id}")))
        report("GET /health", await run_phase(clients, args.requests, get_call("/api/v1/health")))
    finally:
        await asyncio.gather(*(client.http.aclose() for client in clients))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=50, help="requests per client in each phase")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
