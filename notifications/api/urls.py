from django.urls import URLPattern

from hucares.core.urls import api_path

from .views import NotificationDetailView, NotificationListView, NotificationReadAllView, NotificationReadView

urlpatterns: list[URLPattern] = [
    *api_path("notifications", NotificationListView.as_view(), "notifications"),
    *api_path("notifications/read-all", NotificationReadAllView.as_view(), "notifications-read-all"),
    *api_path("notifications/<uuid:notification_id>/read", NotificationReadView.as_view(), "notification-read"),
    *api_path("notifications/<uuid:notification_id>", NotificationDetailView.as_view(), "notification-detail"),
]
