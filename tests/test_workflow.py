"""The GitHub workflow (.github/workflows/ci.yml): valid, and running the same
script as every other CI run instead of a list of its own."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _jobs() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]


def _runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_workflow_matches_githubs_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_test_job_runs_ci_run_and_nothing_of_its_own() -> None:
    runs = _runs(_jobs()["test"])
    assert "bash .ci/run" in runs
    # Checks listed beside the script would drift from it again.
    own = re.compile(r"(^|&&|;|\|)\s*(make|pytest|ruff|mypy|promtool|scripts/)", re.MULTILINE)
    assert not [run for run in runs if own.search(run)]


def test_staging_is_deployed_after_the_image_and_gated_on_health() -> None:
    deploy = _jobs()["deploy-staging"]
    assert deploy["environment"]["name"] == "staging"
    assert set(deploy["needs"]) == {"test", "image"}
    [command] = [run for run in _runs(deploy) if "deploy_k8s.sh" in run]
    assert command.startswith("scripts/deploy_k8s.sh staging ")
    assert "GATE_URL" in next(step for step in deploy["steps"] if step.get("run") == command)["env"]


def test_the_lock_files_are_audited_with_the_pinned_pip_audit() -> None:
    runs = _runs(_jobs()["audit"])
    assert any("scripts/audit_deps.sh" in run for run in runs)
    assert any("grep '^pip-audit==' requirements-dev.txt" in run for run in runs)
    assert re.search(r"^pip-audit==\d", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
