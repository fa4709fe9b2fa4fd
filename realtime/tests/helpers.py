"""Helpers for socket tests: tokens, connected communicators, a recorder of published messages."""

import json
import uuid
from datetime import timedelta
from typing import Any

from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import AuthSession, User
from accounts.tokens import issue_pair
from hucares.asgi import application

ORIGIN = (b"origin", b"http://localhost")


def access_token(user: User, *, lifetime: timedelta | None = None, sid: uuid.UUID | None = None) -> str:
    """A real access token of the user; ``lifetime`` for one that expires soon."""
    sid = sid or uuid.uuid4()
    # A token is honoured only while its session row exists (accounts.tokens).
    AuthSession.objects.get_or_create(
        id=sid,
        defaults={"user": user, "refresh_jti": uuid.uuid4().hex, "expires_at": timezone.now() + timedelta(days=1)},
    )
    if lifetime is None:
        return issue_pair(user=user, session_id=sid).access
    token = AccessToken()
    token.set_exp(lifetime=lifetime)
    for claim, value in {
        "userId": str(user.pk),
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "sid": str(sid),
    }.items():
        token[claim] = value
    return str(token)


class Communicator(WebsocketCommunicator):
    """A test socket whose ``disconnect`` lets the consumer finish its clean-up.

    ``WebsocketCommunicator.disconnect`` cancels the application after one
    second; on a loaded machine that cuts the consumer's ``disconnect``
    (socket row, presence) short. Five seconds is the wait every other
    receive in these tests allows; an application still running after it
    fails the test.
    """

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await super().disconnect(code, timeout)


def communicator(path: str = "/ws/", headers: list[tuple[bytes, bytes]] | None = None) -> Communicator:
    return Communicator(application, path, headers=headers if headers is not None else [ORIGIN])


async def connect(
    user: User, *, token: str | None = None, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[Communicator, dict[str, Any]]:
    """An authenticated socket of ``user`` and its ``connected`` frame."""
    socket = communicator(f"/ws/?token={token or await _token(user)}", headers=headers)
    accepted, _ = await socket.connect()
    assert accepted
    frame = await socket.receive_json_from(timeout=5)
    assert frame["event"] == "connected", frame
    return socket, frame


async def _token(user: User) -> str:
    from channels.db import database_sync_to_async

    return str(await database_sync_to_async(access_token)(user))


# Events that arrive on their own (presence, notifications of the same action)
# in an order the contract does not fix.
BACKGROUND = {"user-online", "user-offline", "notification"}


async def receive_event(
    socket: WebsocketCommunicator, event: str, timeout: float = 5, *, also_skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The next frame named ``event``, skipping background events (and ``also_skip``)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["event"] == event:
            return frame
        assert frame["event"] in BACKGROUND | also_skip, frame


async def send(socket: WebsocketCommunicator, event: str, data: Any = None, ref: Any = None) -> None:
    frame: dict[str, Any] = {"event": event, "data": data if data is not None else {}}
    if ref is not None:
        frame["ref"] = ref
    await socket.send_to(text_data=json.dumps(frame))


async def assert_nothing_more(socket: WebsocketCommunicator, user_id: Any) -> None:
    """Nothing reached ``socket`` (of ``user_id``) that was published before this call.

    Event-driven instead of waiting a while for silence: a marker published
    now to the user's own stream goes through Redis after everything already
    published, and a socket receives its messages in the order Redis sent
    them, so the marker must be the very next frame.
    """
    from realtime.publish import apublish_to_users

    marker = {"event": "test-marker", "data": {"id": uuid.uuid4().hex}}
    assert await apublish_to_users([user_id], marker)
    assert await socket.receive_json_from(timeout=5) == marker
