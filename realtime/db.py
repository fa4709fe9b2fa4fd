"""Running ORM calls from the consumer.

Channels' ``database_sync_to_async`` runs every call on one shared thread
(``thread_sensitive``), so a burst of handshakes queues behind each other's
queries. These calls share no state and no transaction, so they run on the
executor's threads in parallel, each with a connection from the pool.

Each call hands its connection back to the pool when it returns. Channels'
wrapper does that through ``channels.db.close_old_connections``, a module
global that ``channels.testing`` replaces with a no-op for the whole process
while a test awaits the socket; executor threads would then keep their
connection until they exit and the pool, which still counts it as lent,
runs dry. Calling Django's function directly behaves the same everywhere.
"""

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")


def db_call(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(func)
    def returning_connection(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            # CONN_MAX_AGE is 0 with the pool: this returns the connection.
            close_old_connections()

    return sync_to_async(returning_connection, thread_sensitive=False)
