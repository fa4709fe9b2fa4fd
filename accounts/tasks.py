"""The token clean-up, run by Celery beat. Account emails go through the outbox (:mod:`accounts.emails`)."""

import logging

from celery import shared_task
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from . import tokens
from .models import AuthSession

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def cleanup_expired_tokens() -> int:
    """Drop expired outstanding refresh tokens and sessions no token can use any more.

    A revoked session is kept for one refresh lifetime: until then a token of
    its family may still be presented, and must be recognised as reuse.
    """
    call_command("flushexpiredtokens")
    now = timezone.now()
    cutoff = now - tokens.refresh_lifetime()
    deleted, _ = AuthSession.objects.filter(Q(expires_at__lt=now) | Q(revoked_at__lt=cutoff)).delete()
    logger.info("removed %d auth sessions", deleted)
    return deleted
