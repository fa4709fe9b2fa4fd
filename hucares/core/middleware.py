"""Request id, access log with metrics, security headers, static files and the request body's media type.

Each serves both chains Django builds from ``MIDDLEWARE``: gunicorn's (sync)
and the ASGI application's (async), as Django's "Asynchronous support" for
middleware describes. One sync-only middleware anywhere in the list makes
Django run the whole ASGI chain in a thread, held for as long as the view
runs: for the long-poll, its whole wait.
"""

import abc
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.utils.mediatypes import media_type_matches
from whitenoise.middleware import WhiteNoiseMiddleware

from .context import choose_request_id, client_ip_var, request_id_var, user_id_var
from .envelope import error_response
from .errors import UnsupportedMediaType
from .logging import redact
from .metrics import REQUEST_DURATION
from .ratelimit import client_ip, ratelimit_headers

access_logger = logging.getLogger("hucares.access")

Handler = Callable[[HttpRequest], Any]
Answer = HttpResponseBase | Awaitable[HttpResponseBase]

# HTML pages (API docs, admin) load only this app's own assets.
HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class BothModes(abc.ABC):
    """Django's pattern for a middleware that is sync- and async-capable: the mode is the one of what it wraps,
    fixed when the chain is built; ``__call__`` is the sync path, ``__acall__`` the async one."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Handler):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    @abc.abstractmethod
    def __call__(self, request: HttpRequest) -> Answer:
        """The sync path; in the async mode it returns ``self.__acall__(request)``."""


@contextlib.contextmanager
def _request_context(request: HttpRequest) -> Iterator[str]:
    """The request's id, user and address, visible to logs and envelopes for as long as it runs."""
    request_id = choose_request_id(request.headers.get("X-Request-ID"))
    request.request_id = request_id  # type: ignore[attr-defined]
    id_token = request_id_var.set(request_id)
    user_token = user_id_var.set(None)
    ip_token = client_ip_var.set(client_ip(request))
    try:
        yield request_id
    finally:
        request_id_var.reset(id_token)
        user_id_var.reset(user_token)
        client_ip_var.reset(ip_token)


class RequestIdMiddleware(BothModes):
    def __call__(self, request: HttpRequest) -> Answer:
        if self.async_mode:
            return self.__acall__(request)
        with _request_context(request) as request_id:
            response: HttpResponseBase = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        with _request_context(request) as request_id:
            response: HttpResponseBase = await self.get_response(request)
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


def _log_request(request: HttpRequest, response: HttpResponseBase, duration: float) -> None:
    """The rate-limit headers, the duration metric and the access-log line of a request that was answered."""
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
            "clientIp": client_ip_var.get() or client_ip(request),
            "method": request.method,
            "path": redact(path),
            "route": route,
            "status": response.status_code,
            "durationMs": round(duration * 1000, 2),
        },
    )


class AccessLogMiddleware(BothModes):
    def __call__(self, request: HttpRequest) -> Answer:
        if self.async_mode:
            return self.__acall__(request)
        started = time.perf_counter()
        response: HttpResponseBase = self.get_response(request)
        _log_request(request, response, time.perf_counter() - started)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response: HttpResponseBase = await self.get_response(request)
        duration = time.perf_counter() - started
        # In a thread, after the view: the user of a session is read from the database.
        await sync_to_async(_log_request)(request, response, duration)
        return response


def _with_csp(response: HttpResponseBase) -> HttpResponseBase:
    is_html = response.get("Content-Type", "").startswith("text/html")
    response.headers.setdefault("Content-Security-Policy", HTML_CSP if is_html else API_CSP)
    return response


class SecurityHeadersMiddleware(BothModes):
    """Adds CSP (strict for API responses, self-only for HTML pages)."""

    def __call__(self, request: HttpRequest) -> Answer:
        if self.async_mode:
            return self.__acall__(request)
        return _with_csp(self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return _with_csp(await self.get_response(request))


# What WhiteNoise's middleware hands back, in the async chain, for a path that is not a static file.
_NOT_STATIC = HttpResponse(status=404)


def _not_static(request: HttpRequest) -> HttpResponse:
    return _NOT_STATIC


class StaticFilesMiddleware(BothModes):
    """WhiteNoise's middleware, which is sync-only (6.12), in front of an async chain.

    In the sync chain it is WhiteNoise's middleware itself. In the async one
    WhiteNoise only looks the path up (in a thread: it may read the disk) and
    the request goes on in the event loop; nothing waits in a thread behind it.
    """

    def __init__(self, get_response: Handler):
        super().__init__(get_response)
        self.static = WhiteNoiseMiddleware(_not_static if self.async_mode else get_response)

    def __call__(self, request: HttpRequest) -> Answer:
        if self.async_mode:
            return self.__acall__(request)
        response: HttpResponseBase = self.static(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await sync_to_async(self.static, thread_sensitive=False)(request)
        if response is _NOT_STATIC:
            response = await self.get_response(request)
        return response


def _has_body(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return "HTTP_TRANSFER_ENCODING" in request.META or not length.isdigit() or int(length) > 0


class MediaTypeMiddleware(BothModes):
    """A request body must be of a media type the API view parses, else 415 before anything runs.

    DRF only checks the type when a view reads its body, so a view that takes
    none would silently accept (and ignore) a form upload; the schema says each
    endpoint takes exactly what its parsers read, and this keeps that true.
    """

    def __call__(self, request: HttpRequest) -> Answer:
        if self.async_mode:
            return self.__acall__(request)
        response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await self.get_response(request)
        return response

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
