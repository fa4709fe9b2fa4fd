"""The real-time layer's metrics (docs/operations.md lists them with the alerts built on them).

``websocket_connections`` is read from the database at scrape time, so every
process reports the same total across all daphnes. The others are recorded
by the process that sees the event: the sockets a daphne holds (one series
per live process in multiprocess mode) and the lag of stream events from
their append to their frame on a socket. (Messages the channel layer did not
take are counted by ``streams.metrics``.)
"""

import atexit
import os
import time
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

from hucares.core.metrics import register_gauge, serve_process_metrics

from .models import UserSession

EVENT_STREAM_LAG = Histogram(
    "event_stream_lag_seconds",
    "From an event's append to its user's stream to its frame written to a socket (live delivery).",
    # Fine steps around the propagation target (docs/performance.md), coarse ones past the alert's threshold.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


_process_sockets: Gauge | None = None


def process_sockets() -> Gauge:
    """The gauge of the sockets this process holds, made on first use.

    Only a process that serves sockets makes it: in multiprocess mode a gauge
    has its series from the moment it is made, and gunicorn's and Celery's
    processes must not show up as servers holding no socket.
    """
    global _process_sockets  # one gauge per process
    if _process_sockets is None:
        _process_sockets = Gauge(
            "websocket_process_connections",
            "Open WebSocket connections held by this server process.",
            # One series per live daphne: a total would hide the process that holds none or too many.
            multiprocess_mode="liveall",
        )
    return _process_sockets


@register_gauge
def websocket_connections() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "websocket_connections",
        "Open WebSocket connections, the total across all server processes.",
        value=UserSession.objects.count(),
    )


def observe_stream_lag(appended_at: float | None) -> None:
    """Record the lag of a stream event whose frame was just written; ``appended_at`` is a Unix time.

    The append and the write happen in different processes, maybe on
    different hosts: a clock behind the other's must not make a lag negative.
    """
    if appended_at is not None:
        EVENT_STREAM_LAG.observe(max(0.0, time.time() - appended_at))


def socket_server_started() -> WSGIServer | None:
    """Once per WebSocket server process, from its ASGI module.

    A restarted process may reuse a dead one's pid and so its gauge file in
    the multiprocess directory: it holds no socket yet, whatever that file
    says. Its series goes with it on a clean exit (a process killed outright
    leaves its last value behind until the directory is cleared). With
    ``WS_METRICS_PORT`` set the process serves its own metrics (compose: one
    daphne per container, each scraped); that server is returned.
    """
    process_sockets().set(0)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        atexit.register(multiprocess.mark_process_dead, os.getpid(), directory)
    return serve_process_metrics(port_variable="WS_METRICS_PORT", address_variable="WS_METRICS_ADDR")


class CountedSockets:
    """Counts the sockets of the wrapped ASGI app in this process's gauge.

    From the ``websocket.accept`` the app sends until the app returns, however
    it ends (a close, a disconnect, an error, a cancel): a handshake refused
    before its accept never counts.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        accepted = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                process_sockets().inc()

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                process_sockets().dec()
