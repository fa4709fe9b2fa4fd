"""Notification fan-out for domain events, received inside the change's transaction: group events queue a
task once it commits; a check-in's notifications are written in it.

Each receiver picks the ``event_id`` that makes the task's notifications
unique, then queues the task once the current transaction (if any) commits.
Queueing is robust: with the broker (Redis) down the change is committed and
answered as usual, and only that change's notifications are lost (logged).
"""

import uuid
from typing import Any
from uuid import UUID

from django.db import transaction
from django.dispatch import receiver

from accounts.models import User
from checkins.models import CheckIn
from checkins.signals import checkin_submitted
from groups import signals as group_signals
from groups.models import Group, GroupMembership
from hucares.core.outbox import email_attempted

from . import tasks
from .delivery import on_email_attempted
from .fanout import notify_friend_check_in


def _id(value: Any) -> str | None:
    return str(value.pk if hasattr(value, "pk") else value) if value is not None else None


@receiver(checkin_submitted, dispatch_uid="notifications.checkin_submitted")
def on_checkin_submitted(sender: Any, *, check_in: CheckIn, **kwargs: Any) -> None:
    # The notifications commit or roll back with the check-in, and no task per check-in.
    notify_friend_check_in(check_in=check_in)


@receiver(group_signals.member_joined, dispatch_uid="notifications.member_joined")
def on_member_joined(sender: Any, *, group: Group, membership: GroupMembership, **kwargs: Any) -> None:
    args = (str(group.pk), str(membership.user_id), True, str(uuid.uuid4()))
    transaction.on_commit(lambda: tasks.notify_membership_change.delay(*args), robust=True)


@receiver(group_signals.member_left, dispatch_uid="notifications.member_left")
def on_member_left(sender: Any, *, group: Group, user: User, **kwargs: Any) -> None:
    args = (str(group.pk), str(user.pk), False, str(uuid.uuid4()))
    transaction.on_commit(lambda: tasks.notify_membership_change.delay(*args), robust=True)


@receiver(group_signals.role_changed, dispatch_uid="notifications.role_changed")
def on_role_changed(
    sender: Any, *, group: Group, membership: GroupMembership, old_role: str, by: Any = None, **kwargs: Any
) -> None:
    args = (str(membership.pk), old_role, _id(by), str(uuid.uuid4()))
    transaction.on_commit(lambda: tasks.notify_role_changed.delay(*args), robust=True)


@receiver(group_signals.group_deleted, dispatch_uid="notifications.group_deleted")
def on_group_deleted(
    sender: Any, *, group_id: UUID, group_name: str, member_ids: list[UUID], by: Any = None, **kwargs: Any
) -> None:
    args = (str(group_id), group_name, [str(m) for m in member_ids], _id(by), str(uuid.uuid4()))
    transaction.on_commit(lambda: tasks.notify_group_deleted.delay(*args), robust=True)


@receiver(group_signals.email_invited, dispatch_uid="notifications.email_invited")
def on_email_invited(sender: Any, *, group: Group, email: str, by: User, **kwargs: Any) -> None:
    args = (str(group.pk), email, str(by.pk))
    transaction.on_commit(lambda: tasks.send_email_invitation.delay(*args), robust=True)


@receiver(group_signals.member_invited, dispatch_uid="notifications.member_invited")
def on_member_invited(sender: Any, *, group: Group, invitee: User, by: User, **kwargs: Any) -> None:
    args = (str(group.pk), str(invitee.pk), str(by.pk), str(uuid.uuid4()))
    transaction.on_commit(lambda: tasks.notify_group_invitation.delay(*args), robust=True)


# The outcome of each email written for notifications, on their rows.
email_attempted.connect(on_email_attempted, dispatch_uid="notifications.email_attempted")
