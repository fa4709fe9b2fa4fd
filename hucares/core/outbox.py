"""Emails as units of work of their own: the outbox.

An email sent by a task after its cause committed is lost when the worker
dies between the two, and sent twice when a retried task cannot tell whether
it went out. Here every email is a row (:class:`OutboundEmail`) written in
the transaction of its cause. A sender claims the row with one conditional
``UPDATE`` that only one sender can win, sends, and records the outcome:

- sent: ``status = sent`` and ``sent_at``; nobody claims it again;
- failed: the error and the next attempt time (backing off), tried again by
  :func:`emails_dispatch` until :data:`MAX_ATTEMPTS`, then ``failed``;
- interrupted (the worker was killed mid-send): the claim expires after
  :data:`CLAIM_LEASE`, longer than a send may run, and the next dispatch
  (every :data:`DISPATCH_INTERVAL`) sends it: within two minutes of the crash.

Only a worker killed after the mail server accepted the message and before
the row recorded it can cause a second copy; each message carries a
``Message-ID`` made from its row, so that copy is recognisably the same one.
What an email says is built at send time by the renderer registered for its
kind (:func:`renderer`), so one-time links are made fresh and no secret is
stored in the row.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from .models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

# One send is bounded: the SMTP connection times out (``EMAIL_TIMEOUT``) and
# Celery kills a send task at SEND_TIME_LIMIT. The claim outlives that, so a
# live sender always ends (or is killed) before anyone may take its email
# over; and it is short, so that with the dispatch every DISPATCH_INTERVAL the
# email of a crashed sender goes out again within two minutes of the crash.
SEND_TIME_LIMIT = 40
CLAIM_LEASE = timedelta(seconds=SEND_TIME_LIMIT + 5)
# The beat schedule's interval of dispatch_due_emails (settings; a test keeps them equal).
DISPATCH_INTERVAL = timedelta(seconds=30)
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
DISPATCH_BATCH = 500
# Finished emails are kept this long for operators following one up, then purged.
RETENTION = timedelta(days=30)


# Sent after each attempt is recorded, with ``email`` (the row as sent),
# ``status`` (sent, pending: to be tried again, failed: given up, cancelled)
# and ``error`` (empty unless the attempt failed): for whoever records
# deliveries of their own (a notification's email).
email_attempted = Signal()


@dataclass(frozen=True)
class Mail:
    """What an email says, built by its kind's renderer."""

    to: str
    subject: str
    body: str
    html: str | None = None


