from django.urls import re_path

from web.views import app_page

# Every path that is not the API, the admin, assets or the socket belongs to
# the client's router (links in emails such as /verify-email?token=… land here).
urlpatterns = [
    re_path(r"^(?!api/|admin/|static/|media/|ws/|metrics)(?:[A-Za-z0-9_\-/]*)$", app_page, name="web-app"),
]
