"""Domain signals inside the transaction, and the writes their receivers pool."""

from typing import Any

import pytest
from django.db import transaction
from django.dispatch import Signal

from hucares.core.events import send_in_transaction, write_pooled


class Sender:
    pass


@pytest.fixture
def signal_with_two_writers():
    signal = Signal()
    written: list[list[Any]] = []

    def first(**kwargs: Any) -> None:
        write_pooled("rows", [1, 2], written.append)

    def second(**kwargs: Any) -> None:
        write_pooled("rows", [3], written.append)

    signal.connect(first, weak=False)
    signal.connect(second, weak=False)
    return signal, written


@pytest.mark.django_db
def test_the_receivers_writes_are_made_once_after_the_last_of_them_in_their_order(signal_with_two_writers):
    signal, written = signal_with_two_writers
    with transaction.atomic():
        send_in_transaction(signal, sender=Sender)
    assert written == [[1, 2, 3]]


def test_outside_a_send_a_write_is_made_at_once():
    written: list[list[int]] = []
    write_pooled("rows", [1], written.append)
    write_pooled("rows", [2], written.append)
    assert written == [[1], [2]]


@pytest.mark.django_db
def test_a_receiver_that_raises_writes_nothing_and_reaches_the_caller(signal_with_two_writers):
    signal, written = signal_with_two_writers

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver down")

    signal.connect(broken, weak=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        send_in_transaction(signal, sender=Sender)
    assert written == []
    # The pool of that send is gone: the next write outside a send is made at once.
    write_pooled("rows", [9], written.append)
    assert written == [[9]]


def test_a_signal_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        send_in_transaction(Signal(), sender=Sender)
