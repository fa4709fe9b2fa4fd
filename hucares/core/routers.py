"""Reads to the streaming replica when there is one; everything else to the primary.

A read goes to the replica (``settings.DATABASE_READ_REPLICA``) only when it
cannot need a row the primary has and the replica may not have yet:

- writes always go to the primary;
- a read inside a transaction on the primary stays there, so a service sees
  its own uncommitted rows and its locks mean something;
- after the first write of a request (or a Celery task, or a socket), every
  later read of it goes to the primary: the replica trails by its replication
  lag, and the answer to a write must show the write.

A later request by the same client may still read from the replica and see
the state of a moment ago (docs/operations.md, "Read replicas").
"""

from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models

# Per request under both WSGI threads and ASGI tasks: asgiref copies a
# context into the thread that runs a sync view and copies its changes back.
_wrote: ContextVar[bool] = ContextVar("hucares_db_wrote", default=False)


def forget_writes(**_: Any) -> None:
    """Start a new unit of work (a request, a task): its reads may use the replica again."""
    _wrote.set(False)


def reads_pinned_to_primary() -> bool:
    return _wrote.get()


class ReplicaRouter:
    """Django database router: ``DATABASE_ROUTERS``; inactive without a replica."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        replica = settings.DATABASE_READ_REPLICA
        if not replica or _wrote.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return replica

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        # The replica holds the primary's rows: an object read from either may
        # be related to one from the other.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        # A streaming replica is read-only and replays the primary's schema.
        return db == DEFAULT_DB_ALIAS
