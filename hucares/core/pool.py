"""A periodic check of the database pool's idle connections, so a PostgreSQL restart costs no request.

The pool checks each connection before handing it out (``CONN_HEALTH_CHECKS``),
but psycopg_pool retries after a failed check with exponential backoff (about
1 s, then 2 s, 4 s, ...), one dead connection at a time. After a restart every
idle connection is dead: a request that met four or more of them outlasted
the pool's timeout and failed. Every ``DB_POOL_CHECK_INTERVAL`` seconds each
process runs psycopg_pool's own ``ConnectionPool.check()`` on its idle
connections, which replaces all the dead ones at once, so a request caught in
the backoff finds a fresh connection at its next attempt.
"""

import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

_started_in: int | None = None
_start_lock = threading.Lock()


def check_idle_connections() -> None:
    """Test every idle pooled connection of this process; dead ones are replaced."""
    for alias in connections:
        pool = getattr(connections[alias], "pool", None)
        if pool is not None and not pool.closed:
            pool.check()


def _check_forever(interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            check_idle_connections()
        except Exception:
            # The next round tries again, and each request's own check still guards it.
            logger.exception("pool check failed")


def start_checking(**_: Any) -> None:
    """Start this process's checker once (again in a forked child); a ``connection_created`` receiver."""
    global _started_in  # one checker thread per process
    interval = settings.DB_POOL_CHECK_INTERVAL
    if not interval or _started_in == os.getpid():
        return
    with _start_lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
        threading.Thread(target=_check_forever, args=(interval,), name="db-pool-check", daemon=True).start()
