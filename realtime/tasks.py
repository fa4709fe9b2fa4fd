"""Periodic work of the real-time layer."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import sessions_sweep_stale


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3, retry_backoff=True)
def sweep_stale_sessions() -> int:
    """Delete the rows of sockets that stopped heartbeating; idempotent."""
    return sessions_sweep_stale()
