"""The ASGI application of the WebSocket servers in the production layout.

``make serve`` and Docker run daphne with this module for ``/ws/`` only (nginx
sends every other path to gunicorn), so it builds the socket stack alone and
answers any plain HTTP request with 404 instead of loading Django's HTTP
handler and its middleware. ``hucares.asgi`` still serves both for ``make run``.

Django keeps its cache backends per asyncio context, and each socket runs in a
task with a context of its own: every handshake built a new Redis cache object
with its own connection pool to read the token's revocation keys, opened a
Redis connection for it (three round trips plus redis-py's package-metadata
lookup) and kept it open as long as the socket lived. The Redis backend is
safe to share between threads (redis-py's pool), so the cache is bound here,
in the root context, before daphne starts its loop; every socket task and
every ``sync_to_async`` thread inherits that one object.
"""

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.cache import caches  # noqa: E402

from .longpoll import with_event_polling  # noqa: E402
from .metrics import socket_server_started  # noqa: E402
from .routing import websocket_application  # noqa: E402

# Bound in the root context, so every socket shares it (module docstring).
shared_cache = caches["default"]
# This process's sockets' gauge, and its metrics port when WS_METRICS_PORT is set (compose).
socket_server_started()


async def not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Plain HTTP reaching a WebSocket-only server (nginx routes only ``/ws/`` here)."""
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"WebSocket only: /ws/\n"})


application = ProtocolTypeRouter(
    {
        # nginx sends /ws/ and the long-poll of GET /api/v1/events here.
        "http": with_event_polling(not_found),
        "websocket": websocket_application(),
    }
)
