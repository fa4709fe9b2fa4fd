"""Authenticates a WebSocket from its ``?token=`` query parameter.

The outcome is left in the scope for the consumer, which accepts the socket
first and then closes it with 4401 when authentication failed: a close before
``accept`` would reach the browser as a bare HTTP 403 without the code.
The token never reaches a log line; the query string is not logged here and
the log filter redacts ``token=`` wherever else it appears.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.middleware import BaseMiddleware

from accounts.errors import TokenInvalid
from accounts.models import User
from accounts.tokens import user_for_access_token

from .db import db_call

Scope = dict[str, Any]


@db_call
def authenticate_token(raw: str) -> tuple[User, dict[str, Any]] | None:
    """The user and claims of a valid access token, or ``None``."""
    try:
        return user_for_access_token(raw)
    except TokenInvalid:
        return None


def token_from_query(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


class JWTAuthMiddleware(BaseMiddleware):
    """Sets ``scope["auth"]`` to ``None`` (no token), ``False`` (bad token) or ``(user, claims, token)``."""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        raw = token_from_query(scope)
        auth: Any = None
        if raw is not None:
            result = await authenticate_token(raw)
            auth = (result[0], result[1], raw) if result else False
        return await super().__call__({**scope, "auth": auth}, receive, send)
