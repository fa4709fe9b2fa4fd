"""The services a server process started by a test shares with it, on either layout.

On PostgreSQL and Redis: the test database and the test's Redis database and
channel-layer prefix. On the embedded layout (``hucares.settings.embedded_test``):
the test's SQLite file and no Redis, so the process keeps its own in-memory
channel layer and cache.
"""

from django.conf import settings
from django.db import connection


def embedded() -> bool:
    return connection.vendor == "sqlite"


def server_services() -> dict[str, str]:
    db = settings.DATABASES["default"]
    if embedded():
        return {"DATABASE_URL": f"sqlite:///{db['NAME']}", "REDIS_URL": ""}
    return {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
    }
