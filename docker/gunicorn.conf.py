"""gunicorn for the HTTP API (the WebSocket server is daphne, see README "Serving")."""

import multiprocessing
import os

from prometheus_client import multiprocess

# Inside the container the port is only reachable through compose's network.
bind = f"{os.environ.get('HTTP_BIND', '0.0.0.0')}:{os.environ.get('HTTP_PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# gthread with one thread: one request at a time per process, as the sync
# worker, but the connection stays open for the next request. The sync worker
# closes every connection after its answer, so nginx's keepalive pool to
# this upstream was never used and each request paid a TCP connect and
# close on both sides. GUNICORN_WORKER_CLASS=sync puts the old layout back
# for an A/B under load.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
# Longer than nginx keeps an idle upstream connection (keepalive_timeout in
# the upstream block), so nginx always closes first and never sends a request
# on a connection gunicorn is closing (a 502 for a POST, which nginx will not retry).
keepalive = 75
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None  # the app writes one JSON line per request itself
errorlog = "-"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    # Metrics of a dead worker must not linger in the multiprocess directory.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
