"""Domain signals leave only after the transaction commits: nothing is announced for a rollback."""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


def send_on_commit(signal: Signal, *, sender: type, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one).

    A failing receiver is logged and does not stop the others: the write that
    caused the event has already been committed and answered.
    """

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("receiver %r failed", receiver, exc_info=result)

    transaction.on_commit(send)
