"""The one ASGI application: Django's HTTP handler and realtime's socket router.

``make run`` serves everything from it. In the production layout gunicorn
serves HTTP through ``hucares.wsgi`` and daphne serves this for ``/ws/`` and
the long-poll ``GET /api/v1/events`` (an async view: a waiting request is a
coroutine, not a worker), the paths nginx sends it.

Django keeps its cache backends per asyncio context, and each socket runs in
a task with a context of its own: every handshake would build a new Redis
cache object with its own pool to read the token's revocation keys. The
Redis backend is safe to share between threads (redis-py's pool), so the
cache is bound here, in the root context, before the server starts its
loop; every socket task and every ``sync_to_async`` thread inherits it.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.cache import caches  # noqa: E402

from realtime.metrics import socket_server_started  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

# Bound in the root context, so every request and socket shares it (module docstring).
shared_cache = caches["default"]
# This process's sockets' gauge, and its metrics port when WS_METRICS_PORT is set (compose).
socket_server_started()

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application()})
