"""The page every browser route of the client gets; the modules do the routing."""

from django.http import Http404, HttpRequest, HttpResponse
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
def app_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    response = render(request, "web/index.html", status=status)
    response.headers["Content-Security-Policy"] = APP_CSP
    # The page is a shell whose assets carry hashed names: never serve a stale one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@require_safe
def unknown_page(request: HttpRequest) -> HttpResponse:
    """A browser that opens an unknown address gets the app, which shows its own
    "not found" screen (with the 404 status kept); programs asking for anything
    but HTML keep the API's JSON 404."""
    if "text/html" not in request.headers.get("Accept", ""):
        raise Http404
    return app_page(request, status=404)
