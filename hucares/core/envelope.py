"""Builders of the success and error envelopes of the API."""

from typing import Any

from django.http import JsonResponse
from django.utils import timezone

from .context import current_request_id

API_VERSION = "v1"


def envelope_meta(**extra: Any) -> dict[str, Any]:
    return {
        "timestamp": timezone.now().isoformat(),
        "version": API_VERSION,
        "requestId": current_request_id(),
        **extra,
    }


def error_envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {
        "success": False,
        "error": error,
        "meta": {"timestamp": timezone.now().isoformat(), "requestId": current_request_id()},
    }


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    """An error envelope outside DRF (URL resolver 404s, 500s, middleware)."""
    return JsonResponse(error_envelope(code, message, details), status=status)
