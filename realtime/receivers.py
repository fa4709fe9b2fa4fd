"""What the transport does on domain signals: close the sockets of a revoked session.

Stream events are appended by ``streams``' receivers; the transport only
reads them. Connected in :class:`realtime.apps.RealtimeConfig`.
"""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.dispatch import receiver

from accounts import signals as account_signals

from .publish import revoke_sessions


@receiver(account_signals.session_revoked, dispatch_uid="realtime.session_revoked")
def on_session_revoked(sender: Any, *, user_id: UUID, session_ids: list[str], **kwargs: Any) -> None:
    # Sent inside the revoking transaction: the sockets close (4401) on whichever
    # process holds them once it commits, so a rolled-back revocation closes nothing.
    transaction.on_commit(lambda: revoke_sessions(user_id, session_ids))
