"""Fixtures of the cross-app tests."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_e2e_realtime import free_port, server_env, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def live_daphne(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """The whole app served by a real daphne on a free port over the test database; its base URL."""
    port = free_port()
    env = {**server_env(), "MEDIA_ROOT": str(tmp_path / "media")}
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
