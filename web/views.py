"""The page every browser route of the client gets; the modules do the routing."""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

STATIC_DIR = Path(__file__).resolve().parent / "static"
# What the app needs to start with no network: its page, styles, icons and modules.
SHELL_GLOBS = (
    "web/app.css",
    "web/icon*",
    "web/manifest.webmanifest",
    "web/app/*.js",
    "web/sdk/*.js",
    "web/vendor/*/*.mjs",
)
SW_CSP = "default-src 'none'; connect-src 'self'"

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


@cache
def _shell() -> tuple[str, list[str]]:
    """The shell's files and a version that changes with any of them, so a new
    deploy installs a new worker."""
    files = sorted({path for pattern in SHELL_GLOBS for path in STATIC_DIR.glob(pattern)})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    urls = ["/", *(static(str(path.relative_to(STATIC_DIR))) for path in files)]
    return digest.hexdigest()[:16], urls


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    version, urls = _shell()
    context = {"version_json": json.dumps(version), "precache_json": json.dumps(urls)}
    response = render(request, "web/sw.js", context, content_type="text/javascript")
    response.headers["Content-Security-Policy"] = SW_CSP
    # Browsers check for a new worker on each visit; a cached copy would delay updates.
    response.headers["Cache-Control"] = "no-cache"
    return response
