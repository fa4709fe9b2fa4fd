from django.urls import URLPattern

from hucares.core.urls import api_path

from .views import EventsView

urlpatterns: list[URLPattern] = [*api_path("events", EventsView.as_view(), "events")]
