"""Hold ``--clients`` long-polls of ``GET /api/v1/events`` open against a running server.

Registers ``--users`` users through the API and spreads the clients over
them; each client polls with ``since`` and ``wait=25`` and polls again the
moment an answer comes (as a real client does), until ``--seconds`` have
passed. Prints ``READY`` once every client is waiting (for a runner that
starts another benchmark then), and at the end how many polls were answered,
how many failed, and the longest time a poll took to be accepted.

    python bench/longpoll.py --base-url http://127.0.0.1:8800 --clients 1000 --seconds 120

``bench/sync_longpoll.sh`` runs it beside ``bench/api.py``.
"""

import argparse
import asyncio
import secrets
import sys
import time

import httpx

PASSWORD = "Bench-Mark-2024"


async def register(http: httpx.AsyncClient, run: str, index: int) -> str:
    body = {"username": f"lp{run}_{index}", "email": f"lp_{run}_{index}@example.com", "password": PASSWORD}
    response = await http.post("/api/v1/auth/register", json=body)
    if response.status_code != 201:
        sys.exit(f"register failed: {response.status_code} {response.text[:200]}")
    token: str = response.json()["data"]["accessToken"]
    return token


class Tally:
    def __init__(self) -> None:
        self.answered = self.failed = self.waiting = 0
        self.statuses: dict[int, int] = {}


async def client(http: httpx.AsyncClient, token: str, until: float, tally: Tally, ready: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    first = await http.get("/api/v1/events", headers=headers)
    cursor = first.json()["data"]["cursor"]
    counted = False
    while time.monotonic() < until:
        if not counted:
            tally.waiting += 1
            counted = True
            if tally.waiting == tally_target[0]:
                ready.set()
        try:
            response = await http.get("/api/v1/events", params={"since": cursor, "wait": 25}, headers=headers)
        except httpx.HTTPError:
            tally.failed += 1
            continue
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            tally.answered += 1
            cursor = response.json()["data"]["cursor"]
        else:
            tally.failed += 1


tally_target = [0]


async def run(base_url: str, clients: int, users: int, seconds: float) -> None:
    run_id = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        tokens = [await register(http, run_id, index) for index in range(users)]
        tally, ready = Tally(), asyncio.Event()
        tally_target[0] = clients
        until = time.monotonic() + seconds
        started = time.monotonic()
        tasks = [asyncio.ensure_future(client(http, tokens[i % users], until, tally, ready)) for i in range(clients)]
        await ready.wait()
        print(f"READY {clients} long-polls waiting after {time.monotonic() - started:.1f} s", flush=True)
        await asyncio.gather(*tasks)
    print(f"long-polls: {clients} clients, {tally.answered} answered, {tally.failed} failed, statuses {tally.statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    asyncio.run(run(args.base_url, args.clients, args.users, args.seconds))


if __name__ == "__main__":
    main()
