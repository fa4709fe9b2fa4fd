"""Test settings: the real PostgreSQL and Redis on localhost, as production runs.

``make test`` points ``DATABASE_URL`` and ``REDIS_URL`` at the local services;
pytest-django creates and drops its own ``test_<name>`` database.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hucares")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from .base import *  # noqa: F403
from .base import CHANNEL_LAYERS, DATABASES, LOGGING, PASSWORD_HASHERS

# Tasks run inline so a test sees their effect; the worker itself is covered
# by the end-to-end tests that start one.
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Rate limits are exercised by their own tests, which switch them on.
RATELIMIT_ENABLE = False
# So is the pacing of handshakes (realtime/tests/test_arrivals.py): tests open sockets in bursts.
REALTIME_HANDSHAKE_RATE = 0.0
# And the offline grace (realtime/tests/test_departures.py): a closed socket is flushed at once.
REALTIME_OFFLINE_GRACE = 0.0
# Hashing cost is measured in bench/auth.py; tests that check the real hasher override this.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
WHITENOISE_USE_FINDERS = True
if "CONFIG" in CHANNEL_LAYERS["default"]:  # the Redis layer; the embedded layout's in-memory one has no prefix
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ.get("CHANNEL_LAYER_PREFIX", "hucares-test")
LOGGING["root"]["level"] = "WARNING"
STATIC_ROOT = None  # type: ignore[assignment]  # assets come from the finders in tests
# A second alias on the same test database (its own connection), for the
# replica router's tests; the router sends nothing to it unless a test sets
# DATABASE_READ_REPLICA = "replica". Without a pool: a pool opened before the
# test database exists would keep pointing at the database it was made for.
DATABASES["replica"] = {
    **DATABASES["default"],
    "OPTIONS": {k: v for k, v in DATABASES["default"].get("OPTIONS", {}).items() if k != "pool"},
    "TEST": {"MIRROR": "default"},
}
DATABASE_READ_REPLICA = None
