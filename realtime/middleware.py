"""How a WebSocket handshake carries its access token, and which handshakes may open a socket.

The recommended way keeps the token out of the URL (and so out of every
proxy's request log): the client offers the subprotocols ``hucares.v1`` and
``hucares.auth.<access token>`` (``Sec-WebSocket-Protocol``, which browsers
let a page set) and the server answers ``hucares.v1``. ``?token=`` keeps
working, discouraged; a socket opened with neither sends an ``authenticate``
frame first.

The middleware only takes the token out of the handshake; the consumer
checks it (:func:`realtime.services.token_user`) in the same trip to a
thread that records the socket (one trip per handshake instead of one for the
token and more for the rest), accepts the socket first and then closes it
with 4401 when the token is bad: a close before ``accept`` would reach the
browser as a bare HTTP 403 without the code. The auth subprotocol is removed
from the scope the consumer sees, and the log filter redacts ``token=`` and
``hucares.auth.`` values wherever else they appear.
"""

import logging
from typing import Any
from urllib.parse import parse_qs

from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator

from . import frames
from .errors import REDIS_UNREACHABLE, UNAVAILABLE_MESSAGE

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
ASGIApp = Any

# The subprotocol the server speaks, and the prefix of the one that carries the token.
SUBPROTOCOL = "hucares.v1"
AUTH_SUBPROTOCOL_PREFIX = "hucares.auth."
# A dependency (Redis) is down: try again later. In the application's range, as
# the other close codes mirror HTTP statuses, and autobahn (under daphne) lets a
# server send only 1000 and 3000-4999.
CLOSE_SERVICE_UNAVAILABLE = 4503


def token_from_query(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


def token_from_subprotocols(scope: Scope) -> str | None:
    for protocol in scope.get("subprotocols", []):
        if protocol.startswith(AUTH_SUBPROTOCOL_PREFIX) and len(protocol) > len(AUTH_SUBPROTOCOL_PREFIX):
            return str(protocol[len(AUTH_SUBPROTOCOL_PREFIX) :])
    return None


class JWTAuthMiddleware(BaseMiddleware):
    """Sets ``scope["token"]`` from the auth subprotocol, else ``?token=``, else ``None``.

    With ``None`` the client may still send ``authenticate``.
    """

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        token = token_from_subprotocols(scope) or token_from_query(scope)
        offered = [p for p in scope.get("subprotocols", []) if not p.startswith(AUTH_SUBPROTOCOL_PREFIX)]
        return await super().__call__({**scope, "token": token, "subprotocols": offered}, receive, send)


class OriginCheck:
    """Refuse a browser handshake from an Origin outside ``ALLOWED_HOSTS``; let native apps in.

    Browsers always send ``Origin`` with a WebSocket handshake, and a page on
    another site is what the check is for. Native clients (OkHttp,
    URLSession) send none; they are no cross-site page, and the socket still
    needs a valid token. So a handshake without ``Origin`` skips Channels'
    validator, and every other one goes through it unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.browser_check = AllowedHostsOriginValidator(app)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if any(name == b"origin" for name, _ in scope.get("headers", [])):
            return await self.browser_check(scope, receive, send)
        return await self.app(scope, receive, send)


class AnswerRedisOutage:
    """A socket whose consumer fails on Redis gets a reason and a retryable close, not a bare failure.

    Channels' consumer subscribes its own channel in Redis before it reads the
    handshake, so with Redis unreachable it raises before anything is sent and
    daphne answers HTTP 500, which a browser reports as a failed handshake
    without a reason. Here the handshake is accepted instead (if it was not
    yet), the client gets the ``SERVICE_UNAVAILABLE`` error frame that a
    socket's frames get during an outage, and the socket closes with 4503: a
    client backs off and reconnects, or falls back to the long-poll.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        seen: set[str] = set()

        async def watched_receive() -> dict[str, Any]:
            message = await receive()
            seen.add(message["type"])
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            seen.add(message["type"])
            await send(message)

        try:
            return await self.app(scope, watched_receive, watched_send)
        except REDIS_UNREACHABLE as exc:
            logger.warning("websocket refused: Redis unreachable: %s", type(exc).__name__)
            if seen & {"websocket.close", "websocket.disconnect"}:
                return None
            if "websocket.connect" not in seen:
                await receive()
            if "websocket.accept" not in seen:
                offered = scope.get("subprotocols", [])
                await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL if SUBPROTOCOL in offered else None})
            frame = frames.error(code="SERVICE_UNAVAILABLE", message=UNAVAILABLE_MESSAGE)
            await send({"type": "websocket.send", "text": frames.encode(frame)})
            await send({"type": "websocket.close", "code": CLOSE_SERVICE_UNAVAILABLE})
            return None
