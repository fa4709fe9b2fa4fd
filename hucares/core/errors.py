"""The base of every domain exception.

Services raise subclasses of :class:`ApplicationError`; the one exception
handler in :mod:`hucares.core.exceptions` turns each into the error envelope.
A subclass only names its ``code``, ``status`` and default ``message``.
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


class IdempotencyKeyReused(ApplicationError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    message = "This Idempotency-Key was used for a different request."


class IdempotencyInProgress(ApplicationError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    status = 409
    message = "A request with this Idempotency-Key is still being processed; retry shortly."
