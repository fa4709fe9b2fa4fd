"""Email backends for outbox tests: a mail server that is down, as Django's SMTP backend reports it."""

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class DownBackend(BaseEmailBackend):
    """Every send fails the way an unreachable relay does."""

    attempts = 0

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        DownBackend.attempts += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
