"""Per-request context (request id, user id) visible to logs and envelopes."""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def choose_request_id(incoming: str | None) -> str:
    """Echo a sane incoming id; anything else gets a fresh UUID."""
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    return str(uuid.uuid4())


def current_request_id() -> str:
    return request_id_var.get() or str(uuid.uuid4())


# The client's address as hucares.core.ratelimit.client_ip decides it, for
# security events raised deep in a service.
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)
