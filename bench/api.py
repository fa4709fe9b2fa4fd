"""Latency and throughput of check-in submission and group reads on a running HuCares server.

Sets up ``--clients`` users through the API and ``--groups`` groups that all of
them join (so every check-in fans out to ``clients - 1`` members), then drives
the load with ``wrk`` (Debian package ``wrk``), one connection and one
user per wrk thread, all at once:

- ``POST /checkins``: each client checks in to each group once (no deletes in
  the measured window, so nothing but submissions is timed);
- ``GET /checkins/group/:id`` and ``GET /groups/:id`` (cached group reads);
- with ``--ceiling-url``, ``POST /insert`` of ``bench/ceiling.py``: a minimal DRF
  view inserting one row, served by the same layout, as the ceiling.

wrk is C, so the client's own CPU on the shared cores stays small. For each
phase it prints p50/p95/p99 latency in ms and requests per second. Run the
server with ``RATELIMIT_ENABLE=false``, or the limits answer 429 first.

    python bench/api.py --base-url http://127.0.0.1:8000 --clients 32 --groups 20
"""

import argparse
import asyncio
import json
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PASSWORD = "Bench-Mark-2024"
SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}

# Shared by every phase: wrk gives each thread (one connection) its own user.
LUA_COMMON = """
local tokens = {}
for token in os.getenv("BENCH_TOKENS"):gmatch("[^,]+") do tokens[#tokens + 1] = token end
local groups = {}
for group in os.getenv("BENCH_GROUPS"):gmatch("[^,]+") do groups[#groups + 1] = group end
local assigned = 0
function setup(thread)
  assigned = assigned + 1
  thread:set("token", tokens[assigned])
end
function init(args)
  mine, sent = groups, 0
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f %.2f\\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / seconds))
end
"""

# Each thread checks in to every group once, then stops. The group advances on
# a response, not on a request, so a request that wrk re-sends after a
# reconnect goes to the same group.
LUA_SUBMIT = """
function request()
  local body = string.format('{"groupId":"%s",' .. os.getenv("BENCH_SCORES") .. '}', mine[sent + 1])
  return wrk.format("POST", "/api/v1/checkins", headers, body)
end
function response(status, headers, body)
  sent = sent + 1
  if sent >= #mine then
    io.write("THREAD-DONE\\n")
    io.flush()
    wrk.thread:stop()
  end
end
"""

LUA_GET = """
function request()
  sent = sent + 1
  return wrk.format("GET", (os.getenv("BENCH_PATH"):gsub("GROUP", mine[(sent % #mine) + 1])), headers)
end
"""

LUA_CEILING = """
function request()
  sent = sent + 1
  return wrk.format("POST", "/insert", {["Content-Type"] = "application/json"}, '{"value": ' .. sent .. '}')
end
"""


async def register(http: httpx.AsyncClient, run: str, index: int) -> str:
    body = {"username": f"a{run}_{index}", "email": f"api_{run}_{index}@example.com", "password": PASSWORD}
    response = await http.post("/api/v1/auth/register", json=body)
    if response.status_code != 201:
        sys.exit(f"register failed: {response.status_code} {response.text[:200]}")
    token: str = response.json()["data"]["accessToken"]
    return token


