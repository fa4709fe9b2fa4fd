"""What the account emails say, built when the outbox sends them (:mod:`hucares.core.outbox`).

Each issues its own one-time token right before the email goes out, so no
secret is stored with the queued email; a retry issues a fresh token, which
replaces the one of the failed attempt.
"""

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string

from hucares.core.models import OutboundEmail
from hucares.core.outbox import Mail, renderer

from . import services
from .models import User

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"


def _active(email: OutboundEmail) -> QuerySet[User]:
    return User.objects.filter(pk=email.user_id, is_active=True) if email.user_id else User.objects.none()


def _mail(user: User, template: str, subject: str, link: str) -> Mail:
    context = {"user": user, "link": link, "frontend_url": settings.FRONTEND_URL}
    return Mail(
        to=user.email,
        subject=subject,
        body=render_to_string(f"accounts/email/{template}.txt", context),
        html=render_to_string(f"accounts/email/{template}.html", context),
    )


@renderer(VERIFY_EMAIL)
def verification_email(email: OutboundEmail) -> Mail | None:
    user = _active(email).filter(email_verified=False).first()
    if user is None:
        return None  # deleted, disabled or verified since the email was queued
    token = services.email_verification_issue(user=user)
    link = f"{settings.FRONTEND_URL}/verify-email?token={token}"
    return _mail(user, "verify_email", "Confirm your HuCares email address", link)


@renderer(PASSWORD_RESET)
def password_reset_email(email: OutboundEmail) -> Mail | None:
    user = _active(email).first()
    if user is None:
        return None
    token = services.password_reset_issue(user=user)
    link = f"{settings.FRONTEND_URL}/reset-password?token={token}"
    return _mail(user, "password_reset", "Reset your HuCares password", link)
