"""Notifications in the Django admin: moderators may review them (view only)."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["type", "title", "user", "is_read", "created_at", "expires_at"]
    list_filter = ["type", "is_read"]
    search_fields = ["title", "user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "user", "type", "title", "message", "data", "created_at", "read_at", "expires_at"]
    exclude = ["dedupe_key"]
