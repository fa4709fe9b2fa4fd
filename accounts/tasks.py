"""Emails of accounts and the token clean-up, run by Celery.

Each email task issues its own one-time token right before sending, so no
secret travels through the broker. A retry issues a fresh token, which
replaces the one of the failed attempt.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from . import services, tokens
from .models import AuthSession, User

logger = logging.getLogger(__name__)

# SMTP errors are OSErrors; a dead relay or DNS hiccup is worth a few retries,
# 30 s, 60 s, 120 s ... apart (capped at 30 min, with jitter).
EMAIL_RETRY_ON = (OSError,)
EMAIL_MAX_RETRIES = 5


def _send(user: User, template: str, subject: str, link: str) -> None:
    context = {"user": user, "link": link, "frontend_url": settings.FRONTEND_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string(f"accounts/email/{template}.html", context), "text/html")
    message.send()


# SMTP errors are retried with backoff; the task is acknowledged only once done.
# The longest wait between tries stays under the broker's visibility timeout
# (settings: CELERY_BROKER_TRANSPORT_OPTIONS), or the waiting task would be
# handed to a second worker as if the first had died.
email_task = shared_task(
    autoretry_for=EMAIL_RETRY_ON,
    retry_backoff=30,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=EMAIL_MAX_RETRIES,
    acks_late=True,
)


@email_task
def send_verification_email(user_id: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True, email_verified=False).first()
    if user is None:
        return  # deleted, disabled or verified since the email was queued
    token = services.email_verification_issue(user=user)
    link = f"{settings.FRONTEND_URL}/verify-email?token={token}"
    _send(user, "verify_email", "Confirm your HuCares email address", link)


@email_task
def send_password_reset_email(user_id: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    token = services.password_reset_issue(user=user)
    link = f"{settings.FRONTEND_URL}/reset-password?token={token}"
    _send(user, "password_reset", "Reset your HuCares password", link)


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
