"""The socket's protocol steps as plain functions: frame parsing and validation, the frame budget, the
answers, the handshake's facts (client address, resume cursor) and reading the stream after a cursor.

The consumer (:mod:`realtime.consumers`) strings them together; each step is
testable without a socket.
"""

import ipaddress
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qs
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from hucares.core.ratelimit import client_ip
from streams import cursor
from streams.events import Frame
from streams.selectors import StreamPage, stream_resume

from . import frames, services
from .db import db_call
from .errors import REDIS_UNREACHABLE, UNAVAILABLE_MESSAGE
from .middleware import SUBPROTOCOL
from .reads import reader

MAX_FRAME_BYTES = 64 * 1024
CLOSE_UNAUTHENTICATED = 4401
CLOSE_HEARTBEAT_TIMEOUT = 4408
CLOSE_FLOODING = 4429
CLOSE_TOO_BIG = 1009
# Frames refused for the budget in a row before the socket is closed.
FLOOD_LIMIT = 50


class FrameError(Exception):
    """A client frame that cannot be served; becomes an ``error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> NoReturn:
    raise FrameError("VALIDATION_ERROR", message)


def failure_frame(exc: Exception, *, name: str, ref: Any, log: logging.Logger) -> Frame:
    """The ``error`` frame for a client frame that failed with ``exc`` (logged to ``log`` unless it was the
    client's fault): nothing a client sends raises out of the consumer."""
    if isinstance(exc, FrameError):
        return frames.error(code=exc.code, message=exc.message, ref=ref)
    if isinstance(exc, REDIS_UNREACHABLE):
        log.warning("websocket frame %r failed: Redis unreachable: %s", name, type(exc).__name__)
        return frames.error(code="SERVICE_UNAVAILABLE", message=UNAVAILABLE_MESSAGE, ref=ref)
    log.error("websocket frame failed", exc_info=exc)
    return frames.error(code="INTERNAL_ERROR", message="Something went wrong.", ref=ref)


class FrameBudget:
    """A token bucket: ``rate`` frames a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.refused_in_a_row = 0

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False


def admit(budget: FrameBudget, text_data: str | None, bytes_data: bytes | None) -> int | Frame | None:
    """Whether a client frame is served: ``None``; a close code (too big, or flooding: the budget refused
    ``FLOOD_LIMIT`` in a row); or the ``error`` frame that answers a frame over the budget."""
    size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
    if size > MAX_FRAME_BYTES:
        return CLOSE_TOO_BIG
    if budget.take():
        return None
    if budget.refused_in_a_row >= FLOOD_LIMIT:
        return CLOSE_FLOODING
    return frames.error(code="RATE_LIMITED", message="Too many frames; slow down.")


class TypingThrottle:
    """``user-typing`` per room: a change of state always passes, a repeat at most once per
    ``REALTIME_TYPING_INTERVAL``."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[float, bool]] = {}

    def allows(self, room: str, is_typing: bool) -> bool:
        now = time.monotonic()
        last = self.last.get(room)
        if last is not None and last[1] == is_typing and now - last[0] < settings.REALTIME_TYPING_INTERVAL:
            return False
        self.last[room] = (now, is_typing)
        return True


def heartbeat_write_due(written: float) -> bool:
    """Whether a heartbeat checks the token and writes the session row again (``written``: when it last did)."""
    return time.monotonic() - written >= settings.REALTIME_HEARTBEAT_WRITE_INTERVAL


async def heartbeat_write(*, token: str, socket_id: str) -> bool:
    """The session row's last heartbeat, unless the token was revoked meanwhile (``False``): a revocation
    whose message was lost is noticed here at the latest."""
    if await db_call(services.token_user)(token) is None:
        return False
    await db_call(services.session_heartbeat)(socket_id=socket_id)
    return True


def next_deadline(
    *, authenticated: bool, opened_at: float, last_heartbeat: float, expires_at: float
) -> tuple[float, int]:
    """When (``time.monotonic``) a socket must be closed, and with which code: authentication,
    token expiry (``expires_at``, a Unix time) or heartbeat, whichever comes first."""
    if not authenticated:
        return opened_at + settings.REALTIME_AUTH_TIMEOUT, CLOSE_UNAUTHENTICATED
    token_deadline = time.monotonic() + expires_at - time.time()
    beat_deadline = last_heartbeat + settings.REALTIME_PRESENCE_TTL
    return min((token_deadline, CLOSE_UNAUTHENTICATED), (beat_deadline, CLOSE_HEARTBEAT_TIMEOUT))


@dataclass(frozen=True)
class ClientFrame:
    name: str
    data: dict[str, Any]
    ref: Any


def parse_frame(text_data: str | None) -> ClientFrame:
    """A client's frame ``{"event", "data", "ref"?}`` (or the resume frame's own shape); raises FrameError."""
    if text_data is None:
        raise FrameError("MALFORMED_FRAME", "Frames must be JSON text.")
    try:
        frame = json.loads(text_data)
    except ValueError as exc:
        raise FrameError("MALFORMED_FRAME", "Frames must be JSON text.") from exc
    if isinstance(frame, dict) and frame.get("type") == "resume" and "event" not in frame:
        # The resume frame's own shape: {"type": "resume", "since": "<cursor>"}.
        return ClientFrame("resume", {"since": frame.get("since")}, frame.get("ref"))
    if not isinstance(frame, dict) or not isinstance(frame.get("event"), str):
        raise FrameError("INVALID_FRAME", 'A frame is an object {"event": string, "data": object}.')
    ref = frame.get("ref")
    if ref is not None and not isinstance(ref, str | int):
        raise FrameError("INVALID_FRAME", "ref must be a string or a number.")
    data = frame.get("data", {})
    if not isinstance(data, dict):
        raise FrameError("VALIDATION_ERROR", "data must be an object.")
    return ClientFrame(frame["event"], data, ref)


def group_id_of(data: dict[str, Any]) -> str:
    value = data.get("groupId")
    if not isinstance(value, str):
        invalid("groupId must be a UUID string.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        invalid("groupId must be a UUID string.")


def token_of(data: dict[str, Any]) -> str:
    token = data.get("token")
    if not isinstance(token, str) or not token:
        invalid("token must be a non-empty string.")
    return token


def claims_for(checked: tuple[Any, dict[str, Any]] | None, user_key: str) -> dict[str, Any]:
    """The claims of a new token for an authenticated socket (``checked``: its user and claims, or ``None``
    when it is not valid); it must belong to the socket's user."""
    if checked is None:
        raise FrameError("TOKEN_INVALID", "The token is invalid or expired.")
    if str(checked[0].pk) != user_key:
        raise FrameError("PERMISSION_DENIED", "The token belongs to another user.")
    return checked[1]


def typing_of(data: dict[str, Any]) -> tuple[str, bool]:
    """The group and state of a ``user-typing`` frame."""
    group_id = group_id_of(data)
    is_typing = data.get("isTyping")
    if not isinstance(is_typing, bool):
        invalid("isTyping must be a boolean.")
    return group_id, is_typing


def resume_cursor(data: dict[str, Any]) -> int:
    since = cursor.parse(data.get("since"))
    if since is None:
        invalid("since must be a cursor (a string holding a decimal integer).")
    return since


def subprotocol(scope: dict[str, Any]) -> str | None:
    """The subprotocol the socket is accepted with: ours when the client offered it."""
    return SUBPROTOCOL if SUBPROTOCOL in scope.get("subprotocols", []) else None


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def client_address(scope: dict[str, Any]) -> str | None:
    """The client's IP by the same proxy rule as HTTP (``TRUSTED_PROXY_COUNT``)."""
    request = HttpRequest()
    client = scope.get("client")
    request.META = {
        "REMOTE_ADDR": client[0] if client else "",
        "HTTP_X_FORWARDED_FOR": header(scope, b"x-forwarded-for"),
    }
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def url_since(scope: dict[str, Any]) -> int | None:
    """The ``?since=`` cursor of the socket's URL (resume on connect)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since")
    return cursor.parse(values[0]) if values else None


async def socket_open(*, token: str, socket_id: str, scope: dict[str, Any]) -> services.OpenedSocket | None:
    """Token, socket row and presence in one trip to a thread; ``None`` when the token is not valid."""
    return await db_call(services.socket_open)(
        token=token,
        socket_id=socket_id,
        user_agent=header(scope, b"user-agent"),
        ip_address=client_address(scope),
    )


async def read_after(user_id: UUID | str, since: int) -> StreamPage:
    """The one read every transport makes: the user's stream after the cursor it has delivered.

    Batched with the other reads of this process (realtime.reads).
    """
    return await reader().read_after(user_id, since)


async def read_resume(user_id: UUID | str, since: int | None) -> StreamPage:
    return await db_call(stream_resume)(user_id=user_id, since=since)


def cursor_after(cursor: int, page: StreamPage) -> int:
    """A socket's cursor once it has sent ``page``: the page's, and never backwards except to restart after
    ``resync-required``."""
    return page.cursor if page.resync else max(cursor, page.cursor)


def page_frames(page: StreamPage) -> list[Frame]:
    """What a socket sends for a page: its events, or ``resync-required`` for a lost window."""
    return [frames.resync_required(cursor=page.cursor)] if page.resync else page.events


def leaves_room(event: Frame, user_key: str) -> str | None:
    """The group whose room a socket of ``user_key`` leaves on this event: deleted, or the user left or was
    removed (so the user hears nothing of the group after it), else ``None``."""
    if event["event"] != "group-updated":
        return None
    data = event["data"]
    kind = data["type"]
    if kind == "group-deleted" or (
        kind in ("member-left", "member-removed") and data["data"].get("userId") == user_key
    ):
        return str(data["groupId"])
    return None


def forwards(message: dict[str, Any], rooms: set[str], user_key: str) -> bool:
    """Whether a socket sends an ephemeral frame on: not for a room it left, nor back to its own user."""
    room = message.get("room")
    return (room is None or room in rooms) and message.get("exclude_user") != user_key
