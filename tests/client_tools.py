"""The client tools some tests need (`make client-tools`): required in CI, skipped where not installed."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools" / "clients"


def require(*tools: Path) -> None:
    """Fail (with ``CLIENT_TOOLS_REQUIRED`` set, as `.ci/run` does) or skip unless every tool exists."""
    missing = [str(tool.relative_to(ROOT)) for tool in tools if not tool.exists()]
    if not missing:
        return
    message = f"client tools missing ({', '.join(missing)}): run `make client-tools`"
    if os.environ.get("CLIENT_TOOLS_REQUIRED"):
        pytest.fail(message)
    pytest.skip(message)
