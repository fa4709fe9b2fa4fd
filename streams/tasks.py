"""Periodic work of the event stream."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import streams_trim


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3, retry_backoff=True)
def trim_event_streams() -> int:
    """Drop events past each user's window; idempotent."""
    return streams_trim()
