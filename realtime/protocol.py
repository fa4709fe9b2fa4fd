"""The socket's protocol steps as plain functions: frame parsing, the frame budget, the handshake's
facts (client address, resume cursor) and reading the stream after a cursor.

The consumer (:mod:`realtime.consumers`) strings them together; each step is
testable without a socket.
"""

import ipaddress
import json
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
from streams.selectors import StreamPage, stream_read, stream_resume

from . import frames
from .db import db_call

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


def resume_cursor(data: dict[str, Any]) -> int:
    since = cursor.parse(data.get("since"))
    if since is None:
        invalid("since must be a cursor (a string holding a decimal integer).")
    return since


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


async def read_after(user_id: UUID | str, since: int) -> StreamPage:
    """The one read every transport makes: the user's stream after the cursor it has delivered."""
    return await db_call(stream_read)(user_id=user_id, since=since)


async def read_resume(user_id: UUID | str, since: int | None) -> StreamPage:
    return await db_call(stream_resume)(user_id=user_id, since=since)


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
