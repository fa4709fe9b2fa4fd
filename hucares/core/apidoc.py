"""How an API operation documents itself: one decorator per view method.

``api_operation`` wraps drf-spectacular's ``extend_schema`` and adds what a
client developer needs on every operation: a one-line summary, a description,
who may call it, and every error it can answer, taken from the error classes
themselves (``hucares.core.errors`` and each app's ``errors.py``), so the
documentation cannot drift from the one error table. Each error status becomes
a typed response (the ``ErrorEnvelope`` schema, with one example per code), and
the table of codes is appended to the description. Errors every operation
shares are added here: authentication errors unless the operation is
anonymous, body errors when it takes a body, and the rate limit and
the ``Idempotency-Key`` errors on unsafe methods, and the rate limit and
dependency-outage errors everywhere (``infrastructure=False`` leaves those out,
for the health probes)::

    @api_operation(
        summary="Submit a check-in",
        description="Records the caller's check-in for the group's current period.",
        access="Members of the group.",
        errors=[DuplicateCheckIn, (NotFound, "the group does not exist or the caller is not a member")],
        operation_id="checkins_create",
        request=CheckInSubmitSerializer,
        responses={201: CheckInSerializer},
    )
    def post(self, request): ...

``meta`` documents what an operation adds to the envelope's ``meta``:
``{"name": "CheckInHistoryMeta", "properties": {...}, "required": [...]}``
(JSON schema properties); the envelope is then named after it
(``CheckInHistoryPage``). Every other keyword goes to ``extend_schema`` unchanged (``parameters``,
``examples``, ``tags``...). Response examples of 2xx answers give the
``data`` only: the envelope hook wraps them like the schema.
"""

from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from .errors import (
    ApplicationError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    MalformedRequest,
    NotAuthenticated,
    RateLimited,
    ServiceUnavailable,
    TokenInvalid,
    UnsupportedMediaType,
    ValidationFailed,
)

# An error class, or an error class with the situation in which this operation raises it.
ErrorSpec = type[ApplicationError] | tuple[type[ApplicationError], str]

ANONYMOUS = "x-anonymous"
# A DELETE that takes a body (hucares.core.schema.ApiAutoSchema documents it).
DELETE_BODY = "x-delete-body"
ENVELOPE_META = "x-envelope-meta"
AUTH_ERRORS: tuple[ErrorSpec, ...] = (
    (NotAuthenticated, "no `Authorization: Bearer <access token>` header"),
    (TokenInvalid, "the access token is malformed, expired or revoked: refresh it, then retry"),
)
BODY_ERRORS: tuple[ErrorSpec, ...] = (
    (ValidationFailed, "a field is missing or invalid; `details` names each field"),
    (MalformedRequest, "the body is not valid JSON"),
    (UnsupportedMediaType, "the body is not `application/json`"),
)
IDEMPOTENCY_ERRORS: tuple[ErrorSpec, ...] = (
    (ValidationFailed, "the `Idempotency-Key` header is not 1-255 printable ASCII characters"),
    (IdempotencyInProgress, "a request with the same `Idempotency-Key` is still running; retry shortly"),
    (IdempotencyKeyReused, "the `Idempotency-Key` was used for a different request"),
)
UNSAFE_METHODS = ("post", "put", "patch", "delete")
SHARED_ERRORS: tuple[ErrorSpec, ...] = (
    (RateLimited, "too many requests; `Retry-After` says when to try again"),
    (ServiceUnavailable, "a dependency (database, cache) is down; retry later"),
)


def _spec(spec: ErrorSpec) -> tuple[type[ApplicationError], str]:
    if isinstance(spec, tuple):
        return spec
    return spec, spec.message


def operation_errors(
    errors: Sequence[ErrorSpec], *, anonymous: bool, has_body: bool, unsafe: bool = False, infrastructure: bool = True
) -> list[tuple[type[ApplicationError], str]]:
    """The operation's own errors, then the shared ones; one entry per (status, code), sorted by status."""
    specs = [
        *errors,
        *(() if anonymous else AUTH_ERRORS),
        *(BODY_ERRORS if has_body else ()),
        *(IDEMPOTENCY_ERRORS if unsafe else ()),
        *(SHARED_ERRORS if infrastructure else ()),
    ]
    chosen: dict[tuple[int, str], tuple[type[ApplicationError], str]] = {}
    for spec in specs:
        cls, when = _spec(spec)
        chosen.setdefault((cls.status, cls.code), (cls, when))
    return [chosen[key] for key in sorted(chosen)]


def _errors_markdown(errors: list[tuple[type[ApplicationError], str]]) -> str:
    rows = [f"| {cls.status} | `{cls.code}` | {when} |" for cls, when in errors]
    return "\n".join(["**Errors**", "", "| Status | Code | When |", "|---|---|---|", *rows])


def error_example(cls: type[ApplicationError]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": cls.code, "message": cls.message}
    if cls.code == ValidationFailed.code:
        error["details"] = [{"field": "name", "message": "This field is required."}]
    return {
        "success": False,
        "error": error,
        "meta": {"timestamp": "2026-01-05T09:30:00Z", "requestId": "7f9c0a1e4b2d4c69"},
    }


def error_responses(errors: list[tuple[type[ApplicationError], str]]) -> dict[int, OpenApiResponse]:
    """One response per status: the error envelope, its codes named and each shown as an example."""
    by_status: dict[int, list[tuple[type[ApplicationError], str]]] = {}
    for cls, when in errors:
        by_status.setdefault(cls.status, []).append((cls, when))
    return {
        status: OpenApiResponse(
            response=OpenApiTypes.OBJECT,  # replaced by the ErrorEnvelope schema in hucares.core.schema
            description="Error: " + ", ".join(f"`{cls.code}`" for cls, _ in entries),
            examples=[
                OpenApiExample(cls.code, value=error_example(cls), status_codes=[status], response_only=True)
                for cls, _ in entries
            ],
        )
        for status, entries in by_status.items()
    }


def api_operation(
    *,
    summary: str,
    description: str,
    access: str,
    errors: Sequence[ErrorSpec] = (),
    anonymous: bool = False,
    infrastructure: bool = True,
    meta: dict[str, Any] | None = None,
    **schema: Any,
) -> Callable[[Any], Any]:
    """Document one view method for clients; see the module docstring."""
    has_body = schema.get("request") is not None
    responses = schema.pop("responses", None)
    if responses is not None and not isinstance(responses, dict):
        responses = {200: responses}
    extensions = dict(schema.pop("extensions", None) or {})
    if meta:
        extensions[ENVELOPE_META] = meta
    if anonymous:
        extensions[ANONYMOUS] = True
        schema["auth"] = []

    def decorate(view_method: Any) -> Any:
        # The method's name is its HTTP method: unsafe ones take an Idempotency-Key (hucares.core.idempotency).
        unsafe = view_method.__name__ in UNSAFE_METHODS
        marks = {**extensions, DELETE_BODY: True} if has_body and view_method.__name__ == "delete" else extensions
        all_errors = operation_errors(
            errors, anonymous=anonymous, has_body=has_body, unsafe=unsafe, infrastructure=infrastructure
        )
        text = "\n\n".join([description.strip(), f"**Who may call:** {access}", _errors_markdown(all_errors)])
        return extend_schema(
            summary=summary,
            description=text,
            responses={**(responses or {}), **error_responses(all_errors)},
            extensions=marks or None,
            **schema,
        )(view_method)

    return decorate
