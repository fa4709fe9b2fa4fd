"""HTTP and WebSocket in one ASGI application.

``make run`` serves both from this. In the production layout gunicorn serves
HTTP through ``hucares.wsgi`` and daphne serves only ``/ws/`` from here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.cache import caches  # noqa: E402

from realtime.longpoll import with_event_polling  # noqa: E402
from realtime.metrics import socket_server_started  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

# Bound in the root context so every request and socket shares one cache and
# its Redis pool, instead of one per asyncio context (see realtime/asgi.py).
shared_cache = caches["default"]
# The sockets' gauge of this process (see realtime/asgi.py).
socket_server_started()

application = ProtocolTypeRouter(
    {
        # The long-poll waits as a coroutine, outside Django's sync middleware (realtime/longpoll.py).
        "http": with_event_polling(django_asgi_app),
        "websocket": websocket_application(),
    }
)
