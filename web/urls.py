from django.urls import path, re_path

from web.views import app_page, service_worker, unknown_page

# The client's own routes (its router in app/main.js knows the same list);
# links in emails such as /verify-email?token=… land here. Any other path
# is a 404: the app's own page for a browser, JSON for everything else, and
# always JSON under the API's and the server's own prefixes.
CLIENT_ROUTES = [
    "login",
    "register",
    "forgot-password",
    "reset-password",
    "verify-email",
    "groups/join",
    "checkin",
    "history",
    "analytics",
    "notifications",
    "profile",
    "sessions",
    "import",
]

urlpatterns = [
    path("", app_page, name="web-app"),
    # At the root, so that the worker's scope covers every screen.
    path("sw.js", service_worker, name="web-service-worker"),
    *(path(route, app_page, name=f"web-{route.replace('/', '-')}") for route in CLIENT_ROUTES),
    re_path(r"^groups/[0-9a-f-]{36}$", app_page, name="web-group"),
    re_path(r"^(?!api/|admin/|static/|media/|ws/|metrics$|sw\.js$)", unknown_page, name="web-unknown"),
]
