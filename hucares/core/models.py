"""Tables of the core: the stored answers of idempotent requests."""

from django.db import models


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
