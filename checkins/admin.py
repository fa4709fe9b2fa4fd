"""Check-ins in the Django admin. Reflection notes are personal: list views never show them."""

from django.contrib import admin

from .models import CheckIn


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "week_start_date", "hu_cares_score", "is_private", "submitted_at"]
    list_filter = ["is_private", "week_start_date"]
    search_fields = ["user__username", "group__name"]
    list_select_related = ["user", "group"]
    raw_id_fields = ["user", "group"]
    readonly_fields = ["id", "hu_cares_score", "submitted_at", "updated_at"]
    date_hierarchy = "week_start_date"
