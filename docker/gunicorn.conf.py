"""gunicorn for the HTTP API (the WebSocket server is daphne, see README "Serving")."""

import multiprocessing
import os

from prometheus_client import multiprocess

# Inside the container the port is only reachable through compose's network.
bind = f"{os.environ.get('HTTP_BIND', '0.0.0.0')}:{os.environ.get('HTTP_PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# sync workers: each takes its next request from the shared listening socket
# when it is free, so a slow request delays nobody else. gthread workers (even
# of one thread) keep nginx's keep-alive connections and queue the requests
# that arrive on them behind their own current one while other workers are
# idle, which near the machine's limit made every class's p95 seconds long in
# the seed-scale load test (docs/performance.md). A TCP connect per request on
# loopback is the cheaper price. GUNICORN_WORKER_CLASS=gthread brings the
# other layout back for an A/B.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
# Only for gthread: longer than nginx keeps an idle upstream connection
# (keepalive_timeout in the upstream block), so nginx always closes first.
keepalive = 75
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None  # the app writes one JSON line per request itself
errorlog = "-"


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    # Metrics of a dead worker must not linger in the multiprocess directory.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
