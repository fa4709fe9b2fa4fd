"""Writes of the real-time layer: socket rows and presence announcements."""

import logging
from collections import defaultdict
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
from groups.selectors import co_member_ids

from . import frames, presence
from .models import UserSession
from .publish import publish_to_users
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


def session_close(*, socket_id: str) -> None:
    UserSession.objects.filter(socket_id=socket_id).delete()


def socket_arrived(*, user_id: UUID | str, socket_id: str) -> set[UUID]:
    """Count a connected socket in presence; who to tell ``user-online`` (nobody unless it is the user's first)."""
    if not presence.socket_connected(user_id, socket_id):
        return set()
    return co_member_ids(user_id=user_id)


def socket_left(*, user_id: UUID | str, socket_id: str) -> set[UUID]:
    """Drop a closed socket's row and presence; who to tell ``user-offline`` (nobody unless it was the last)."""
    session_close(socket_id=socket_id)
    if not presence.socket_gone(user_id, socket_id):
        return set()
    return co_member_ids(user_id=user_id)


def stale_after() -> timedelta:
    """A row is stale once its socket would have lapsed even with the slowest heartbeat write."""
    return timedelta(seconds=settings.REALTIME_PRESENCE_TTL + settings.REALTIME_HEARTBEAT_WRITE_INTERVAL)


def announce_presence(*, user_id: UUID | str, online: bool) -> None:
    """``user-online`` / ``user-offline`` to the personal stream of everyone sharing a group."""
    event = frames.user_online(user_id=user_id) if online else frames.user_offline(user_id=user_id)
    publish_to_users(co_member_ids(user_id=user_id), event)


def sessions_sweep_stale() -> int:
    """Delete rows of sockets that stopped heartbeating (a dead process) and announce who went offline."""
    with transaction.atomic():
        rows = list(stale_sessions(before=timezone.now() - stale_after()).select_for_update(skip_locked=True))
        UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    sockets: dict[UUID, list[str]] = defaultdict(list)
    for row in rows:
        sockets[row.user_id].append(row.socket_id)
    for user_id, socket_ids in sockets.items():
        went_offline = [presence.socket_gone(user_id, socket_id) for socket_id in socket_ids]
        if any(went_offline):
            announce_presence(user_id=user_id, online=False)
    if rows:
        logger.info("swept %d stale socket(s)", len(rows))
    return len(rows)
