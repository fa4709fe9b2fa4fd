"""WebSocket fan-out benchmark: many sockets in groups, check-ins over HTTP, time to every member.

Sets up its own users and groups through the REST API, opens ``--sockets``
sockets (one user each) in groups of ``--group-size``, then submits
``--events`` check-ins over HTTP one after another and measures, for each,
the HTTP round trip to the 201 and the time from sending the POST to the
``friend-checked-in`` frame at every other member of the group (the event
leaves on commit, so it usually arrives before the client has read the 201).
Reports connect time and propagation p50/p95/p99, lost deliveries (a member
that did not receive the frame within ``--timeout``), and the resident
memory of each ``--ws-pids`` process (the daphne servers) before and after
connecting.

The target must let one client register and join many times in a short
while: run it with ``RATELIMIT_ENABLE=false`` (or high ``RATELIMIT_*``
limits). Each user can check in once per group and period, so ``--events``
is at most ``--sockets``.

    python bench/ws_fanout.py --base-url http://127.0.0.1:8000 \\
        --ws-url ws://127.0.0.1:8000/ws/ --sockets 1000 --group-size 20 --events 200 --ws-pids 1234,1235
"""

import argparse
import asyncio
import json
import resource
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from procstat import cpu_seconds
from websockets.typing import Origin

PASSWORD = "Bench-Pass-123"


@dataclass
class Member:
    user_id: str
    token: str
    group_id: str = ""
    ws: Any = None
    received: dict[str, float] = field(default_factory=dict)


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return f"p50={pick(0.50):.1f}ms p95={pick(0.95):.1f}ms p99={pick(0.99):.1f}ms max={ordered[-1] * 1000:.1f}ms"


def rss_kb(pid: int | None) -> int | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 4096:
        print(f"warning: open-file limit is {hard}; 1,000 sockets need more than that")


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(path, json=body, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")
    data: dict[str, Any] = response.json()["data"]
    return data


async def register(client: httpx.AsyncClient, run: str, index: int) -> Member:
    name = f"b{run}_{index}"
    data = await post(
        client, "/auth/register", {"username": name, "email": f"{name}@bench.example", "password": PASSWORD}
    )
    return Member(user_id=data["user"]["id"], token=data["accessToken"])


async def setup(base_url: str, sockets: int, group_size: int, concurrency: int) -> list[list[Member]]:
    run = secrets.token_hex(3)
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url.rstrip("/") + "/api/v1", timeout=30) as client:

        async def limited(coro: Any) -> Any:
            async with limit:
                return await coro

        members = await asyncio.gather(*(limited(register(client, run, i)) for i in range(sockets)))
        groups = [list(members[i : i + group_size]) for i in range(0, sockets, group_size)]

        async def build(index: int, group: list[Member]) -> None:
            admin = group[0]
            created = await post(
                client, "/groups", {"name": f"bench {run} {index}", "maxMembers": max(group_size, 2)}, admin.token
            )
            for member in group:
                member.group_id = created["id"]
            await asyncio.gather(
                *(
                    limited(post(client, "/groups/join", {"accessCode": created["accessCode"]}, m.token))
                    for m in group[1:]
                )
            )

        await asyncio.gather(*(build(i, g) for i, g in enumerate(groups)))
    return groups


async def joins_notified(base_url: str, groups: list[list[Member]], timeout: float = 300.0) -> float:
    """Wait until the setup's notification tasks are done; return how long that took.

    Every join queues a Celery task that notifies the group's other members;
    each admin gets one ``member_joined`` per join of their group. Until all
    of them are there, the worker competes with the sockets for the two cores
    (it took ~half a core through the whole connect phase when the phase
    started at once).
    """
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url.rstrip("/") + "/api/v1", timeout=30) as client:
        while time.monotonic() - started < timeout:
            counts = await asyncio.gather(
                *(
                    client.get("/notifications?limit=1", headers={"Authorization": f"Bearer {group[0].token}"})
                    for group in groups
                )
            )
            if all(r.json()["meta"]["unreadCount"] >= len(g) - 1 for r, g in zip(counts, groups, strict=True)):
                break
            await asyncio.sleep(0.5)
    return time.monotonic() - started


async def reader(member: Member) -> None:
    try:
        async for raw in member.ws:
            frame = json.loads(raw)
            if frame["event"] == "friend-checked-in":
                member.received[frame["data"]["checkInId"]] = time.perf_counter()
    except websockets.ConnectionClosed:
        pass


async def heartbeats(members: list[Member]) -> None:
    # Sockets without a heartbeat are closed after the presence TTL (60 s).
    while True:
        await asyncio.sleep(20)
        await asyncio.gather(
            *(m.ws.send('{"event":"heartbeat","data":{}}') for m in members if m.ws is not None), return_exceptions=True
        )


