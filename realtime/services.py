"""Writes of the real-time layer: socket rows and presence announcements."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import TokenInvalid
from accounts.models import User
from accounts.tokens import user_for_access_token
from groups.selectors import co_member_ids, co_member_ids_of
from streams import publish as layer

from . import frames, presence
from .models import UserSession
from .publish import Message, event_message, user_group
from .selectors import stale_sessions

logger = logging.getLogger(__name__)


def session_open(*, user_id: UUID | str, socket_id: str, user_agent: str, ip_address: str | None) -> UserSession:
    """Record an open socket (one ``user_sessions`` row per socket)."""
    return UserSession.objects.create(
        user_id=user_id, socket_id=socket_id, user_agent=user_agent[:512], ip_address=ip_address
    )


def token_user(token: str) -> tuple[User, dict[str, Any]] | None:
    """The user and claims of a valid, unrevoked access token, or ``None``."""
    try:
        return user_for_access_token(token)
    except TokenInvalid:
        return None


@dataclass(frozen=True)
class OpenedSocket:
    user: User
    claims: dict[str, Any]
    session: UserSession
    # Who to tell ``user-online`` (empty unless this is the user's first socket).
    audience: set[UUID]


def socket_open(*, token: str, socket_id: str, user_agent: str, ip_address: str | None) -> OpenedSocket | None:
    """Start a socket from its access token: check the token, record the row, count it in presence.

    ``None`` for a bad, expired or revoked token (nothing is recorded then).
    One call so that a handshake makes one trip to a thread instead of one
    per step; the steps are those of :func:`session_open` and :func:`socket_arrived`.
    """
    checked = token_user(token)
    if checked is None:
        return None
    user, claims = checked
    session = session_open(user_id=user.pk, socket_id=socket_id, user_agent=user_agent, ip_address=ip_address)
    audience = socket_arrived(user_id=user.pk, socket_id=socket_id)
    return OpenedSocket(user=user, claims=claims, session=session, audience=audience)


def session_heartbeat(*, socket_id: str) -> None:
    UserSession.objects.filter(socket_id=socket_id).update(last_heartbeat=timezone.now())


def socket_arrived(*, user_id: UUID | str, socket_id: str) -> set[UUID]:
    """Count a connected socket in presence; who to tell ``user-online`` (nobody unless it is the user's first)."""
    if not presence.socket_connected(user_id, socket_id):
        return set()
    return co_member_ids(user_id=user_id)


def sockets_left(sockets: Sequence[tuple[UUID | str, str]]) -> list[tuple[str, Message]]:
    """Drop many closed sockets (``(user_id, socket_id)``) at once; the ``user-offline`` sends that follow.

    One DELETE for every row, presence in one Redis round trip, one co-member
    query for every user who went offline. Each co-member hears once of each
    such user, except co-members who went offline in the same batch (no
    socket is left to tell). The rows go first: with Redis unreachable this
    raises after them, and presence lapses on its own after ``REALTIME_PRESENCE_TTL``.
    """
    if not sockets:
        return []
    UserSession.objects.filter(socket_id__in=[socket_id for _, socket_id in sockets]).delete()
    gone = presence.sockets_gone(list(sockets))
    offline = list(dict.fromkeys(UUID(str(user_id)) for (user_id, _), last in zip(sockets, gone, strict=True) if last))
    return offline_sends(offline)


def offline_sends(offline: Sequence[UUID]) -> list[tuple[str, Message]]:
    """``user-offline`` of each of these users to each of their co-members not among them (one query)."""
    audiences = co_member_ids_of(user_ids=offline)
    gone = set(offline)
    sends: list[tuple[str, Message]] = []
    for user_id in offline:
        message = event_message(frames.user_offline(user_id=user_id))
        sends.extend((user_group(member), message) for member in sorted(audiences.get(user_id, set()) - gone, key=str))
    return sends


def stale_after() -> timedelta:
    """A row is stale once its socket would have lapsed even with the slowest heartbeat write."""
    return timedelta(seconds=settings.REALTIME_PRESENCE_TTL + settings.REALTIME_HEARTBEAT_WRITE_INTERVAL)


def sessions_sweep_stale() -> int:
    """Delete rows of sockets that stopped heartbeating (a dead process) and announce who went offline.

    The backstop of :mod:`realtime.departures`: a process killed before it
    flushed its closed sockets leaves their rows, and its open ones, here.
    """
    with transaction.atomic():
        rows = list(stale_sessions(before=timezone.now() - stale_after()).select_for_update(skip_locked=True))
        UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    if rows:
        gone = presence.sockets_gone([(row.user_id, row.socket_id) for row in rows])
        offline = list(dict.fromkeys(row.user_id for row, last in zip(rows, gone, strict=True) if last))
        layer.send_soon(offline_sends(offline))
        logger.info("swept %d stale socket(s)", len(rows))
    return len(rows)
