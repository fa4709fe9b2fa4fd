"""Test helpers shared by the groups and check-ins tests."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.dispatch import Signal


@contextmanager
def recording(*signals: Signal) -> Iterator[list[list[dict[str, Any]]]]:
    """Collect the kwargs of every send of each signal, one list per signal."""
    calls: list[list[dict[str, Any]]] = [[] for _ in signals]
    receivers = []
    for index, signal in enumerate(signals):

        def receiver(sender: Any, signal: Signal, _index: int = index, **kwargs: Any) -> None:
            calls[_index].append(kwargs)

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    try:
        yield calls
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver)


class _Rollback(Exception):
    pass


def run_then_roll_back(action: Callable[[], Any]) -> None:
    """Run ``action`` in a transaction that is then rolled back."""
    try:
        with transaction.atomic():
            action()
            raise _Rollback
    except _Rollback:
        pass
