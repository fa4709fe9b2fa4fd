"""Test settings of the embedded layout: what ``make run`` uses with no environment.

SQLite (a file, so that the servers the end-to-end tests start share it),
the in-memory channel layer, the local-memory cache and inline tasks. ``make
test-embedded`` runs the suite with these; tests that are about PostgreSQL
or Redis themselves are marked ``services_only`` and left out.
"""

import os
from pathlib import Path

# Before the shared test settings read them: no service at all (an empty
# REDIS_URL, so that the test settings' default does not apply).
for _name in ("CELERY_BROKER_URL", "CHANNEL_LAYER_URL", "EMAIL_URL"):
    os.environ.pop(_name, None)
os.environ["REDIS_URL"] = ""
_database = Path(
    os.environ.get("EMBEDDED_TEST_DATABASE") or Path(__file__).resolve().parents[2] / "artifacts" / "embedded.sqlite3"
)
_database.parent.mkdir(parents=True, exist_ok=True)
os.environ["DATABASE_URL"] = f"sqlite:///{_database}"

from .test import *  # noqa: E402, F403
from .test import DATABASES  # noqa: E402

# A file rather than SQLite's in-memory test database: the daphne processes
# of the end-to-end and browser tests open it too.
DATABASES["default"]["TEST"] = {"NAME": str(_database.with_name(f"test_{_database.name}"))}
