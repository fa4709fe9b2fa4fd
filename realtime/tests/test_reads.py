"""Stream reads of one process are batched: many sockets woken together read in one call."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from accounts.tests.factories import UserFactory
from realtime import reads
from realtime.protocol import read_after
from streams import events
from streams.services import stream_append

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def users_with_events(count: int) -> list[str]:
    users = UserFactory.create_batch(count)
    with transaction.atomic():
        stream_append(deliveries=[(user.pk, events.profile_updated(changed=[f"f{n}"])) for n, user in enumerate(users)])
    return [str(user.pk) for user in users]


async def test_reads_woken_together_are_one_call_and_each_gets_its_own_page(monkeypatch) -> None:
    users = await users_with_events(20)
    calls: list[int] = []
    real = reads.stream_read_many

    def counted(**kwargs):
        calls.append(len(kwargs["reads"]))
        return real(**kwargs)

    monkeypatch.setattr(reads, "stream_read_many", counted)
    pages = await asyncio.gather(*(read_after(user, 0) for user in users), read_after(users[0], 0))
    assert calls == [20]
    assert [page.events[0]["data"] for page in pages[:20]] == [{"changed": [f"f{n}"]} for n in range(20)]
    assert all(page.cursor == 1 for page in pages)
    # Later reads make their own batch.
    assert (await read_after(users[1], 1)).events == []
    assert calls == [20, 1]


async def test_a_reader_that_goes_away_does_not_cancel_the_others(monkeypatch) -> None:
    first, second = await users_with_events(2)
    leaving = asyncio.ensure_future(read_after(first, 0))
    staying = asyncio.ensure_future(read_after(second, 0))
    await asyncio.sleep(0)
    leaving.cancel()
    page = await staying
    assert page.cursor == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_failed_read_reaches_every_reader_of_its_batch(monkeypatch) -> None:
    users = await users_with_events(3)

    def broken(**kwargs):
        raise ConnectionError("database gone")

    monkeypatch.setattr(reads, "stream_read_many", broken)
    results = await asyncio.gather(*(read_after(user, 0) for user in users), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    monkeypatch.undo()
    assert (await read_after(users[0], 0)).cursor == 1
