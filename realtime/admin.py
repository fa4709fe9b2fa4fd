"""Open WebSockets in the Django admin, read-only: rows come and go with the sockets."""

from django.contrib import admin
from django.http import HttpRequest

from .models import UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "connected_at", "last_heartbeat", "ip_address", "user_agent"]
    search_fields = ["user__username", "user__email", "socket_id"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
