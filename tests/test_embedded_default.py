"""The embedded default (``make run`` with no environment: SQLite, no Redis) runs the check-in path and its reads.

The rest of the suite runs on PostgreSQL; this runs a journey in its own
process (tests/embedded_default_journey.py) against a fresh SQLite file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_LAYER_URL", "EMAIL_URL")


def test_check_in_journey_on_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", *SERVICES))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "embedded_default_journey.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["vendor"] == "sqlite"
    assert seen["first"] == [201, 12]
    # The unique constraint's violation is recognised on SQLite too: a 409, not a 500.
    assert seen["second"] == [409, "DUPLICATE_CHECKIN"]
    # The notifications' ids were made by the database (SQLite has no UUID function of its own).
    assert seen["notified"] == ["bo", "cy"]
    assert seen["uuid_versions"] == [4, 4]
    # Search and analytics filter on JSON settings: a PostgreSQL-only lookup there answered 500.
    assert set(seen["reads"].values()) == {200}, seen["reads"]
