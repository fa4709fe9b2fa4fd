"""``GET /api/v1/events?since=&wait=``: the event stream for clients without a socket.

The same cursors as the socket's frames, so a client can switch transport at
any time. Without ``since`` the answer comes at once, with no events and the
current cursor to start from. With ``since`` and nothing newer, the request
waits up to ``wait`` seconds: subscribed to the user's channel-layer group,
so the first event committed for the user wakes it and it reads the stream
again; nothing polls the database while it waits.

Daphne serves this path through :func:`events_app`, a plain ASGI
application: a waiting request is a coroutine and a Redis subscription, not
a worker or a thread, so a thousand waiting clients cost the API nothing.
The DRF view in ``realtime.api`` documents the endpoint and serves it when a
request reaches Django (the embedded default under a WSGI server, tests).
"""

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from accounts.errors import TokenInvalid
from hucares.core.context import choose_request_id, request_id_var
from hucares.core.envelope import envelope_meta, error_envelope
from hucares.core.errors import ApplicationError, ValidationFailed

from . import presence, services
from .db import db_call
from .errors import NotAuthenticated, ResyncRequired
from .publish import user_group
from .selectors import StreamPage, stream_read, stream_resume

logger = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/events"
# While the channel layer is unreachable a waiting request reads the stream this often instead.
DEGRADED_POLL_INTERVAL = 1.0


def parse_query(*, since: str | None, wait: str | None) -> tuple[int | None, float]:
    """``since`` (a cursor, or absent) and ``wait`` (seconds, 0 to ``EVENT_POLL_MAX_WAIT``)."""
    cursor = None
    if since is not None and since != "":
        if not since.isascii() or not since.isdigit() or len(since) > 18:
            raise ValidationFailed.for_field("since", "since must be a cursor (a decimal integer).")
        cursor = int(since)
    seconds = 0.0
    if wait is not None and wait != "":
        try:
            seconds = float(wait)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= settings.EVENT_POLL_MAX_WAIT:
            limit = f"{settings.EVENT_POLL_MAX_WAIT:g}"
            raise ValidationFailed.for_field("wait", f"wait must be a number of seconds from 0 to {limit}.")
    return cursor, seconds


async def _read(user_id: UUID | str, since: int) -> StreamPage:
    return await db_call(stream_read)(user_id=user_id, since=since)


async def events_wait(*, user_id: UUID | str, since: int | None, wait: float) -> StreamPage:
    """The user's events after ``since``, waiting up to ``wait`` seconds for the first one."""
    if since is None or wait <= 0:
        return await db_call(stream_resume)(user_id=user_id, since=since)
    deadline = time.monotonic() + wait
    layer = get_channel_layer()
    channel = group = None
    try:
        if layer is not None:
            channel, group = await layer.new_channel("longpoll."), user_group(user_id)
            # Counted among the user's listeners first, as a socket is: stream
            # events are published only to users who have one (realtime.services).
            await sync_to_async(presence.socket_connected, thread_sensitive=False)(user_id, channel)
            await layer.group_add(group, channel)
    except Exception as exc:  # noqa: BLE001 - a broken layer degrades to reading the stream now and then
        logger.warning("long-poll without wake-ups: %s: %s", type(exc).__name__, exc)
        layer = None
    try:
        # Read only once subscribed: an event committed before that is found here, one after wakes the wait.
        page = await _read(user_id, since)
        while not page.events and not page.resync and (remaining := deadline - time.monotonic()) > 0:
            layer = await _wake_up(layer, channel, remaining)
            page = await _read(user_id, since)
        return page
    finally:
        if channel is not None:
            await _stop_listening(user_id, channel)
        if layer is not None and channel is not None and group is not None:
            await _leave(layer, group, channel)


async def _stop_listening(user_id: UUID | str, channel: str) -> None:
    # A waiting poll is present as a socket is, without the user-online a socket announces.
    try:
        await sync_to_async(presence.socket_gone, thread_sensitive=False)(user_id, channel)
    except Exception:  # the entry lapses by itself after REALTIME_PRESENCE_TTL
        logger.warning("long-poll left presence late", exc_info=True)


async def _wake_up(layer: Any, channel: str | None, remaining: float) -> Any:
    """Return at the next message for the user (any event may be a stream event), or at the deadline.

    The layer, or ``None`` once it failed (then the wait reads the stream every
    ``DEGRADED_POLL_INTERVAL`` seconds until the deadline).
    """
    if layer is None or channel is None:
        await asyncio.sleep(min(remaining, DEGRADED_POLL_INTERVAL))
        return None
    try:
        async with asyncio.timeout(remaining):
            await layer.receive(channel)
    except TimeoutError:
        pass
    except Exception as exc:  # noqa: BLE001 - as in events_wait
        logger.warning("long-poll lost its wake-ups: %s: %s", type(exc).__name__, exc)
        return None
    return layer


async def _leave(layer: Any, group: str, channel: str) -> None:
    try:
        async with asyncio.timeout(settings.REALTIME_PUBLISH_TIMEOUT):
            await layer.group_discard(group, channel)
    except Exception:  # the group entry expires by itself
        logger.warning("long-poll left its group late", exc_info=True)


def page_data(page: StreamPage) -> dict[str, Any]:
    """The ``data`` of the answer; raises ``RESYNC_REQUIRED`` for a page that needs a refetch."""
    if page.resync:
        raise ResyncRequired(details={"cursor": str(page.cursor)})
    return {"events": page.events, "cursor": str(page.cursor)}


# --- the ASGI application daphne serves the path with ------------------------------------


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _bearer(scope: dict[str, Any]) -> str | None:
    value = _header(scope, b"authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def _answer(scope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if scope.get("method") != "GET":
        return 405, error_envelope("METHOD_NOT_ALLOWED", "Only GET is allowed here.")
    token = _bearer(scope)
    if token is None:
        raise NotAuthenticated(headers={"WWW-Authenticate": 'Bearer realm="api"'})
    checked = await db_call(services.token_user)(token)
    if checked is None:
        raise TokenInvalid(headers={"WWW-Authenticate": 'Bearer realm="api"'})
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    since, wait = parse_query(since=query.get("since", [None])[0], wait=query.get("wait", [None])[0])
    page = await events_wait(user_id=checked[0].pk, since=since, wait=wait)
    return 200, {"success": True, "data": page_data(page), "meta": envelope_meta()}


async def events_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Serve ``GET /api/v1/events`` without Django's request cycle (module docstring)."""
    request_id = choose_request_id(_header(scope, b"x-request-id"))
    token = request_id_var.set(request_id)
    headers: dict[str, str] = {}
    try:
        status, body = await _answer(scope)
    except ApplicationError as exc:
        status, body, headers = exc.status, error_envelope(exc.code, exc.detail_message, exc.details), exc.headers
    finally:
        request_id_var.reset(token)
    payload = json.dumps(body, separators=(",", ":")).encode()
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-request-id", request_id.encode()),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        (b"x-content-type-options", b"nosniff"),
        *((name.lower().encode(), value.encode()) for name, value in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": payload})


def with_event_polling(application: Any) -> Any:
    """``application`` with ``GET /api/v1/events`` served by :func:`events_app`."""

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").rstrip("/") == EVENTS_PATH:
            await events_app(scope, receive, send)
            return
        await application(scope, receive, send)

    return route
