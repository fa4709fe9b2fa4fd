"""Writes of notifications.

Notifications are created in bulk, once: each carries a ``dedupe_key`` that
the database keeps unique per user, so a task that is retried or runs twice
adds nothing the second time. Each one that was really created goes into its
owner's event stream in the same transaction and is pushed live as a
``notification`` event after it commits; reads and deletions reach the
owner's other devices the same way.
"""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.expressions import Combinable
from django.utils import timezone

from accounts.models import User
from hucares.core.db import RandomUUID, concrete_field, insert_from_select
from streams import events
from streams.events import Frame
from streams.services import stream_deliver

from .delivery import notifications_record_push
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


def live_event(notification: Notification, pk: UUID) -> Frame:
    """The ``notification`` event of ``notification``, under the id ``pk``."""
    return events.notification(
        id=pk,
        type=notification.type,
        title=notification.title,
        message=notification.message,
        data=notification.data,
        created_at=notification.created_at,
    )


def notifications_create(*, drafts: list[Draft]) -> list[Notification]:
    """Create the drafts whose ``(user, dedupe_key)`` is new; return those that were created."""
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
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        # With ignore_conflicts the rows that hit an existing key were skipped;
        # their client-made ids are the ones not in the table.
        created_ids = set(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
        created = [row for row in rows if row.pk in created_ids]
        # In the owners' event streams with the rows; sent live after commit.
        stream_deliver(deliveries=[(row.user_id, live_event(row, row.pk)) for row in created])
        _record_push_on_commit([(row.pk, row.user_id) for row in created])
    return created


def _record_push_on_commit(created: list[tuple[UUID, UUID]]) -> None:
    # Robust: a record that cannot be written must not fail the change that was committed.
    if created:
        transaction.on_commit(lambda: notifications_record_push(created=created), robust=True)


# The columns a notification made by notifications_create_for_each copies from its template.
COPIED = ("type", "title", "message", "data", "is_read", "created_at", "expires_at", "dedupe_key")


def notifications_create_for_each(
    *, recipients: QuerySet[Any], dedupe_key: str, type: str, title: str, message: str, data: dict[str, Any]
) -> int:
    """The same notification for the ``user_id`` of each row of ``recipients``, in one ``INSERT … SELECT``;
    returns how many were created.

    The database builds the rows; only their ids come back, for the live push
    after commit. For a ``dedupe_key`` naming something made in the current
    transaction (a check-in): no recipient can have it yet, so nothing looks
    for conflicts.
    """
    now = timezone.now()
    template = Notification(
        type=type,
        title=title[:200],
        message=message[:1000],
        data=data,
        dedupe_key=dedupe_key,
        created_at=now,
        expires_at=now + NOTIFICATION_LIFETIME,
    )
    columns: dict[str, Combinable] = {
        "id": RandomUUID(),
        "user": F("user_id"),
        **{name: Value(getattr(template, name), output_field=concrete_field(Notification, name)) for name in COPIED},
    }
    # No savepoint: inside a caller's transaction (a check-in) a failure here fails it all anyway.
    with transaction.atomic(savepoint=False):
        created = insert_from_select(Notification, recipients, columns, returning=["id", "user"])
        stream_deliver(deliveries=[(user_id, live_event(template, pk)) for pk, user_id in created])
        _record_push_on_commit([(pk, user_id) for pk, user_id in created])
    return len(created)


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
            # The user's other devices mark it read too.
            stream_deliver(deliveries=[(user.pk, events.notification_read(id=notification.pk))])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification read; returns how many changed."""
    read_at = timezone.now()
    with transaction.atomic():
        updated = notification_list(user=user, unread_only=True).update(is_read=True, read_at=read_at)
        if updated:
            stream_deliver(deliveries=[(user.pk, events.notifications_read_all(read_at=read_at))])
    return updated


def notification_delete(*, user: User, notification_id: UUID | str) -> None:
    with transaction.atomic():
        notification = _own(user, notification_id)
        deleted_id = notification.pk
        notification.delete()
        stream_deliver(deliveries=[(user.pk, events.notification_deleted(id=deleted_id))])


def notifications_delete_expired() -> int:
    """Remove notifications past their ``expires_at`` (90 days after creation)."""
    with transaction.atomic():
        deleted, _ = Notification.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
