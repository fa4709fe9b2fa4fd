"""Stream reads of one process, batched: every transport's one read, made together.

A check-in wakes every co-member, and a process holding many sockets gets
those wake-ups within the same moment. Read one by one, each would cost a
trip to a thread, a pooled connection and two queries, and the last member
would wait behind all the others. Here the reads that arrive while one batch
is at the database wait for the next batch, which makes them together with
one call (``streams.selectors.stream_read_many``). Under light load a batch
holds one read, so nothing waits for company.

The batcher belongs to the event loop it runs on (one per server process;
tests run several loops one after another).
"""

import asyncio
import weakref
from uuid import UUID

from streams.selectors import StreamPage, stream_read_many

from .db import db_call

Read = tuple[str, int]


class BatchedReader:
    """Reads queued by the transports of one event loop, sent to the database a batch at a time."""

    def __init__(self) -> None:
        self.pending: dict[Read, asyncio.Future[StreamPage]] = {}
        self.draining = False

    async def read_after(self, user_id: UUID | str, since: int) -> StreamPage:
        key = (str(user_id), since)
        waiter = self.pending.get(key)
        if waiter is None:
            # Two sockets of one user at the same cursor share one read.
            waiter = self.pending[key] = asyncio.get_running_loop().create_future()
            if not self.draining:
                self.draining = True
                asyncio.get_running_loop().create_task(self.drain())
        # Shielded: a socket that closes while waiting must not cancel the read for the others.
        return await asyncio.shield(waiter)

    async def drain(self) -> None:
        """Read batch after batch until nothing is queued; what arrives meanwhile joins the next one."""
        try:
            while self.pending:
                batch, self.pending = self.pending, {}
                try:
                    pages = await db_call(stream_read_many)(reads=list(batch))
                except Exception as exc:  # noqa: BLE001 - each reader gets the failure its own read would have had
                    for waiter in batch.values():
                        if not waiter.done():
                            waiter.set_exception(exc)
                    continue
                for key, waiter in batch.items():
                    if not waiter.done():
                        waiter.set_result(pages[key])
        finally:
            self.draining = False


_readers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BatchedReader]" = weakref.WeakKeyDictionary()


def reader() -> BatchedReader:
    """The running event loop's batcher."""
    loop = asyncio.get_running_loop()
    if loop not in _readers:
        _readers[loop] = BatchedReader()
    return _readers[loop]
