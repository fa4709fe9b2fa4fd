"""Running ORM calls from the consumer.

Channels' ``database_sync_to_async`` runs every call on one shared thread
(``thread_sensitive``), so a burst of handshakes queues behind each other's
queries. These calls share no state and no transaction, so they run on the
executor's threads in parallel, each with a connection from the pool.
"""

from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def db_call(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    return database_sync_to_async(func, thread_sensitive=False)
