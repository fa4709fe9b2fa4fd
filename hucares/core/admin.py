"""The email outbox in the Django admin: read-only, for operators following up a failed email (and retrying it)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import outbox
from .models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "to_address", "status", "attempts", "created_at", "sent_at", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OutboundEmail._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # The rows are read-only in the form; retrying is what "change" allows here.
        return request.user.has_perm("core.change_outboundemail")

    @admin.action(description="Try selected failed emails again", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        for email in queryset:
            self.log_change(request, email, "Asked to send the email again.")
        retried = outbox.emails_retry(emails=queryset)
        self.message_user(request, f"{retried} email(s) queued again.", messages.SUCCESS)
