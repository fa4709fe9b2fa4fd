"""Compare serving layouts on this machine: one daphne process (``make run``)
against nginx -> gunicorn sync workers (``make serve``'s HTTP side).

Starts each layout on a free port against the given database and Redis, runs
``wrk`` (Debian package ``wrk``) on a few paths and prints requests/s and
latency percentiles. Example::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hucares_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/serving.py
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("SERVER_VENV", ROOT / ".venv")) / "bin"
PATHS = ["/api/v1/health/live", "/api/v1/health"]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, connections: int, seconds: int) -> dict[str, str]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    pct = dict(re.findall(r"\s+(50|90|99)%\s+([\d.]+\w+)", out))
    return {"rps": rps.group(1) if rps else "?", **{f"p{k}": v for k, v in pct.items()}}


def run_layout(name: str, command: list[str], port: int, env: dict[str, str], args: argparse.Namespace) -> None:
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v1/health/live")
        for path in PATHS:
            wrk(f"http://127.0.0.1:{port}{path}", args.connections, 2)  # warm-up
            result = wrk(f"http://127.0.0.1:{port}{path}", args.connections, args.seconds)
            print(
                f"{name:<34} {path:<22} {result['rps']:>9} req/s  p50 {result.get('p50', '?'):>8}  "
                f"p99 {result.get('p99', '?'):>8}"
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    env = {**os.environ, "RATELIMIT_ENABLE": "false", "LOG_LEVEL": "WARNING"}
    subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    print(f"wrk, {args.connections} connections, {args.seconds}s per path, {os.cpu_count()} cores")
    run_layout(
        "daphne, 1 process (make run)",
        [str(BIN / "daphne"), "-v", "0", "-p", "8601", "hucares.asgi:application"],
        8601,
        env,
        args,
    )
    serve_env = {**env, "PORT": "8602", "DJANGO_SETTINGS_MODULE": "hucares.settings.base"}
    run_layout("nginx + gunicorn 4 sync (make serve)", ["scripts/serve.sh"], 8602, serve_env, args)


if __name__ == "__main__":
    main()
