from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from hucares.core.urls import api_path
from hucares.core.views import HealthView, LivenessView, asyncapi_view, metrics_view

api_v1: list[URLPattern | URLResolver] = [
    *api_path("health", HealthView.as_view(), "health"),
    *api_path("health/live", LivenessView.as_view(), "health-live"),
    path("auth/", include("accounts.api.auth_urls")),
    path("users/", include("accounts.api.user_urls")),
    path("", include("groups.api.urls")),
    path("", include("checkins.api.urls")),
    path("", include("checkins.api.import_urls")),
    path("", include("notifications.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("realtime.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="hucares/redoc.html"), name="redoc"),
    path("asyncapi/", asyncapi_view, name="asyncapi"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Local uploads (avatars) when no front server or object store serves them.
    media_prefix = settings.MEDIA_URL.strip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}))

# The browser client last: its catch-all must not shadow anything above.
urlpatterns.append(path("", include("web.urls")))

handler400 = "hucares.core.views.bad_request"
handler403 = "hucares.core.views.permission_denied"
handler404 = "hucares.core.views.not_found"
handler500 = "hucares.core.views.server_error"
