"""The one exception handler: every error becomes the error envelope."""

import logging
import re
from typing import Any

import redis
from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from . import errors
from .envelope import error_envelope
from .errors import ApplicationError

logger = logging.getLogger("hucares.errors")

DEPENDENCY_DOWN = (redis.ConnectionError, redis.TimeoutError, db.OperationalError, db.InterfaceError)

_CAMEL = re.compile(r"_([a-z0-9])")

# DRF exception class -> the error of our table it is. Checked in order, so subclasses first.
_DRF_ERRORS: list[tuple[type[Exception], type[ApplicationError]]] = [
    (drf.ParseError, errors.MalformedRequest),
    (drf.NotAuthenticated, errors.NotAuthenticated),
    (drf.AuthenticationFailed, errors.TokenInvalid),
    (drf.PermissionDenied, errors.PermissionDenied),
    (drf.NotFound, errors.NotFound),
    (drf.MethodNotAllowed, errors.MethodNotAllowed),
    (drf.NotAcceptable, errors.NotAcceptable),
    (drf.UnsupportedMediaType, errors.UnsupportedMediaType),
    (drf.Throttled, errors.RateLimited),
]


def camel_path(path: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), path)


def flatten_validation_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """``{"scores": {"care": ["..."]}}`` -> ``[{"field": "scores.care", "message": "..."}]``."""
    if isinstance(detail, dict):
        items: list[dict[str, str]] = []
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                items += flatten_validation_errors(value, prefix)
            elif isinstance(key, int):  # ListField errors are keyed by position
                items += flatten_validation_errors(value, f"{prefix}[{key}]")
            else:
                name = camel_path(str(key))
                items += flatten_validation_errors(value, f"{prefix}.{name}" if prefix else name)
        return items
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"field": prefix or "body", "message": str(item)} for item in detail]
        items = []
        for index, value in enumerate(detail):
            if value:
                items += flatten_validation_errors(value, f"{prefix}[{index}]")
        return items
    return [{"field": prefix or "body", "message": str(detail)}]


def _error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    response = Response(error_envelope(code, message, details), status=status, headers=headers)
    response.envelope_is_error = True  # type: ignore[attr-defined]
    return response


def _drf_error(exc: drf.APIException) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, drf.ValidationError):
        details = flatten_validation_errors(exc.detail)
        return _error(400, "VALIDATION_ERROR", "The request is invalid.", details)
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    if isinstance(exc, InvalidToken):
        return _error(401, "TOKEN_INVALID", "The token is invalid or expired.")
    code = next((error.code for cls, error in _DRF_ERRORS if isinstance(exc, cls)), "ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else "The request failed."
    custom_code = getattr(exc, "hucares_code", None)
    return _error(exc.status_code, custom_code or code, str(detail), headers=headers)


def envelope_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        return _error(exc.status, exc.code, exc.detail_message, exc.details, exc.headers)
    if isinstance(exc, Http404):
        return _error(404, "NOT_FOUND", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return _error(403, "PERMISSION_DENIED", "You do not have permission to do this.")
    if isinstance(exc, RequestDataTooBig):
        return _error(413, "PAYLOAD_TOO_LARGE", "The request body is too large.")
    if isinstance(exc, TokenError):
        return _error(401, "TOKEN_INVALID", "The token is invalid or expired.")
    if isinstance(exc, drf.APIException):
        return _drf_error(exc)
    if isinstance(exc, DEPENDENCY_DOWN):
        # Redis (cache, rate limits, token revocation) or PostgreSQL unreachable:
        # the request may be retried, so say so rather than "internal error".
        logger.error("dependency unavailable in %s: %s", type(context.get("view")).__name__, type(exc).__name__)
        return _error(503, "SERVICE_UNAVAILABLE", "A service the API depends on is unavailable. Try again shortly.")
    logger.exception("Unhandled error in %s", type(context.get("view")).__name__)
    return _error(500, "INTERNAL_ERROR", "An unexpected error occurred.")
