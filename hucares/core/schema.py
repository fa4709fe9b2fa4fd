"""drf-spectacular post-processing: document the envelope around every response.

Views describe only their payload; this hook wraps each JSON success response
in ``{success, data, message?, meta}`` (with ``meta.pagination`` on lists) and
gives every operation the error envelope as its ``default`` response. A view
whose success body is a plain download marks its operation with
``extensions={NO_ENVELOPE: True}``.
"""

from typing import Any

Schema = dict[str, Any]

NO_ENVELOPE = "x-no-envelope"

META: Schema = {
    "type": "object",
    "required": ["timestamp", "version", "requestId"],
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "version": {"type": "string", "enum": ["v1"]},
        "requestId": {"type": "string"},
    },
    "additionalProperties": True,
}
PAGINATION: Schema = {
    "type": "object",
    "required": ["page", "limit", "total", "totalPages"],
    "properties": {name: {"type": "integer"} for name in ("page", "limit", "total", "totalPages")},
}
ERROR_ENVELOPE: Schema = {
    "type": "object",
    "required": ["success", "error", "meta"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "example": "VALIDATION_ERROR"},
                "message": {"type": "string"},
                "details": {
                    "oneOf": [
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                            },
                        },
                        {"type": "object", "additionalProperties": True},
                    ]
                },
            },
        },
        "meta": {
            "type": "object",
            "properties": {"timestamp": {"type": "string", "format": "date-time"}, "requestId": {"type": "string"}},
        },
    },
}


def _envelope(data: Schema, meta_ref: str) -> Schema:
    return {
        "type": "object",
        "required": ["success", "data", "meta"],
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "data": data,
            "message": {"type": "string"},
            "meta": {"$ref": f"#/components/schemas/{meta_ref}"},
        },
    }


def _is_paginated(schema: Schema, components: dict[str, Schema]) -> bool:
    ref = schema.get("$ref", "")
    target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return bool(target.get("x-paginated"))


def wrap_in_envelope(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            wrap = not operation.pop(NO_ENVELOPE, False)
            for status, response in responses.items():
                content = response.get("content", {}).get("application/json")
                if not wrap or not content or not str(status).startswith("2"):
                    continue
                schema = content["schema"]
                meta = "PaginatedMeta" if _is_paginated(schema, components) else "Meta"
                schema.pop("x-paginated", None)
                content["schema"] = _envelope(schema, meta)
            responses.setdefault(
                "default",
                {
                    "description": "Error envelope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
                },
            )
    for component in components.values():
        component.pop("x-paginated", None)
    components["Meta"] = META
    components["PaginatedMeta"] = {
        **META,
        "required": [*META["required"], "pagination"],
        "properties": {**META["properties"], "pagination": PAGINATION},
    }
    components["ErrorEnvelope"] = ERROR_ENVELOPE
    return result


def drop_slash_duplicates(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """Every API path also answers with a trailing slash; document each once, without it."""
    return [endpoint for endpoint in endpoints if not endpoint[0].endswith("/")]


IDEMPOTENCY_KEY_PARAMETER: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes the request safe to resend. The first request with a key runs; the same key with the same "
        "method, path and body within 24 hours gets that first answer again (status and body) with "
        "`Idempotent-Replayed: true`, and nothing is done twice. The same key with a different request is "
        "422 `IDEMPOTENCY_KEY_REUSED`; a resend while the first is still running waits for its answer, or "
        "gets 409 `IDEMPOTENCY_IN_PROGRESS` after 10 seconds. Keys are per user (per client address on "
        "anonymous endpoints)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
    "example": "3f0c2a56-1b7e-4d0a-9c55-8f6f0a1d2e4b",
}
UNSAFE_OPERATIONS = ("post", "put", "patch", "delete")


def document_idempotency_key(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    """Every unsafe operation takes the ``Idempotency-Key`` header (hucares.core.idempotency)."""
    parameters = result.setdefault("components", {}).setdefault("parameters", {})
    parameters["IdempotencyKey"] = IDEMPOTENCY_KEY_PARAMETER
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in UNSAFE_OPERATIONS:
                operation.setdefault("parameters", []).append(reference)
    return result
