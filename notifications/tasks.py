"""Celery tasks of notifications: idempotent (dedupe keys), acknowledged late, retried a bounded number of times."""

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import fanout
from .reminders import weekly_reminders_send
from .services import notifications_delete_expired

# Transient database trouble is worth a retry; anything else is a bug to see in the logs.
RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 3,
    "retry_backoff": True,
}


@shared_task(**RETRY)
def notify_membership_change(group_id: str, user_id: str, joined: bool, event_id: str) -> int:
    return fanout.notify_membership_change(group_id=group_id, user_id=user_id, joined=joined, event_id=event_id)


@shared_task(**RETRY)
def notify_role_changed(membership_id: str, old_role: str, by_id: str | None, event_id: str) -> int:
    return fanout.notify_role_changed(membership_id=membership_id, old_role=old_role, by_id=by_id, event_id=event_id)


@shared_task(**RETRY)
def notify_group_deleted(
    group_id: str, group_name: str, member_ids: list[str], by_id: str | None, event_id: str
) -> int:
    return fanout.notify_group_deleted(
        group_id=group_id, group_name=group_name, member_ids=member_ids, by_id=by_id, event_id=event_id
    )


@shared_task(**RETRY)
def notify_group_invitation(group_id: str, invitee_id: str, by_id: str, event_id: str) -> int:
    return fanout.notify_group_invitation(group_id=group_id, invitee_id=invitee_id, by_id=by_id, event_id=event_id)


@shared_task(**RETRY)
def send_email_invitation(group_id: str, email: str, by_id: str) -> None:
    """The invitation to register of an address that had no account when it was invited."""
    fanout.invite_address(group_id=group_id, email=email, by_id=by_id)


@shared_task(**RETRY)
def send_weekly_reminders() -> int:
    """Hourly: reminders for every user whose local reminder time has come."""
    return weekly_reminders_send(now=timezone.now())


@shared_task(**RETRY)
def delete_expired_notifications() -> int:
    return notifications_delete_expired()