async def set_up(base_url: str, clients: int, groups: int) -> tuple[list[str], list[str]]:
    """``clients`` users, and ``groups`` groups created by the first that all the others join."""
    run = secrets.token_hex(3)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        tokens = [await register(http, run, index) for index in range(clients)]
        group_ids = []
        for number in range(groups):
            response = await http.post(
                "/api/v1/groups",
                json={"name": f"Bench {run} {number}", "maxMembers": 100},
                headers={"Authorization": f"Bearer {tokens[0]}"},
            )
            if response.status_code != 201:
                sys.exit(f"group create failed: {response.status_code} {response.text[:200]}")
            group = response.json()["data"]
            group_ids.append(group["id"])
            joins = [
                http.post(
                    "/api/v1/groups/join",
                    json={"accessCode": group["accessCode"]},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for token in tokens[1:]
            ]
            for joined in await asyncio.gather(*joins):
                if joined.status_code != 200:
                    sys.exit(f"join failed: {joined.status_code} {joined.text[:200]}")
    return tokens, group_ids


def run_wrk(name: str, url: str, script: str, env: dict[str, str], clients: int, seconds: int) -> None:
    """One wrk run; threads that print THREAD-DONE have finished, and wrk stops early once all have (SIGINT)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA_COMMON + script)
    command = ["wrk", f"-t{clients}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name, url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as wrk:
        assert wrk.stdout is not None
        lines, finished = [], 0
        for line in wrk.stdout:
            lines.append(line)
            finished += line.strip() == "THREAD-DONE"
            if finished == clients:
                wrk.send_signal(signal.SIGINT)
                finished = -1
    Path(lua.name).unlink()
    out = "".join(lines)
    found = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)$", out, re.MULTILINE)
    if found is None:
        sys.exit(f"{name}: no result from wrk:\n{out}")
    requests, errors, p50, p95, p99, rate = found.groups()
    print(
        f"{name:<28} n={requests:<6} errors={errors:<4} "
        f"p50={float(p50):7.1f}  p95={float(p95):7.1f}  p99={float(p99):7.1f} ms  {float(rate):8.1f} req/s"
    )


async def unread_count(http: httpx.AsyncClient, token: str) -> int:
    response = await http.get("/api/v1/notifications?limit=1", headers={"Authorization": f"Bearer {token}"})
    count: int = response.json()["meta"]["unreadCount"]
    return count


async def settled_count(base_url: str, token: str, at_least: int = 0, quiet: float = 2.0) -> int:
    """The user's unread count once it reached ``at_least`` and stopped moving for ``quiet`` seconds.

    Gives up waiting for ``at_least`` after 10 s without any change.
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        last, changed = -1, time.monotonic()
        while True:
            count = await unread_count(http, token)
            if count != last:
                last, changed = count, time.monotonic()
            still = time.monotonic() - changed
            if (count >= at_least and still >= quiet) or still > 10:
                return count
            await asyncio.sleep(0.1)


def main(args: argparse.Namespace) -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    tokens, group_ids = asyncio.run(set_up(args.base_url, args.clients, args.groups))
    env = {
        "PATH": "/usr/bin:/bin",
        "BENCH_TOKENS": ",".join(tokens),
        "BENCH_GROUPS": ",".join(group_ids),
        "BENCH_SCORES": json.dumps(SCORES)[1:-1],
    }
    print(
        f"{args.clients} concurrent clients (wrk, one connection each), {args.groups} groups of "
        f"{args.clients} members (each check-in fans out to {args.clients - 1}), {args.seconds}s per read phase"
    )
    # A submission phase ends when every client has checked in to every group.
    # Each submission writes its notifications in its own transaction; the
    # setup's joins queued notification tasks before. The read phases start once
    # every notification is there, so they measure reads alone, and the time
    # until then is printed.
    before = asyncio.run(settled_count(args.base_url, tokens[-1]))
    expected = (args.clients - 1) * args.groups
    started = time.monotonic()
    run_wrk("POST /checkins", args.base_url, LUA_SUBMIT, env, args.clients, 600)
    after = asyncio.run(settled_count(args.base_url, tokens[-1], at_least=before + expected, quiet=0))
    name, elapsed = "notification fan-out", time.monotonic() - started
    print(f"{name:<28} {after - before} of {expected} for one member, all done {elapsed:.1f}s after the first POST")
    for name, path in [
        ("GET /checkins/group/:id", "/api/v1/checkins/group/GROUP"),
        ("GET /groups/:id", "/api/v1/groups/GROUP"),
    ]:
        run_wrk(name, args.base_url, LUA_GET, {**env, "BENCH_PATH": path}, args.clients, args.seconds)
    if args.ceiling_url:
        run_wrk("ceiling: POST /insert", args.ceiling_url, LUA_CEILING, env, args.clients, args.seconds)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--groups", type=int, default=20, help="check-ins per client in the submission phase")
    parser.add_argument("--seconds", type=int, default=10, help="length of each read phase")
    parser.add_argument("--ceiling-url", help="base URL of bench/ceiling.py served by the same layout")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
