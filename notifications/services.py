"""Writes of notifications (CONTRACT §7).

Notifications are created in bulk, once: each carries a ``dedupe_key`` that
the database keeps unique per user, so a task that is retried or runs twice
adds nothing the second time. Each one that was really created is pushed
live as a ``notification`` event after the transaction commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from realtime import events
from realtime.publish import event_message, publish_many, user_group

from .errors import NotificationNotFound
from .models import NOTIFICATION_LIFETIME, Notification
from .selectors import notification_list


@dataclass(frozen=True)
class Draft:
    """A notification to create for one user."""

    user_id: UUID
    dedupe_key: str
    type: str
    title: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


def push_live(notifications: Iterable[Notification]) -> None:
    """Each notification to its owner's sockets (called after commit)."""
    publish_many(
        (
            user_group(item.user_id),
            event_message(
                events.notification(
                    id=item.pk,
                    type=item.type,
                    title=item.title,
                    message=item.message,
                    data=item.data,
                    created_at=item.created_at,
                )
            ),
        )
        for item in notifications
    )


def notifications_create(*, drafts: list[Draft], new_keys: bool = False) -> list[Notification]:
    """Create the drafts whose ``(user, dedupe_key)`` is new; return those that were created.

    ``new_keys``: the caller knows no notification can have these keys yet
    (they name something made in the current transaction), so the rows are
    inserted without the conflict check and the query that finds which were
    skipped.
    """
    if not drafts:
        return []
    now = timezone.now()
    rows = [
        Notification(
            user_id=d.user_id,
            type=d.type,
            title=d.title[:200],
            message=d.message[:1000],
            data=d.data,
            dedupe_key=d.dedupe_key,
            created_at=now,
            expires_at=now + NOTIFICATION_LIFETIME,
        )
        for d in drafts
    ]
    # No savepoint: inside a caller's transaction (a check-in) a failure here fails it all anyway.
    with transaction.atomic(savepoint=False):
        if new_keys:
            created = Notification.objects.bulk_create(rows)
        else:
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            # With ignore_conflicts the rows that hit an existing key were skipped;
            # their client-made ids are the ones not in the table.
            created_ids = set(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
            created = [row for row in rows if row.pk in created_ids]
        transaction.on_commit(lambda: push_live(created))
    return created


def _own(user: User, notification_id: UUID | str) -> Notification:
    notification = notification_list(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotificationNotFound()
    return notification


def notification_mark_read(*, user: User, notification_id: UUID | str) -> Notification:
    with transaction.atomic():
        notification = _own(user, notification_id)
        if not notification.is_read:
            notification.is_read, notification.read_at = True, timezone.now()
            notification.save(update_fields=["is_read", "read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification read; returns how many changed."""
    with transaction.atomic():
        return notification_list(user=user, unread_only=True).update(is_read=True, read_at=timezone.now())


def notification_delete(*, user: User, notification_id: UUID | str) -> None:
    with transaction.atomic():
        _own(user, notification_id).delete()


def notifications_delete_expired() -> int:
    """Remove notifications past their ``expires_at`` (90 days after creation)."""
    with transaction.atomic():
        deleted, _ = Notification.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
