"""The page every browser route of the client gets; the modules do the routing."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

# Stricter than the pages of the API docs: no inline styles either, and the
# only connections are to this origin (HTTP and the WebSocket).
APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)


@require_safe
def app_page(request: HttpRequest) -> HttpResponse:
    response = render(request, "web/index.html")
    response.headers["Content-Security-Policy"] = APP_CSP
    # The page is a shell whose assets carry hashed names: never serve a stale one.
    response.headers["Cache-Control"] = "no-cache"
    return response
