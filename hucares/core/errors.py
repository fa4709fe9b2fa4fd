"""The base of every domain exception, and the errors every endpoint shares.

Services raise subclasses of :class:`ApplicationError`; the one exception
handler in :mod:`hucares.core.exceptions` turns each into the error envelope.
A subclass only names its ``code``, ``status`` and default ``message``. These
classes are the one error table: the API schema (``hucares.core.apidoc``) and
the errors table of ``docs/api.md`` are checked against them.
"""

from typing import Any, ClassVar


class ApplicationError(Exception):
    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    message: ClassVar[str] = "Something went wrong."

    def __init__(self, message: str | None = None, *, details: Any = None, headers: dict[str, str] | None = None):
        self.detail_message = message or self.message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.detail_message)


class ValidationFailed(ApplicationError):
    code = "VALIDATION_ERROR"
    status = 400
    message = "The request is invalid."

    @classmethod
    def for_field(cls, field: str, message: str) -> "ValidationFailed":
        return cls(message, details=[{"field": field, "message": message}])


class NotFound(ApplicationError):
    code = "NOT_FOUND"
    status = 404
    message = "Not found."


class PermissionDenied(ApplicationError):
    code = "PERMISSION_DENIED"
    status = 403
    message = "You do not have permission to do this."


class PayloadTooLarge(ApplicationError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    message = "The request body is too large."


class RateLimited(ApplicationError):
    code = "RATE_LIMITED"
    status = 429
    message = "Too many requests. Try again later."


class ServiceUnavailable(ApplicationError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    message = "A dependency is unavailable."


class MalformedRequest(ApplicationError):
    code = "MALFORMED_REQUEST"
    status = 400
    message = "The request body is not valid JSON."


class NotAuthenticated(ApplicationError):
    code = "NOT_AUTHENTICATED"
    status = 401
    message = "Authentication credentials were not provided."


class TokenInvalid(ApplicationError):
    code = "TOKEN_INVALID"
    status = 401
    message = "The token is invalid or expired."


class MethodNotAllowed(ApplicationError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    message = "This method is not allowed here."


class NotAcceptable(ApplicationError):
    code = "NOT_ACCEPTABLE"
    status = 406
    message = "The requested response format is not available."


class UnsupportedMediaType(ApplicationError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    message = "This endpoint accepts application/json only."


class InternalError(ApplicationError):
    code = "INTERNAL_ERROR"
    status = 500
    message = "An unexpected error occurred."


class IdempotencyKeyReused(ApplicationError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    message = "This Idempotency-Key was used for a different request."


class IdempotencyInProgress(ApplicationError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    status = 409
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


def error_table() -> list[type[ApplicationError]]:
    """Every error class that names its own code, status and message, once per (status, code)."""
    seen: dict[tuple[int, str], type[ApplicationError]] = {}
    pending: list[type[ApplicationError]] = [ApplicationError]
    while pending:
        cls = pending.pop()
        seen.setdefault((cls.status, cls.code), cls)
        pending.extend(cls.__subclasses__())
    return [seen[key] for key in sorted(seen)]
