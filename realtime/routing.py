"""The ``/ws/`` socket's ASGI stack, composed into the one ASGI application by ``hucares.asgi``."""

from channels.routing import URLRouter
from django.urls import URLPattern, path

from .consumers import RealtimeConsumer
from .metrics import CountedSockets
from .middleware import AnswerRedisOutage, ASGIApp, JWTAuthMiddleware, OriginCheck

websocket_urlpatterns: list[URLPattern] = [
    path("ws/", RealtimeConsumer.as_asgi()),
    path("ws", RealtimeConsumer.as_asgi()),
]


def websocket_application() -> ASGIApp:
    """Origin check, the token out of the handshake, the socket counted, then the consumer (answered when
    Redis is down)."""
    return OriginCheck(JWTAuthMiddleware(CountedSockets(AnswerRedisOutage(URLRouter(websocket_urlpatterns)))))