Renderer = Callable[[OutboundEmail], Mail | None]
_renderers: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that builds the message of an email of ``kind``.

    It runs at send time, may write (issue a one-time token), and returns
    ``None`` when there is nothing to send any more (the account is gone).
    """

    def register(function: Renderer) -> Renderer:
        _renderers[kind] = function
        return function

    return register


def email_enqueue(
    *, kind: str, user: Any = None, to_address: str = "", params: dict[str, Any] | None = None, dedupe_key: str = ""
) -> OutboundEmail | None:
    """Write an email in the current transaction; it is sent once that commits.

    With a ``dedupe_key`` already used, nothing is written and ``None`` is returned.
    """
    email = OutboundEmail(
        kind=kind,
        user=user,
        to_address=to_address or getattr(user, "email", ""),
        params=params or {},
        dedupe_key=dedupe_key,
    )
    try:
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    email_id = str(email.pk)
    # Robust: should the broker be down, the request that caused the email still succeeds, and the
    # periodic dispatch sends the email later.
    transaction.on_commit(lambda: send_email.delay(email_id), robust=True)
    return email


def _claimable(now: Any) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def email_claim(*, email_id: UUID | str) -> UUID | None:
    """Take the email for one attempt; ``None`` when it is sent, given up, not due or held by another sender.

    One ``UPDATE`` with the conditions in its ``WHERE``: PostgreSQL re-checks
    them on the locked row, so of concurrent senders exactly one wins.
    """
    now, claim = timezone.now(), uuid4()
    with transaction.atomic():
        won = (
            _claimable(now)
            .filter(pk=email_id)
            .update(claimed_until=now + CLAIM_LEASE, claim_id=claim, attempts=F("attempts") + 1)
        )
    return claim if won else None


def _message_id(email: OutboundEmail) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "hucares.local"
    return f"<{email.pk}@{domain}>"


def _send(mail: Mail, message_id: str) -> None:
    message = EmailMultiAlternatives(mail.subject, mail.body, to=[mail.to], headers={"Message-ID": message_id})
    if mail.html is not None:
        message.attach_alternative(mail.html, "text/html")
    message.send()


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def _record_failure(email: OutboundEmail, claim: UUID, exc: Exception) -> str:
    attempts = OutboundEmail.objects.values_list("attempts", flat=True).get(pk=email.pk)
    status = EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
    OutboundEmail.objects.filter(pk=email.pk, claim_id=claim).update(
        status=status,
        claimed_until=None,
        next_attempt_at=timezone.now() + _retry_delay(attempts),
        last_error=f"{type(exc).__name__}: {exc}"[:500],
    )
    logger.warning("email %s (%s) attempt %d failed: %s", email.pk, email.kind, attempts, type(exc).__name__)
    return str(status)


def _record(email: OutboundEmail, status: str) -> str:
    # Recorded whoever holds the claim now: the message is out (or moot) either way.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=status, claimed_until=None, sent_at=timezone.now() if status == EmailStatus.SENT else None, last_error=""
    )
    return status


def email_deliver(*, email_id: UUID | str) -> str:
    """One attempt at one email: claim, render, send, record. Returns the outcome."""
    claim = email_claim(email_id=email_id)
    if claim is None:
        return "skipped"
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        return "skipped"  # its account was deleted meanwhile, and the email with it
    try:
        mail = _renderers[email.kind](email)
        if mail is not None:
            _send(mail, _message_id(email))
    except Exception as exc:  # noqa: BLE001 - whatever failed, the email is kept and tried again later
        status = _record_failure(email, claim, exc)
        _announce(email, status, f"{type(exc).__name__}: {exc}"[:500])
        return status
    status = _record(email, EmailStatus.SENT if mail is not None else EmailStatus.CANCELLED)
    _announce(email, status, "")
    return status


def _announce(email: OutboundEmail, status: str, error: str) -> None:
    # A receiver's failure is logged, never taken for the email's: the outcome is recorded already.
    for receiver, result in email_attempted.send_robust(sender=OutboundEmail, email=email, status=status, error=error):
        if isinstance(result, Exception):
            logger.error("recording email %s failed in %r: %s", email.pk, receiver, type(result).__name__)


def emails_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Queue a send for every email that is due: new ones whose send was lost, failed ones whose
    retry time has come, and ones whose sender died (expired claim). Returns how many were queued."""
    due = list(_claimable(timezone.now()).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for email_id in due:
        send_email.delay(str(email_id))
    return len(due)


def emails_retry(*, emails: QuerySet[OutboundEmail]) -> int:
    """An operator's second chance for emails given up on: pending again, attempts counted afresh."""
    with transaction.atomic():
        ids = [str(pk) for pk in emails.filter(status=EmailStatus.FAILED).values_list("pk", flat=True)]
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
        )
        for email_id in ids:
            transaction.on_commit(partial(send_email.delay, email_id), robust=True)
    return len(ids)


def emails_purge() -> int:
    """Delete emails finished (sent, given up or cancelled) longer than :data:`RETENTION` ago."""
    finished = OutboundEmail.objects.exclude(status=EmailStatus.PENDING)
    deleted, _ = finished.filter(created_at__lt=timezone.now() - RETENTION).delete()
    return deleted


# Each send is idempotent (the claim) and recorded in the row, so a lost or
# repeated task costs nothing: the periodic dispatch is the retry mechanism.
@shared_task(acks_late=True, time_limit=SEND_TIME_LIMIT, soft_time_limit=SEND_TIME_LIMIT - 5)
def send_email(email_id: str) -> str:
    return email_deliver(email_id=email_id)


@shared_task(acks_late=True)
def dispatch_due_emails() -> int:
    return emails_dispatch()


@shared_task(acks_late=True)
def purge_finished_emails() -> int:
    return emails_purge()
