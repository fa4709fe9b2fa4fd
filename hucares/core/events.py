"""Domain signals are sent inside the transaction of the change they announce.

Receivers write what must commit or roll back with the change (the members'
notifications, the users' event streams) in that transaction, and defer
everything that leaves the database (a live publish, a Celery task, a file
removal) with ``transaction.on_commit``. So nothing leaves for a write that
rolls back, and no committed write is missing its events, even when the
process dies between the commit and its on-commit callbacks.

Receivers of one signal that write to the same rows (each user's event-stream
counter) pool their writes with :func:`write_pooled`: they are written once,
after the last receiver, in one statement. Two statements in one transaction
would each lock their rows in order, but not in one order together, and two
concurrent check-ins sharing members deadlocked.
"""

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal


@dataclass
class _Pooled:
    write: Callable[[list[Any]], None]
    items: list[Any] = field(default_factory=list)


# The writes pooled while the receivers of one signal run, by key; None outside a send.
_pooled: ContextVar[dict[str, _Pooled] | None] = ContextVar("pooled_writes", default=None)


def send_in_transaction(signal: Signal, *, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` now, from inside the change's ``transaction.atomic`` block, then make its pooled writes.

    A receiver that raises rolls the change back: a write whose events could
    not be recorded is not made, and the client's retry makes both.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{signal!r} must be sent inside the transaction of the change it announces")
    token = _pooled.set({})
    try:
        signal.send(sender=sender, **kwargs)
        pooled = _pooled.get() or {}
    finally:
        _pooled.reset(token)
    for batch in pooled.values():
        batch.write(batch.items)


def write_pooled(key: str, items: Sequence[Any], write: Callable[[list[Any]], None]) -> None:
    """Have ``write(items)`` called: at once, or while a signal's receivers run, once after the last of them
    with the items every receiver pooled under ``key``, in the order they came (the first ``write`` given)."""
    pooled = _pooled.get()
    if pooled is None:
        write(list(items))
        return
    pooled.setdefault(key, _Pooled(write)).items.extend(items)
