from django.urls import URLPattern, path

from .consumers import RealtimeConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/", RealtimeConsumer.as_asgi()),
    path("ws", RealtimeConsumer.as_asgi()),
]
