"""How and when each notification reached its owner, recorded on its row and counted in metrics.

- socket: once its event is committed, the notifications of owners with a
  live socket or a waiting long-poll (presence) are marked ``pushed_at``; the
  others read it from their event stream later, which is not a push.
- email: the outbox announces each attempt of an email
  (:data:`hucares.core.outbox.email_attempted`); the notifications it was
  written for (``params["notificationIds"]``) get ``emailed_at`` once the
  mail server accepted it, or the attempt's error in ``email_error``.

Both are counted in ``notification_deliveries_total{channel, outcome}``.
"""

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import redis
from django.utils import timezone

from hucares.core.metrics import NOTIFICATION_DELIVERIES
from hucares.core.models import EmailStatus
from realtime.presence import online_user_ids

from .models import Notification

logger = logging.getLogger(__name__)

# The outbox's status after an attempt -> the outcome counted for each of the email's notifications.
EMAIL_OUTCOMES = {EmailStatus.SENT: "delivered", EmailStatus.PENDING: "retrying", EmailStatus.FAILED: "failed"}


def notifications_record_push(*, created: Iterable[tuple[UUID, UUID]]) -> int:
    """Mark the ``(notification id, owner id)`` pairs whose owner is connected as pushed now; returns how many.

    Called after the notifications' transaction committed, when their events
    are published. Without presence (Redis down) nobody counts as reached:
    the events wait in the streams.
    """
    pairs = list(created)
    if not pairs:
        return 0
    try:
        online = online_user_ids({user_id for _, user_id in pairs})
    except redis.RedisError:
        return 0
    pushed = [pk for pk, user_id in pairs if user_id in online]
    if pushed:
        Notification.objects.filter(pk__in=pushed, pushed_at__isnull=True).update(pushed_at=timezone.now())
        NOTIFICATION_DELIVERIES.labels(channel="socket", outcome="delivered").inc(len(pushed))
    return len(pushed)


def notifications_record_email(*, notification_ids: list[str], status: str, error: str) -> int:
    """Record one attempt at the email of these notifications; returns how many rows it changed."""
    outcome = EMAIL_OUTCOMES.get(EmailStatus(status)) if status in EmailStatus.values else None
    if outcome is None or not notification_ids:
        return 0  # cancelled: nobody is left to reach
    rows = Notification.objects.filter(pk__in=notification_ids)
    if outcome == "delivered":
        changed = rows.update(emailed_at=timezone.now(), email_error="")
    else:
        changed = rows.update(email_error=error[:500])
    NOTIFICATION_DELIVERIES.labels(channel="email", outcome=outcome).inc(changed)
    return changed


def on_email_attempted(sender: Any, *, email: Any, status: str, error: str, **kwargs: Any) -> None:
    ids = email.params.get("notificationIds") if isinstance(email.params, dict) else None
    if ids:
        notifications_record_email(notification_ids=[str(pk) for pk in ids], status=status, error=error)
