"""Compose's read replica (docker/postgres/replica.sh) on real PostgreSQL clusters.

A throwaway primary is started on a free port; the replica script copies it
and streams from it exactly as in compose's profile ``replica``, with the
primary's address given by its variables. Nothing here touches the shared
PostgreSQL.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPLICA_SCRIPT = ROOT / "docker" / "postgres" / "replica.sh"
_SERVERS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
PG_BIN = _SERVERS[-1] if _SERVERS else Path("/usr/lib/postgresql/missing/bin")
# Ports for throwaway servers, away from the shared services.
PORTS = range(16500, 16600)
WAIT_SECONDS = 60

pytestmark = pytest.mark.skipif(not _SERVERS, reason="PostgreSQL's server binaries are not installed")


def _free_port(taken: set[int]) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port for a throwaway cluster")


def _as_postgres() -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []


def _psql(port: int, sql: str) -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-XAtq", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


def _wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except RuntimeError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="hucares-replica-"))
    path.chmod(0o755)
    if os.getuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def primary(workdir: Path) -> Iterator[int]:
    data = workdir / "primary"
    port = _free_port(set())
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={workdir}"
    pg_ctl = [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-l", f"{data}.log", "-w", "-o", options, "start"], check=True, timeout=120)
    try:
        yield port
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)


def test_the_replica_copies_the_primary_then_streams_its_writes(workdir: Path, primary: int) -> None:
    port = _free_port({primary})
    env = {
        "PATH": f"{PG_BIN}:/usr/bin:/bin",
        "PGDATA": str(workdir / "replica"),
        "PRIMARY_HOST": "127.0.0.1",
        "PRIMARY_PORT": str(primary),
        "PRIMARY_USER": "postgres",
    }
    _psql(primary, "CREATE TABLE before_copy (n int); INSERT INTO before_copy VALUES (1)")
    command = [
        *_as_postgres(),
        "env",
        *(f"{name}={value}" for name, value in env.items()),
        "sh",
        str(REPLICA_SCRIPT),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={workdir}",
    ]
    log = (workdir / "replica.log").open("w")
    replica = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for("the replica to accept connections", lambda: _psql(port, "SELECT 1") == "1")
        assert _psql(port, "SELECT pg_is_in_recovery()") == "t"
        assert _psql(port, "SELECT n FROM before_copy") == "1"
        # The slot keeps the WAL the replica has not received yet.
        _wait_for(
            "the replica to stream over its slot",
            lambda: (
                _psql(primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'hucares_replica'") == "t"
            ),
        )
        _psql(primary, "CREATE TABLE after_copy (n int); INSERT INTO after_copy VALUES (2)")
        _wait_for("the write to reach the replica", lambda: _psql(port, "SELECT n FROM after_copy") == "2")
        with pytest.raises(RuntimeError, match="read-only transaction"):
            _psql(port, "INSERT INTO after_copy VALUES (3)")
    finally:
        replica.terminate()
        replica.wait(timeout=60)
        log.close()
