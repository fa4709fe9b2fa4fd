from django.urls import URLPattern

from hucares.core.urls import api_path

from .views import events_view

urlpatterns: list[URLPattern] = [*api_path("events", events_view, "events")]
