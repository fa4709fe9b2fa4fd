"""The dependency audit (scripts/audit_deps.sh): a vulnerability fails it, and an
advisory database out of reach is said out loud instead of passing as clean."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "scripts" / "audit_report.py"

# The shapes pip-audit's `-f json` and `npm audit --json` write.
PIP_VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]}]},
        {"name": "celery", "version": "5.5.0", "vulns": []},
    ]
}
PIP_CLEAN = {"dependencies": [{"name": "celery", "version": "5.5.0", "vulns": []}]}
PIP_UNREACHABLE = {
    "dependencies": [
        {"name": "celery", "version": "5.5.0", "vulns": []},
        {"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"},
    ]
}
NPM_ERROR = {"message": "405 Method Not Allowed - POST .../advisories/bulk", "statusCode": 405, "error": {}}


def _npm(severities: dict[str, str]) -> dict[str, Any]:
    return {
        "auditReportVersion": 2,
        "vulnerabilities": {name: {"name": name, "severity": level} for name, level in severities.items()},
        "metadata": {"dependencies": {"total": 40}},
    }


def _report(tmp_path: Path, report: dict[str, Any] | None, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report) if report is not None else "")
    return subprocess.run(
        [sys.executable, str(REPORT), args[0], str(path), *args[1:]], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("kind", "report", "args", "status", "said"),
    [
        ("pip", PIP_VULNERABLE, [], 1, "::error::pip-audit: django 5.2.0: PYSEC-2025-1 (fixed in: 5.2.1)"),
        ("pip", PIP_CLEAN, [], 0, "1 packages audited, no known vulnerability"),
        ("pip", PIP_UNREACHABLE, [], 3, "could not be reached for 1 of 2 packages"),
        ("pip", None, [], 3, "NOT audited"),
        (
            "npm",
            NPM_ERROR,
            ["high", "web"],
            3,
            "::warning::npm audit (web): the advisory database could not be reached",
        ),
        ("npm", _npm({"lodash": "critical", "debug": "low"}), ["high", "web"], 1, "::error::npm audit (web): lodash"),
        ("npm", _npm({"debug": "low"}), ["high", "web"], 0, "nothing at or above high"),
    ],
)
def test_each_report_is_judged(
    tmp_path: Path, kind: str, report: dict[str, Any] | None, args: list[str], status: int, said: str
) -> None:
    result = _report(tmp_path, report, kind, *args)
    assert result.returncode == status, result.stdout
    assert said in result.stdout


def test_every_lock_file_is_either_audited_or_said_not_to_be() -> None:
    env = {**os.environ, "AUDIT_REQUIRE_DATABASE": "1"}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "audit_deps.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    scans = [line for line in result.stdout.splitlines() if "audit" in line and not line.startswith("==")]
    assert len(scans) == 4, result.stdout
    assert all("audited" in line for line in scans), result.stdout
    if any("NOT audited" in line for line in scans):
        # Out of reach is never a pass when the database is required (3, or 1 if
        # another scan found a vulnerability).
        assert result.returncode in (1, 3), result.stdout
