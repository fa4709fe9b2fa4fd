"""Request id, access log with metrics, security headers and the request body's media type."""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.utils.mediatypes import media_type_matches

from .context import choose_request_id, request_id_var, user_id_var
from .envelope import error_response
from .errors import UnsupportedMediaType
from .logging import redact
from .metrics import REQUEST_DURATION
from .ratelimit import ratelimit_headers

access_logger = logging.getLogger("hucares.access")

Handler = Callable[[HttpRequest], HttpResponse]

# HTML pages (API docs, admin) load only this app's own assets.
HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class RequestIdMiddleware:
    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = choose_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            user_id_var.reset(user_token)
        response["X-Request-ID"] = request_id
        return response


def _route(request: HttpRequest) -> str:
    """The URL pattern, never the raw path: ids must not become label values."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + match.route.rstrip("/") if match.route else match.view_name


def _user_id(request: HttpRequest) -> str | None:
    # DRF authenticates inside the view and records the user on the Django request.
    user = getattr(request, "hucares_user", None) or getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.pk)
    return None


class AccessLogMiddleware:
    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration = time.perf_counter() - started
        usage = getattr(request, "ratelimit_usage", None)
        if usage is not None:
            for name, value in ratelimit_headers(usage).items():
                response.headers.setdefault(name, value)
        route = _route(request)
        REQUEST_DURATION.labels(request.method, route, str(response.status_code)).observe(duration)
        user_id = _user_id(request)
        path = request.path + (f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else "")
        access_logger.info(
            "request",
            extra={
                "userId": user_id,
                "method": request.method,
                "path": redact(path),
                "route": route,
                "status": response.status_code,
                "durationMs": round(duration * 1000, 2),
            },
        )
        return response


class SecurityHeadersMiddleware:
    """Adds CSP (strict for API responses, self-only for HTML pages)."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_html = response.get("Content-Type", "").startswith("text/html")
        response.headers.setdefault("Content-Security-Policy", HTML_CSP if is_html else API_CSP)
        return response


def _has_body(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return "HTTP_TRANSFER_ENCODING" in request.META or not length.isdigit() or int(length) > 0


class MediaTypeMiddleware:
    """A request body must be of a media type the API view parses, else 415 before anything runs.

    DRF only checks the type when a view reads its body, so a view that takes
    none would silently accept (and ignore) a form upload; the schema says each
    endpoint takes exactly what its parsers read, and this keeps that true.
    """

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        parser_classes = getattr(getattr(view_func, "view_class", None), "parser_classes", None)
        if parser_classes is None or not _has_body(request):
            return None
        content_type = request.META.get("CONTENT_TYPE", "")
        if any(media_type_matches(parser.media_type, content_type) for parser in parser_classes):
            return None
        accepted = ", ".join(parser.media_type for parser in parser_classes) or "no request body"
        error = UnsupportedMediaType(f"This endpoint accepts {accepted} only.")
        return error_response(error.status, error.code, error.detail_message)
