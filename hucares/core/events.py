"""Domain signals are sent inside the transaction of the change they announce.

Receivers write what must commit or roll back with the change (the members'
notifications, the users' event streams) in that transaction, and defer
everything that leaves the database (a live publish, a Celery task, a file
removal) with ``transaction.on_commit``. So nothing leaves for a write that
rolls back, and no committed write is missing its events, even when the
process dies between the commit and its on-commit callbacks.
"""

from typing import Any

from django.db import transaction
from django.dispatch import Signal


def send_in_transaction(signal: Signal, *, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` now, from inside the change's ``transaction.atomic`` block.

    A receiver that raises rolls the change back: a write whose events could
    not be recorded is not made, and the client's retry makes both.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{signal!r} must be sent inside the transaction of the change it announces")
    signal.send(sender=sender, **kwargs)
