"""gunicorn for the HTTP API (the WebSocket server is daphne, see README "Serving")."""

import multiprocessing
import os

from prometheus_client import multiprocess

# Inside the container the port is only reachable through compose's network.
bind = f"{os.environ.get('HTTP_BIND', '0.0.0.0')}:{os.environ.get('HTTP_PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None  # the app writes one JSON line per request itself
errorlog = "-"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    # Metrics of a dead worker must not linger in the multiprocess directory.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
