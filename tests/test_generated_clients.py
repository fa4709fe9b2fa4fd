"""Clients generated from the served schema work untouched (``make clients``).

The Python client (openapi-python-client) runs a whole user journey against a
real daphne on the test database; the TypeScript types (openapi-typescript)
type-check, under ``tsc --strict``, a program making the same calls with
openapi-fetch. Both generators must finish without a warning. The tools live
in their own environments (``.venv-clients``, ``tools/clients/node_modules``),
which ``make clients`` builds from pinned versions before running these tests;
without them the tests are skipped, unless ``CLIENT_TOOLS_REQUIRED`` is set (CI).
"""

import os
import subprocess
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from .client_tools import ROOT, TOOLS, require

pytestmark = [pytest.mark.e2e, pytest.mark.clients]

GENERATOR = ROOT / ".venv-clients" / "bin" / "openapi-python-client"
TOOL_PYTHON = ROOT / ".venv-clients" / "bin" / "python"
NODE_BIN = TOOLS / "node_modules" / ".bin"
RUN_TIMEOUT = 300


def run(command: list[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    args = [str(part) for part in command]
    result = subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False, cwd=cwd, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_the_generated_python_client_runs_a_whole_journey(live_daphne: str, tmp_path: Path) -> None:
    require(GENERATOR, TOOL_PYTHON)
    schema = tmp_path / "openapi.yaml"
    run(["curl", "-sSf", "-o", schema, f"{live_daphne}/api/v1/schema/"])
    output = run(
        [GENERATOR, "generate", "--path", schema, "--config", TOOLS / "openapi-python-client.yaml", "--meta", "none"],
        cwd=tmp_path,
    )
    assert "warning" not in output.lower(), output
    journey = run(
        [TOOL_PYTHON, TOOLS / "journey.py", live_daphne],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert "ok  duplicate check-in: 409 ErrorEnvelope" in journey
    assert "ok  export: 200 list[CheckIn] (a file, not an envelope)" in journey
    assert "ok  delete account: 204" in journey
    assert journey.rstrip().endswith("journey complete"), journey


def test_a_form_upload_with_curl_is_415(live_daphne: str) -> None:
    login = f"{live_daphne}/api/v1/auth/login"
    status = run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-F", "email=a@b.example", login])
    assert status == "415"


def test_the_typescript_journey_type_checks_over_the_generated_types(api_client: APIClient, tmp_path: Path) -> None:
    require(NODE_BIN / "openapi-typescript", NODE_BIN / "tsc")
    schema = tmp_path / "openapi.yaml"
    schema.write_bytes(api_client.get("/api/v1/schema/").content)
    types = TOOLS / "build" / "api.d.ts"
    # A field with a default is optional in a request: not "non-nullable" (required) as the tool assumes.
    output = run([NODE_BIN / "openapi-typescript", schema, "--default-non-nullable=false", "--output", types])
    assert "warn" not in output.lower(), output
    run([NODE_BIN / "tsc", "--project", TOOLS / "tsconfig.json"])
