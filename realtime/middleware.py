"""The ``?token=`` query parameter of a WebSocket.

The middleware only takes the token out of the query string; the consumer
checks it (:func:`realtime.services.token_user`) in the same trip to a
thread that records the socket (one trip per handshake instead of one for the
token and more for the rest), accepts the socket first and then closes it
with 4401 when the token is bad: a close before ``accept`` would reach the
browser as a bare HTTP 403 without the code.
The token never reaches a log line; the query string is not logged here and
the log filter redacts ``token=`` wherever else it appears.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.middleware import BaseMiddleware

Scope = dict[str, Any]


def token_from_query(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


class JWTAuthMiddleware(BaseMiddleware):
    """Sets ``scope["token"]`` to the ``?token=`` value, or ``None`` (the client may send ``authenticate``)."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        return await super().__call__({**scope, "token": token_from_query(scope)}, receive, send)
