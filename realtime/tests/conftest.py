from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connections


@pytest.fixture(autouse=True)
def _fast_realtime(settings) -> None:
    # Short waits where a test waits for a deadline; the rules are the same.
    settings.REALTIME_AUTH_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
async def _release_async_orm_connection() -> AsyncIterator[None]:
    # The async ORM calls of a test run on asgiref's one sync thread, whose
    # connection Django never closes by itself: hand it back to the pool so
    # tests do not drain it and the test database can be dropped at the end.
    yield
    await sync_to_async(connections.close_all)()


def events_named(published: list[tuple[str, dict]], name: str) -> list[tuple[str, dict]]:
    return [(group, message) for group, message in published if (message.get("event") or {}).get("event") == name]
