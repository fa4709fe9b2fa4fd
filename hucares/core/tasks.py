"""Celery tasks of the core: the idempotency-key purge here, the outbox's beside the code they run."""

from celery import shared_task

from .idempotency import idempotency_keys_purge
from .outbox import dispatch_due_emails, purge_finished_emails, send_email

__all__ = ["dispatch_due_emails", "purge_finished_emails", "purge_idempotency_keys", "send_email"]


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