async def connect_all(ws_url: str, members: list[Member], concurrency: int) -> list[float]:
    limit = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def connect(member: Member) -> None:
        async with limit:
            started = time.perf_counter()
            member.ws = await websockets.connect(
                f"{ws_url}?token={member.token}", origin=Origin("http://localhost"), open_timeout=30, max_queue=None
            )
            while json.loads(await member.ws.recv())["event"] != "connected":
                pass
            times.append(time.perf_counter() - started)
        asyncio.create_task(reader(member))  # noqa: RUF006 - lives as long as the socket

    await asyncio.gather(*(connect(m) for m in members))
    return times


async def fire(base_url: str, groups: list[list[Member]], events: int, timeout: float, gap: float) -> None:
    """Propagation is measured from the moment the POST is sent: the event leaves on commit,
    before the response, so a member usually has it before the client reads the 201."""
    latencies, per_event, after_201, round_trips, lost = [], [], [], [], 0
    async with httpx.AsyncClient(base_url=base_url.rstrip("/") + "/api/v1", timeout=30) as client:
        for index in range(events):
            group = groups[index % len(groups)]
            author = group[(index // len(groups)) % len(group)]
            body = {"groupId": author.group_id, "productive": 7, "satisfied": 6, "body": 5, "care": 4}
            sent_at = time.perf_counter()
            check_in = await post(client, "/checkins", body, author.token)
            round_trips.append(time.perf_counter() - sent_at)
            others = [m for m in group if m is not author]
            deadline = sent_at + timeout
            while time.perf_counter() < deadline and any(check_in["id"] not in m.received for m in others):
                await asyncio.sleep(0.005)
            arrivals = [m.received[check_in["id"]] - sent_at for m in others if check_in["id"] in m.received]
            lost += len(others) - len(arrivals)
            latencies += arrivals
            if len(arrivals) == len(others):
                per_event.append(max(arrivals))
                # The contract's measure: from the 201 to the last member (0 when all had it first).
                after_201.append(max(0.0, max(arrivals) - round_trips[-1]))
            await asyncio.sleep(gap)
    print(f"HTTP check-in to 201     : {percentiles(round_trips)}")
    print(f"POST to each member      : {percentiles(latencies)}")
    print(f"POST to whole group      : {percentiles(per_event)}")
    print(f"201 to whole group       : {percentiles(after_201)}")
    print(f"lost deliveries          : {lost} of {len(latencies) + lost} ({events} events)")


async def main(args: argparse.Namespace) -> None:
    raise_fd_limit()
    started = time.perf_counter()
    groups = await setup(args.base_url, args.sockets, args.group_size, args.setup_concurrency)
    members = [m for g in groups for m in g]
    print(f"setup: {len(members)} users in {len(groups)} groups in {time.perf_counter() - started:.1f}s")
    waited = await joins_notified(args.base_url, groups)
    print(f"setup's join notifications all written {waited:.1f}s later")
    pids = [int(pid) for pid in args.ws_pids.split(",") if pid]
    before = {pid: rss_kb(pid) for pid in pids}
    cpu_before = {pid: cpu_seconds(pid) for pid in pids}
    client_before, wall_before = own_cpu_seconds(), time.perf_counter()
    connect_times = await connect_all(args.ws_url, members, args.concurrency)
    print(f"connect ({len(connect_times)} sockets): {percentiles(connect_times)}")
    await asyncio.sleep(1)  # let presence announcements settle
    # Where the cores went while the sockets connected (and their user-online frames were delivered).
    servers = sum(cpu_seconds(pid) - cpu_before[pid] for pid in pids)
    print(
        f"connect phase: {time.perf_counter() - wall_before:.1f}s wall; CPU: ws processes {servers:.1f}s "
        f"({servers / len(members) * 1000:.1f}ms per socket), this client {own_cpu_seconds() - client_before:.1f}s"
    )
    for pid in pids:
        start, end = before[pid], rss_kb(pid)
        if start is not None and end is not None:
            print(f"ws process {pid} RSS: {start / 1024:.1f} MiB -> {end / 1024:.1f} MiB")
    beating = asyncio.create_task(heartbeats(members))
    await fire(args.base_url, groups, min(args.events, len(members)), args.timeout, args.gap)
    beating.cancel()
    await asyncio.gather(*(m.ws.close() for m in members), return_exceptions=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--ws-url", default="ws://127.0.0.1:8000/ws/")
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--group-size", type=int, default=20)
    parser.add_argument("--events", type=int, default=100, help="check-ins to submit (one after another)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a delivery counts as lost")
    parser.add_argument("--gap", type=float, default=0.05, help="pause between check-ins, seconds")
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight")
    parser.add_argument("--setup-concurrency", type=int, default=10, help="parallel registrations and joins")
    parser.add_argument("--ws-pids", default="", help="comma-separated pids of the WebSocket servers, for their RSS")
    asyncio.run(main(parser.parse_args()))
