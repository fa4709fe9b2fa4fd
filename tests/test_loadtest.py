"""The load generator of `make loadtest` (loadtest/seed.py) against a real daphne.

A short run with a handful of users proves the whole path the seed-scale run
takes: registration, groups, sockets with subprotocol auth, the mix, live
events matched to the writes that caused them, and the verdict.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_e2e_realtime import ROOT, free_port, server_env, stop_server, wait_until_serving

pytestmark = [pytest.mark.e2e]

sys.path.insert(0, str(ROOT / "loadtest"))
import seed  # noqa: E402


@pytest.fixture
def daphne_process(transactional_db: None) -> Iterator[tuple[int, int]]:
    """A daphne serving the whole app: its port and pid."""
    port = free_port()
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_serving(port, process)
        yield port, process.pid
    finally:
        stop_server(process)


@pytest.fixture
def daphne(daphne_process: tuple[int, int]) -> int:
    return daphne_process[0]


def test_a_short_run_serves_every_request_and_delivers_every_live_event(daphne: int, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    command = [sys.executable, "loadtest/seed.py", f"--target=http://127.0.0.1:{daphne}", "--users=6", "--group-size=3"]
    # Fewer HTTP connections than users: the open sockets must not take the requests' pool.
    command += ["--rate=20", "--duration=4", "--seed=7", "--connections=2", f"--out={out}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(out.read_text())

    # Latencies on a shared test machine say nothing: the verdict's timing part is
    # tested on its own below, so only a failure other than a missed p95 counts here.
    misses = [line for line in run.stderr.splitlines() if line.startswith("MISSED") and " p95 " not in line]
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert misses == [], run.stdout + run.stderr
    assert report["users"] == 6
    assert report["errors"] == {}
    assert sum(c["requests"] for c in report["classes"].values()) > 40
    assert report["classes"]["checkin_write"]["requests"] > 0
    assert report["live_events"]["expected"] > 0
    assert report["live_events"]["lost"] == 0
    assert report["generator"]["cpu_cores"] > 0


def test_one_class_alone_with_the_servers_cpu_per_request(daphne_process: tuple[int, int], tmp_path: Path) -> None:
    port, pid = daphne_process
    out = tmp_path / "report.json"
    command = [sys.executable, "loadtest/seed.py", f"--target=http://127.0.0.1:{port}", "--users=3", "--group-size=3"]
    command += ["--only=profile", "--rate=20", "--duration=2", "--seed=7", f"--server-pids={pid}", f"--out={out}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(out.read_text())

    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert report["classes"]["profile"]["requests"] > 10
    assert sum(c["requests"] for c in report["classes"].values()) == report["classes"]["profile"]["requests"]
    assert report["server"]["cpu_ms_per_request"] > 0
    assert "ms of CPU per request" in run.stdout


def test_the_verdict_names_each_miss() -> None:
    report = {
        "classes": {"profile": {"p95": 151.0, "target": 150}, "feed": {"p95": 20.0, "target": 250}},
        "errors": {"checkin_write 500": 1},
        "live_events": {"lost": 2, "propagation_p95_ms": 51.0},
        "sockets_closed_by_server": 0,
    }

    assert seed.verdict(report) == [
        "profile p95 151.0 ms > 150 ms",
        "errors {'checkin_write 500': 1}",
        "2 live events lost",
        "live events p95 51.0 ms > 50 ms",
    ]


def test_a_client_storm_drops_every_socket_and_each_comes_back_resuming(daphne: int, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    command = [sys.executable, "loadtest/seed.py", f"--target=http://127.0.0.1:{daphne}", "--users=6", "--group-size=3"]
    command += ["--rate=20", "--duration=9", "--seed=7", f"--out={out}", "--storm=client", "--storm-at=2"]
    command += ["--storm-window=4", "--reconnect-spread=1", "--grace=5"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(out.read_text())

    misses = [line for line in run.stderr.splitlines() if line.startswith("MISSED") and " p95 " not in line]
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert misses == [], run.stdout + run.stderr
    storm = report["storm"]
    assert list(storm["phases"]) == ["before", "client storm", "after"]
    assert storm["sockets"]["closed"] == {"client": 6}
    assert storm["sockets"]["reconnected"] == 6
    assert storm["sockets"]["open_at_end"] == 6
    assert report["live_events"]["lost"] == 0
    assert "p95 ms by target class" in run.stdout


def test_a_storm_run_is_held_to_every_phase_and_to_every_socket_back() -> None:
    def phase(p95: float) -> dict:
        return {"seconds": 20, "server_errors": 0, "targets": {"group": {"p95": p95, "target": 250, "requests": 9}}}

    storm = {
        "kind": "client",
        "phases": {"before": phase(300.0), "client storm": phase(251.0), "after": {**phase(10.0), "server_errors": 2}},
        "sockets": {"users": 10, "open_at_end": 9},
    }
    report = {"classes": {}, "errors": {}, "live_events": {"lost": 0, "propagation_p95_ms": 1.0}, "storm": storm}
    report["sockets_closed_by_server"] = 0

    assert seed.verdict(report) == [
        "group p95 300.0 ms > 250 ms before",
        "group p95 251.0 ms > 250 ms during the client storm",
        "2 x 5xx or no answer after",
        "1 sockets not back after the storms",
    ]
