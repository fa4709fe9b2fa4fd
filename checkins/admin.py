"""Check-ins in the Django admin, for moderators and superusers alike.

A check-in's scores are its member's own statement: nobody changes them here.
A hidden check-in (private, or its owner hides their scores) shows its
existence and metadata only, never its scores, energy, note or emoji: not in
the list, the change page, the object's name (which also lands in the admin
log), search, filters or sorting. List views never show notes. Moderation is
one action, removing a note for abuse, done by the check-in service.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest

from . import services
from .models import CheckIn
from .privacy import HIDDEN_FIELDS, scores_hidden, scores_visible_q

METADATA = ("id", "user", "group", "week_start_date", "is_private", "submitted_at", "updated_at")
SHOWN_WHEN_VISIBLE = ("productive", "satisfied", "body", "care", "hu_cares_score", "energy_level", "mood_emoji")


def _hidden_from(check_in: CheckIn, viewer: Any) -> bool:
    return scores_hidden(
        owner_id=check_in.user_id,
        viewer_id=getattr(viewer, "pk", None),
        is_private=check_in.is_private,
        owner_privacy=check_in.user.privacy_settings,
    )


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "week_start_date", "score", "is_private", "submitted_at"]
    list_filter = ["is_private", "week_start_date"]
    search_fields = ["user__username", "group__name"]
    list_select_related = ["user", "group"]
    date_hierarchy = "week_start_date"
    actions = ["remove_notes"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CheckIn]:
        # Whether this viewer may see each row's scores, decided by the one rule, in SQL.
        visible = Case(When(scores_visible_q(request.user.pk), then=Value(True)), default=Value(False))
        return super().get_queryset(request).annotate(scores_visible_to_viewer=visible)

    @admin.display(description="HuCares score")  # not sortable: the order would tell hidden scores
    def score(self, check_in: CheckIn) -> str:
        return str(check_in.hu_cares_score) if getattr(check_in, "scores_visible_to_viewer", False) else "hidden"

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The admin lets a URL filter on any field of the model (?productive__gte=8): refuse the hidden ones.
        if lookup.split("__")[0] in HIDDEN_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def _shown(self, request: HttpRequest, obj: CheckIn | None) -> tuple[str, ...]:
        if obj is None or _hidden_from(obj, request.user):
            return METADATA
        return (*METADATA, *SHOWN_WHEN_VISIBLE, "reflection_note")

    def get_fields(self, request: HttpRequest, obj: CheckIn | None = None) -> tuple[str, ...]:
        return self._shown(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: CheckIn | None = None) -> tuple[str, ...]:
        return self._shown(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: CheckIn | None = None) -> bool:
        # The change permission runs the action on the list; a check-in itself is only ever viewed.
        return obj is None and super().has_change_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CheckIn | None = None) -> bool:
        # A check-in is its member's to delete (the API, or their account's deletion), which keeps totals right.
        return False

    @admin.action(description="Remove the notes of selected check-ins (abuse)", permissions=["change"])
    def remove_notes(self, request: HttpRequest, queryset: QuerySet[CheckIn]) -> None:
        removed = 0
        for check_in in queryset.exclude(reflection_note=""):
            services.checkin_note_remove(check_in=check_in)
            self.log_change(request, check_in, "Removed the reflection note for abuse.")
            removed += 1
        self.message_user(request, f"Removed {removed} note(s).", messages.SUCCESS)
