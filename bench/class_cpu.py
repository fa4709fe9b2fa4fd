"""CPU of the HTTP servers per request of each class of the load test's mix, on the production layout,
against the floor of a bare DRF view with JWT and one query on the same layout.

``bench/run_all.sh classes`` starts ``make serve`` (nginx in front of gunicorn's
sync workers) and, beside it, ``bench/ceiling.py``'s minimal views on the same
layout. For each class of ``loadtest/seed.py``'s mix this runs the load
generator with that class alone (``--only``) at ``--rate`` for ``--duration``
seconds, with ``--users`` users and their sockets as in the load test, and
reads the CPU of the app's gunicorn processes from ``/proc`` over the run
(``--server-pids``). Then it sends ``GET /read`` to the ceiling at the same
rate and reads its gunicorn's CPU the same way. It prints the milliseconds of
CPU per request of each class and their multiple of the floor; the last line
weighs the classes by their share of the mix::

    bench/run_all.sh classes
    python bench/class_cpu.py --base-url http://127.0.0.1:8800 --web-pids 11,12 \\
        --ceiling-url http://127.0.0.1:8850 --ceiling-pids 21,22
"""

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from procstat import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "loadtest"))
from seed import MIX  # noqa: E402 - the mix's classes, from the load test itself


def class_cpu(args: argparse.Namespace, kind: str) -> dict[str, float]:
    """Run the load generator with ``kind`` alone; its requests and the servers' CPU per request."""
    with tempfile.TemporaryDirectory() as out:
        report_path = Path(out) / "report.json"
        command = [sys.executable, str(ROOT / "loadtest" / "seed.py"), "--target", args.base_url]
        command += ["--only", kind, "--rate", str(args.rate), "--duration", str(args.duration)]
        command += ["--users", str(args.users), "--server-pids", args.web_pids, "--seed", "1", "--grace", "1"]
        command += ["--out", str(report_path)]
        # The generator exits 1 when a target is missed (logins at this rate queue for Argon2id); the CPU
        # is measured all the same.
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report = json.loads(report_path.read_text())
    answered = report["classes"][kind]
    return {
        "requests": answered["requests"],
        "p50": answered["p50"],
        "cpu_ms": report["server"]["cpu_ms_per_request"],
    }


async def ceiling_cpu(args: argparse.Namespace, token: str) -> dict[str, float]:
    """``GET /read`` of the ceiling at ``--rate`` for ``--duration`` s; its gunicorn's CPU per request."""
    headers = {"Authorization": f"Bearer {token}"}
    pids = [int(pid) for pid in args.ceiling_pids.split(",") if pid]
    answered = 0
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one() -> None:
            nonlocal answered
            async with session.get(f"{args.ceiling_url}/read") as response:
                await response.read()
                answered += response.status == 200

        await one()  # warm: the first request opens the pool's connection
        answered = 0
        before = sum(cpu_seconds(pid) for pid in pids)
        tasks = []
        start = time.perf_counter()
        for index in range(int(args.rate * args.duration)):
            await asyncio.sleep(max(0.0, start + index / args.rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        cpu = sum(cpu_seconds(pid) for pid in pids) - before
    return {"requests": answered, "cpu_ms": round(cpu * 1000 / max(answered, 1), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--web-pids", required=True, help="the app's gunicorn processes, comma-separated")
    parser.add_argument("--ceiling-url", required=True)
    parser.add_argument("--ceiling-pids", required=True, help="the ceiling's gunicorn processes, comma-separated")
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args()

    import ceiling  # configures a Django of its own: the token is signed with the servers' key

    floor = asyncio.run(ceiling_cpu(args, ceiling.read_token()))
    print(f"floor: GET /read of bench/ceiling.py, {floor['requests']} requests, {floor['cpu_ms']} ms of CPU each")
    print(f"{'class':<20}{'requests':>9}{'p50 ms':>8}{'CPU ms':>8}{'x floor':>9}{'share':>7}")
    weighted = 0.0
    for kind, share in MIX.items():
        figures = class_cpu(args, kind)
        weighted += figures["cpu_ms"] * share / 100
        multiple = figures["cpu_ms"] / max(floor["cpu_ms"], 1e-9)
        print(
            f"{kind:<20}{figures['requests']:>9}{figures['p50']:>8}{figures['cpu_ms']:>8}{multiple:>9.1f}{share:>6.0f}%",
            flush=True,
        )
    print(f"{'the mix':<20}{'':>9}{'':>8}{weighted:>8.2f}{weighted / max(floor['cpu_ms'], 1e-9):>9.1f}")


if __name__ == "__main__":
    main()
