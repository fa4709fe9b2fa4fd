from django.urls import URLPattern

from hucares.core.urls import api_path

from .views import ComparisonView, GroupAnalyticsView, InsightsView, PersonalAnalyticsView

urlpatterns: list[URLPattern] = [
    *api_path("analytics/personal", PersonalAnalyticsView.as_view(), "analytics-personal"),
    *api_path("analytics/group/<uuid:group_id>", GroupAnalyticsView.as_view(), "analytics-group"),
    *api_path("analytics/comparison", ComparisonView.as_view(), "analytics-comparison"),
    *api_path("analytics/insights", InsightsView.as_view(), "analytics-insights"),
]
