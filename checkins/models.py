import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CheckIn(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="check_ins")
    # The first day of the check-in's period in the group's timezone.
    week_start_date = models.DateField()
    productive = models.PositiveSmallIntegerField()
    satisfied = models.PositiveSmallIntegerField()
    body = models.PositiveSmallIntegerField()
    care = models.PositiveSmallIntegerField()
    hu_cares_score = models.GeneratedField(
        expression=F("productive") + F("satisfied") + F("body") - F("care"),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    reflection_note = models.TextField(max_length=2000, blank=True, default="")
    mood_emoji = models.CharField(max_length=10, blank=True, default="")
    energy_level = models.PositiveSmallIntegerField(null=True, blank=True)
    is_private = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "check_ins"
        ordering = ["-week_start_date", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group", "week_start_date"], name="check_ins_user_group_period_unique"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 10}), name=f"check_ins_{name}_range"
                )
                for name in ("productive", "satisfied", "body", "care")
            ),
            models.CheckConstraint(
                condition=Q(energy_level__isnull=True) | Q(energy_level__gte=1, energy_level__lte=5),
                name="check_ins_energy_level_range",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "week_start_date"], name="check_ins_group_period_idx"),
            models.Index(F("user"), F("week_start_date").desc(), name="check_ins_user_history_idx"),
        ]

    def __str__(self) -> str:
        # No score: this name is shown (and logged) by the admin, where a hidden score must not appear.
        return f"check-in of {self.user_id} for {self.week_start_date}"


class LocalStorageImport(models.Model):
    """One import of the old client's localStorage data, recorded so it can be rolled back exactly."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports")
    created_at = models.DateTimeField(auto_now_add=True)
    created_group_ids = models.JSONField(default=list)
    created_check_in_ids = models.JSONField(default=list)
    report = models.JSONField(default=dict)
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "localstorage_imports"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.id} by {self.user_id}"


class ImportOrigin(models.Model):
    """An old group or check-in id that an import brought in, remembered per user and old profile.

    A later import of the same data matches on it (an old access code that did
    not fit today's format gave the group a fresh code, so the code cannot
    match). Rolling the import back forgets its origins, so importing again
    after a rollback imports again.
    """

    class Kind(models.TextChoices):
        GROUP = "group"
        CHECK_IN = "check_in"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_import = models.ForeignKey(LocalStorageImport, on_delete=models.CASCADE, related_name="origins")
    # The old ``userProfile.id``: ids of two old browsers' data never mix.
    source = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The old id; "" for the group made for check-ins whose group was not in the export.
    old_id = models.CharField(max_length=100, blank=True)
    target_id = models.UUIDField()

    class Meta:
        db_table = "localstorage_import_origins"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source", "kind", "old_id"], name="localstorage_import_origins_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.old_id} -> {self.target_id}"
