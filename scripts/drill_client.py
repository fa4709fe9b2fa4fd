"""The client side of the fault drills (scripts/drill_*.sh), against a
running `make serve` on 127.0.0.1:PORT:

    drill_client.py register PORT NAME    prints an access token
    drill_client.py get PORT PATH [TOKEN] prints "STATUS CONTENT-TYPE BODY"
    drill_client.py ws PORT TOKEN         exits 0 once the socket says "connected"
    drill_client.py load PORT TOKEN STOP OUT
        reads and writes (a group, then a check-in in it) in a loop until the
        file STOP exists; writes to OUT a JSON report: statuses per request
        kind, the ids every 201 answered, and the health status over time
"""

import asyncio
import json
import os
import sys
import time
from collections import Counter

import httpx
import websockets
from websockets.typing import Origin

PASSWORD = "Drill-pass-2024!"  # throwaway accounts on a throwaway stack


def register(port: int, name: str) -> str:
    body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
    response = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/register", json=body, timeout=30)
    response.raise_for_status()
    return str(response.json()["data"]["accessToken"])


def get(port: int, path: str, token: str = "") -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=30)
    return f"{response.status_code} {response.headers.get('content-type', '')} {response.text}"


async def socket(port: int, token: str) -> None:
    url = f"ws://127.0.0.1:{port}/ws/?token={token}"
    async with websockets.connect(url, origin=Origin(f"http://127.0.0.1:{port}")) as ws, asyncio.timeout(15):
        while json.loads(await ws.recv())["event"] != "connected":
            pass


def load(port: int, token: str, stop: str, out: str) -> None:
    """A light, steady client: one request at a time, each kind counted by status."""
    base = f"http://127.0.0.1:{port}/api/v1"
    auth = {"Authorization": f"Bearer {token}"}
    statuses: dict[str, Counter[int]] = {}
    created: dict[str, list[str]] = {"groups": [], "checkins": []}
    health: list[tuple[float, str]] = []

    def call(kind: str, method: str, path: str, body: object = None) -> httpx.Response | None:
        try:
            response = client.request(method, f"{base}{path}", json=body, headers=auth)
        except httpx.TransportError:
            statuses.setdefault(kind, Counter())[0] += 1  # no answer at all counts as a failure too
            return None
        statuses.setdefault(kind, Counter())[response.status_code] += 1
        return response

    with httpx.Client(timeout=10) as client:
        n = 0
        while not os.path.exists(stop):
            n += 1
            call("read groups", "GET", "/groups")
            call("read profile", "GET", "/users/profile")
            call("read current check-ins", "GET", "/checkins/current")
            group = call("create group", "POST", "/groups", {"name": f"Load {n}"})
            if group is not None and group.status_code == 201:
                group_id = group.json()["data"]["id"]
                created["groups"].append(group_id)
                scores = {"groupId": group_id, "productive": 7, "satisfied": 6, "body": 5, "care": 8}
                check_in = call("check in", "POST", "/checkins", scores)
                if check_in is not None and check_in.status_code == 201:
                    created["checkins"].append(check_in.json()["data"]["id"])
                call("read group members", "GET", f"/groups/{group_id}/members")
            answer = call("health", "GET", "/health")
            if answer is not None:
                state = answer.json()["data"]["status"] if answer.status_code == 200 else f"http {answer.status_code}"
                health.append((time.time(), state))
    report = {"statuses": {kind: dict(counts) for kind, counts in statuses.items()}, "created": created}
    with open(out, "w") as file:
        json.dump({**report, "health": health}, file)


def main(command: str, port: str, *args: str) -> None:
    if command == "register":
        print(register(int(port), args[0]))
    elif command == "get":
        print(get(int(port), *args))
    elif command == "ws":
        asyncio.run(socket(int(port), args[0]))
    elif command == "load":
        load(int(port), *args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
