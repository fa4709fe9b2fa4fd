"""Tables of the core: the stored answers of idempotent requests, and the email outbox."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` of one client and the answer its first request got.

    ``owner`` is ``user:<id>`` for an authenticated request and ``ip:<address>``
    for an anonymous one: a plain string, so the core needs no foreign key to
    an app above it. ``status`` stays empty while the first request runs.
    """

    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True, default="")
    body = models.BinaryField(default=b"")
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "idempotency_keys"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_keys_owner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_keys_created_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class EmailStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    CANCELLED = "cancelled"  # nothing to send any more (the account is gone, the address already verified)


class OutboundEmail(models.Model):
    """One email to send: a unit of work of its own (:mod:`hucares.core.outbox`).

    The row is written in the transaction of what caused it, so an email exists
    exactly when its cause committed. It holds what the email is about, never a
    secret: a one-time link is made at send time by the kind's renderer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_address = models.EmailField(max_length=255, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    # Set for an email that must exist at most once (one invitation per event).
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A sender holds the email until then; a sender that died leaves a claim that expires.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_id = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "email_outbox"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="email_outbox_dedupe_unique"
            )
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="email_outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id or self.to_address} ({self.status})"
