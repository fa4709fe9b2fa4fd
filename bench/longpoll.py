"""Hold ``--clients`` long-polls of ``GET /api/v1/events`` open against a running server.

Registers ``--users`` users through the API and spreads the clients over
them; each client keeps one keep-alive connection, polls with ``since`` and
``wait=25`` and polls again the moment an answer comes (as a real client
does), until ``--seconds`` have passed. Requests are written on plain asyncio
streams: an HTTP client library's pool cost more CPU per request than the
server's answer at this many connections, and this client shares the cores.
Prints ``READY`` once every client is waiting (for a runner that starts
another benchmark then), and at the end how many polls were answered and how
many failed.

    python bench/longpoll.py --base-url http://127.0.0.1:8800 --clients 1000 --seconds 120

``bench/sync_longpoll.sh`` runs it beside ``bench/api.py``.
"""

import argparse
import asyncio
import json
import secrets
import sys
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx

PASSWORD = "Bench-Mark-2024"


def register(base_url: str, run: str, index: int) -> str:
    body = {"username": f"lp{run}_{index}", "email": f"lp_{run}_{index}@example.com", "password": PASSWORD}
    response = httpx.post(f"{base_url}/api/v1/auth/register", json=body, timeout=60)
    if response.status_code != 201:
        sys.exit(f"register failed: {response.status_code} {response.text[:200]}")
    token: str = response.json()["data"]["accessToken"]
    return token


async def get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str, token: str
) -> tuple[int, Any]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, json.loads(body) if body else None


class Tally:
    def __init__(self, clients: int) -> None:
        self.clients, self.waiting = clients, 0
        self.statuses: Counter[int] = Counter()
        self.failed = 0
        self.ready = asyncio.Event()


async def client(url: str, token: str, until: float, tally: Tally) -> None:
    parts = urlsplit(url)
    host = parts.netloc
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        _, first = await get(reader, writer, host, "/api/v1/events", token)
        cursor = first["data"]["cursor"]
        tally.waiting += 1
        if tally.waiting == tally.clients:
            tally.ready.set()
        while time.monotonic() < until:
            status, body = await get(reader, writer, host, f"/api/v1/events?since={cursor}&wait=25", token)
            tally.statuses[status] += 1
            if status == 200:
                cursor = body["data"]["cursor"]
    except (OSError, asyncio.IncompleteReadError, ValueError):
        tally.failed += 1
    finally:
        writer.close()


async def run(base_url: str, clients: int, users: int, seconds: float) -> None:
    run_id = secrets.token_hex(3)
    tokens = [register(base_url, run_id, index) for index in range(users)]
    tally = Tally(clients)
    until = time.monotonic() + seconds
    started = time.monotonic()
    tasks = [asyncio.ensure_future(client(base_url, tokens[i % users], until, tally)) for i in range(clients)]
    waiting = asyncio.ensure_future(tally.ready.wait())
    await asyncio.wait([waiting, asyncio.gather(*tasks)], return_when=asyncio.FIRST_COMPLETED)
    print(f"READY {tally.waiting} long-polls waiting after {time.monotonic() - started:.1f} s", flush=True)
    await asyncio.gather(*tasks)
    print(f"long-polls: {clients} clients, answers by status {dict(tally.statuses)}, {tally.failed} failed")


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
