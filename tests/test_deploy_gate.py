"""The deploy gate (scripts/deploy_gate.sh) against the real app served by daphne."""

import os
import subprocess
import sys
from pathlib import Path

from tests.test_e2e_realtime import free_port, server_env, stop_server, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
GATE = ROOT / "scripts" / "deploy_gate.sh"


def _gate(base_url: str, timeout: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "GATE_TIMEOUT": str(timeout), "GATE_INTERVAL": "0.2", "GATE_PASSES": "3"}
    return subprocess.run(["bash", str(GATE), base_url], env=env, capture_output=True, text=True, timeout=timeout + 60)


def test_the_gate_passes_on_a_healthy_app(live_daphne: str) -> None:
    result = _gate(live_daphne, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "healthy, 3 answers in a row" in result.stdout


def test_the_gate_fails_when_health_says_the_database_is_down(tmp_path: Path) -> None:
    # The same app, whose database does not exist: alive, but not ready.
    port = free_port()
    env = {
        **server_env(),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hucares_gate_no_such_db",
        "DB_POOL_TIMEOUT": "1",
    }
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, process)
        result = _gate(f"http://127.0.0.1:{port}", timeout=5)
    finally:
        stop_server(process)
    assert result.returncode == 1
    assert "not healthy after 5s" in result.stderr
    assert "HTTP 503" in result.stderr


def test_the_gate_fails_when_nothing_answers() -> None:
    result = _gate(f"http://127.0.0.1:{free_port()}", timeout=2)
    assert result.returncode == 1
    assert "HTTP 000" in result.stderr
