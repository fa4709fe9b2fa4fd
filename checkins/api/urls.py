from django.urls import URLPattern

from hucares.core.urls import api_path

from . import views

urlpatterns: list[URLPattern] = [
    *api_path("checkins", views.CheckInListView.as_view(), "checkins"),
    *api_path("checkins/current", views.CheckInCurrentView.as_view(), "checkins-current"),
    *api_path("checkins/history", views.CheckInHistoryView.as_view(), "checkins-history"),
    *api_path("checkins/export", views.CheckInExportView.as_view(), "checkins-export"),
    *api_path("checkins/group/<uuid:group_id>", views.GroupCheckInsView.as_view(), "checkins-group"),
    *api_path("checkins/<uuid:check_in_id>", views.CheckInDetailView.as_view(), "checkin-detail"),
]
