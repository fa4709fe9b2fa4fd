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

Autobahn, daphne's WebSocket library, builds the arguments of its debug log
lines whether or not debug logging is on: a pretty-printed dump of its ~30
protocol options for every handshake (~0.12 ms of CPU, a few percent of a
handshake), terminal colour codes through click and the qualified names of
its own methods (``hltype``, ``hlval``) for every frame sent and received.
:func:`skip_autobahn_debug_formatting` makes the dump and the colours cheap
while txaio (its logging) is not at debug level, and defers the names to the
moment a line that shows them is written.
"""

import os
from collections.abc import Callable
from pprint import pformat
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.cache import caches  # noqa: E402

from .longpoll import with_event_polling  # noqa: E402
from .middleware import JWTAuthMiddleware  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

# Bound in the root context, so every socket shares it (module docstring).
shared_cache = caches["default"]


def _autobahn_debugging() -> bool:
    # daphne runs autobahn on Twisted, whose txaio loggers follow this level.
    from txaio.tx import get_global_log_level

    return bool(get_global_log_level() in ("debug", "trace"))


def _pformat_when_debugging(value: Any) -> str:
    """Autobahn's ``pformat``: pretty only when its debug lines are logged, a plain ``repr`` otherwise."""
    return pformat(value) if _autobahn_debugging() else repr(value)


class _Deferred:
    """A log argument formatted only when a log line is: ``format`` and ``str`` call ``render(value)``."""

    __slots__ = ("render", "value")

    def __init__(self, render: Callable[[Any], str], value: Any) -> None:
        self.render, self.value = render, value

    def __format__(self, spec: str) -> str:
        return format(self.render(self.value), spec)

    def __str__(self) -> str:
        return self.render(self.value)


def _deferring(render: Callable[[Any], str]) -> Callable[[Any], _Deferred]:
    def deferred(value: Any) -> _Deferred:
        return _Deferred(render, value)

    return deferred


def skip_autobahn_debug_formatting() -> None:
    """Stop autobahn formatting debug-log arguments nobody logs (module docstring)."""
    import autobahn.twisted.websocket
    import autobahn.util
    import autobahn.websocket.protocol

    autobahn.websocket.protocol.pformat = _pformat_when_debugging  # type: ignore[assignment]
    # Their only use in these modules is as arguments of log lines.
    for module in (autobahn.websocket.protocol, autobahn.twisted.websocket):
        module.hltype = _deferring(autobahn.util.hltype)  # type: ignore[attr-defined]
        module.hlval = _deferring(autobahn.util.hlval)  # type: ignore[attr-defined]
    if not _autobahn_debugging():
        # Only colours the text of debug lines.
        autobahn.util._HAS_CLICK = False


skip_autobahn_debug_formatting()


async def not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Plain HTTP reaching a WebSocket-only server (nginx routes only ``/ws/`` here)."""
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"WebSocket only: /ws/\n"})


application = ProtocolTypeRouter(
    {
        # nginx sends /ws/ and the long-poll of GET /api/v1/events here.
        "http": with_event_polling(not_found),
        "websocket": AllowedHostsOriginValidator(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
