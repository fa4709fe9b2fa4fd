"""scripts/test_setup.sh, the first step of ``make test`` and of CI: it looks quickly when
everything is there, and otherwise stops at once with the one command that fixes it."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.layout import server_services
from tests.test_e2e_realtime import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test_setup.sh"
# What the script itself runs; every other command (chromium, nginx, node, ...) is left out of PATH.
BASICS = ("bash", "id", "ls", "sort", "tail", "seq", "sleep", "pg_isready")


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)


def services_env() -> dict[str, str]:
    """The test's own services as the script's URLs (PostgreSQL and Redis up, or the embedded layout's none)."""
    services = server_services()
    if services["REDIS_URL"]:
        return {"TEST_DATABASE_URL": services["DATABASE_URL"], "TEST_REDIS_URL": settings.REDIS_URL}
    return {"TEST_SETUP_SERVICES": "no"}


def bare_path(tmp_path: Path) -> str:
    """A PATH with the script's basic commands and nothing else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in BASICS:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)


def test_everything_in_place_passes_in_well_under_a_second() -> None:
    started = time.monotonic()
    result = run({**os.environ, **services_env(), "TEST_SETUP": "check"})
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 5  # a loaded CI machine; it takes well under one
    assert result.stderr == ""


def test_missing_tools_stop_with_one_install_command(tmp_path: Path) -> None:
    env = {"PATH": bare_path(tmp_path), "TEST_SETUP": "check", **services_env()}
    result = run(env)
    assert result.returncode == 1
    # One command, one line, naming every missing package (promtool's is prometheus).
    fixes = [line for line in result.stderr.splitlines() if "fix:" in line]
    assert len(fixes) == 1
    assert fixes[0].startswith("  fix: sudo apt-get install -y --no-install-recommends ")
    assert {"chromium", "prometheus", "docker-compose", "nodejs", "npm"} <= set(fixes[0].split())


def test_node_from_elsewhere_is_not_asked_for_again(tmp_path: Path) -> None:
    path = bare_path(tmp_path)
    for name in ("node", "npm"):
        (Path(path) / name).write_text("#!/bin/sh\n")
        (Path(path) / name).chmod(0o755)
    result = run({"PATH": path, "TEST_SETUP": "check", **services_env()})
    assert result.returncode == 1
    assert "nodejs" not in result.stderr
    assert " npm" not in result.stderr


def test_a_database_that_is_not_there_names_the_command_that_starts_one() -> None:
    env = {
        **os.environ,
        "TEST_SETUP": "check",
        # A port nothing listens on (outside every range the machine's services use).
        "TEST_DATABASE_URL": "postgres://postgres@127.0.0.1:9/hucares",
        "TEST_REDIS_URL": "redis://127.0.0.1:9/1",
    }
    result = run(env)
    assert result.returncode == 1
    assert "no PostgreSQL on 127.0.0.1:9" in result.stderr
    assert "docker compose -f docker/compose.yml -f docker/compose.dev.yml up -d postgres redis" in result.stderr


@pytest.mark.services_only  # needs the PostgreSQL of the main pass beside the Redis it starts
def test_a_local_redis_that_is_down_is_started(tmp_path: Path) -> None:
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed: run scripts/test_setup.sh as root")
    port = free_port()
    env = {**os.environ, **services_env(), "TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    try:
        result = run(env)
        assert result.returncode == 0, result.stderr
        assert redis.Redis(port=port).ping() is True
        # Run again, everything is up: it starts nothing more.
        assert run(env).returncode == 0
    finally:
        redis.Redis(port=port).shutdown(nosave=True)
