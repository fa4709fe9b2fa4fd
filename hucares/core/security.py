"""Structured security events: one WARNING line each on the ``hucares.security`` logger.

Every line carries ``event``, ``userId`` (never an email address), ``clientIp``
and ``requestId`` (added by the logging filter), so an operator can follow one
attacker across lines and join them with the access log. docs/security.md
lists the events.
"""

import logging
from typing import Any

from .context import client_ip_var, user_id_var

logger = logging.getLogger("hucares.security")

LOGIN_FAILED = "login_failed"
TOKEN_REUSED = "token_reused"
RATE_LIMITED = "rate_limited"
ADMIN_LOGIN_FAILED = "admin_login_failed"
ADMIN_LOCKED_OUT = "admin_locked_out"
SESSION_REVOKED = "session_revoked"
SESSION_EXPIRED = "session_expired"


def security_event(event: str, *, user_id: Any = None, client_ip: str | None = None, **fields: Any) -> None:
    """Log ``event``; the user and address default to those of the current request."""
    logger.warning(
        event,
        extra={
            "event": event,
            "userId": str(user_id) if user_id is not None else user_id_var.get(),
            "clientIp": client_ip or client_ip_var.get(),
            **fields,
        },
    )
