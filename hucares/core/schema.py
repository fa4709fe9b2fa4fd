"""drf-spectacular customisation: the schema says exactly what the server does.

``ApiAutoSchema`` documents a DELETE's body and insists on strict request
bodies; ``document_every_status`` lists on each operation the errors answered
around its view; ``wrap_in_envelope`` documents the envelope around every
response; ``document_idempotency_key`` the ``Idempotency-Key`` header.

Views describe only their payload; this hook wraps each JSON success response
in ``{success, data, message?, meta}`` (with ``meta.pagination`` on lists) as a
named component (``GroupEnvelope``, ``GroupPage``, ``EmptyEnvelope`` for a 2xx
whose ``data`` is null), gives every 4xx/5xx response and the ``default`` one
the ``ErrorEnvelope`` schema, and declares ``security: []`` on anonymous
operations. A view whose success body is a plain download marks its operation
with ``extensions={NO_ENVELOPE: True}``.
"""

from typing import Any

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from rest_framework.serializers import BaseSerializer

from .apidoc import ANONYMOUS, DELETE_BODY, ENVELOPE_META, error_example
from .errors import ApplicationError, NotAcceptable, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from .idempotency import IGNORED_PATH_PREFIX
from .serializers import StrictSerializer

Schema = dict[str, Any]

NO_ENVELOPE = "x-no-envelope"
ERROR_REF: Schema = {"$ref": "#/components/schemas/ErrorEnvelope"}

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
PAGINATED_META: Schema = {
    **META,
    "required": [*META["required"], "pagination"],
    "properties": {**META["properties"], "pagination": {"$ref": "#/components/schemas/Pagination"}},
}
FIELD_ERROR: Schema = {
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "The field, dotted for nested ones: `scores.care`, `entries[1].b`."},
        "message": {"type": "string"},
    },
}
API_ERROR: Schema = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "A code of the error table (docs/api.md).", "example": "NOT_FOUND"},
        "message": {"type": "string", "description": "For people; may change. Branch on `code`."},
        "details": {
            "description": "A list of field errors for `VALIDATION_ERROR`; an object for some other codes.",
            "oneOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                {"type": "object", "additionalProperties": True},
            ],
        },
    },
}
ERROR_META: Schema = {
    "type": "object",
    "required": ["timestamp", "requestId"],
    "properties": {"timestamp": {"type": "string", "format": "date-time"}, "requestId": {"type": "string"}},
}
ERROR_ENVELOPE: Schema = {
    "type": "object",
    "required": ["success", "error", "meta"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"$ref": "#/components/schemas/ApiError"},
        "meta": {"$ref": "#/components/schemas/ErrorMeta"},
    },
}


EMPTY_DATA: Schema = {"nullable": True, "enum": [None], "description": "Always null."}
EXAMPLE_META: Schema = {"timestamp": "2026-01-05T09:30:00Z", "version": "v1", "requestId": "7f9c0a1e4b2d4c69"}
EXAMPLE_PAGINATION: Schema = {"page": 1, "limit": 20, "total": 1, "totalPages": 1}


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


def _ref_name(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _pascal(operation_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in operation_id.replace("-", "_").split("_"))


def _envelope_name(data: Schema, paginated: bool, operation_id: str) -> str:
    """``Group`` -> ``GroupEnvelope``, a page of ``Group`` -> ``GroupPage``; else named after the operation."""
    if (name := _ref_name(data)) is not None:
        return f"{name}Envelope"
    items = data.get("items", {}) if data.get("type") == "array" else {}
    if (name := _ref_name(items)) is not None:
        return f"{name}Page" if paginated else f"{name}ListEnvelope"
    return f"{_pascal(operation_id)}Envelope"


def _unpaginated(schema: Schema, components: dict[str, Schema]) -> tuple[Schema, bool]:
    """The data schema without the pagination marker, and whether it was paginated."""
    target = components.get(_ref_name(schema) or "", schema)
    if not target.get("x-paginated"):
        return schema, False
    return {key: value for key, value in target.items() if key != "x-paginated"}, True


def _success_text(data: Schema, paginated: bool) -> str:
    items = data.get("items", {}) if data.get("type") == "array" else {}
    if (name := _ref_name(items)) is not None:
        if paginated:
            return f"`data` is one page of `{name}`; `meta.pagination` gives the page and the totals."
        return f"`data` is a list of `{name}`."
    if (name := _ref_name(data)) is not None:
        return f"`data` is a `{name}`."
    return "Success."


def _wrap_examples(content: Schema, paginated: bool) -> None:
    meta = {**EXAMPLE_META, "pagination": EXAMPLE_PAGINATION} if paginated else EXAMPLE_META
    for example in content.get("examples", {}).values():
        if "value" in example:
            example["value"] = {"success": True, "data": example["value"], "meta": meta}


def _meta_name(extra: Schema | None, paginated: bool, components: dict[str, Schema]) -> str:
    """``Meta``/``PaginatedMeta``, or the operation's own meta with its extra fields (``meta.summary``)."""
    base = PAGINATED_META if paginated else META
    if not extra:
        return "PaginatedMeta" if paginated else "Meta"
    components[extra["name"]] = {
        **base,
        "required": [*base["required"], *extra.get("required", [])],
        "properties": {**base["properties"], **extra["properties"]},
    }
    return str(extra["name"])


def _wrap_success(
    status: str, response: Schema, operation_id: str, components: dict[str, Schema], extra_meta: Schema | None
) -> None:
    content = response.get("content", {}).get("application/json")
    if content is None:
        if status == "204":
            return
        # A 2xx that answers the envelope with nothing in it (e.g. leaving a group).
        content = response.setdefault("content", {}).setdefault("application/json", {"schema": EMPTY_DATA})
        response["description"] = "Done; `data` is null."
        data, paginated = EMPTY_DATA, False
        name = "EmptyEnvelope"
    else:
        data, paginated = _unpaginated(content["schema"], components)
        name = _envelope_name(data, paginated, operation_id)
        response["description"] = response.get("description") or _success_text(data, paginated)
    meta = _meta_name(extra_meta, paginated, components)
    if extra_meta:
        name = meta.removesuffix("Meta") + ("Page" if paginated else "Envelope")
    components[name] = _envelope(data, meta)
    content["schema"] = {"$ref": f"#/components/schemas/{name}"}
    _wrap_examples(content, paginated)


def _share_examples(status: str, content: Schema, examples: dict[str, Schema]) -> None:
    """Error examples are the same wherever the error occurs: one copy in ``components/examples``."""
    for name, example in content.get("examples", {}).items():
        key = f"{status}_{example['value']['error']['code']}"
        examples.setdefault(key, example)
        content["examples"][name] = {"$ref": f"#/components/examples/{key}"}


def _document_operation(operation: Schema, components: dict[str, Schema], examples: dict[str, Schema]) -> None:
    responses = operation.get("responses", {})
    wrap = not operation.pop(NO_ENVELOPE, False)
    extra_meta = operation.pop(ENVELOPE_META, None)
    if operation.pop(ANONYMOUS, False) or operation.get("security") == [{}]:
        operation["security"] = []
    for status, response in responses.items():
        if str(status).startswith(("4", "5")) and "content" in response:
            content = {**response["content"]["application/json"], "schema": ERROR_REF}
            response["content"] = {"application/json": content}
            _share_examples(str(status), content, examples)
        elif wrap and str(status).startswith("2"):
            _wrap_success(str(status), response, operation.get("operationId", ""), components, extra_meta)
    responses.setdefault(
        "default",
        {
            "description": "Any other error (e.g. `INTERNAL_ERROR`)",
            "content": {"application/json": {"schema": ERROR_REF}},
        },
    )


# What the framework answers whatever the view: an ``Accept`` without JSON; on every unsafe method a body
# over the size limit (read by the JSON parser and by the Idempotency-Key check) or of another media type,
# even where the operation takes none; a query parameter that is not valid (``page=0``, ``limit=abc``).
ALWAYS: tuple[tuple[type[ApplicationError], str], ...] = (
    (NotAcceptable, "the `Accept` header admits no `application/json`"),
)
ON_UNSAFE: tuple[tuple[type[ApplicationError], str], ...] = (
    (PayloadTooLarge, "the body is over the request size limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`, 6 MB)"),
    (UnsupportedMediaType, "a body is sent that is not `application/json`"),
)
ON_QUERY: tuple[tuple[type[ApplicationError], str], ...] = (
    (ValidationFailed, "a query parameter is not valid (e.g. `page=0`, `limit=abc`); `details` names it"),
)
ERROR_TABLE_HEADER = "| Status | Code | When |\n|---|---|---|\n"


def _listed(operation: Schema, cls: type[ApplicationError]) -> bool:
    response = operation.get("responses", {}).get(str(cls.status), {})
    examples = response.get("content", {}).get("application/json", {}).get("examples", {})
    return any(example.get("value", {}).get("error", {}).get("code") == cls.code for example in examples.values())


def _add_error(operation: Schema, cls: type[ApplicationError], when: str) -> None:
    """The error as ``api_operation`` would have declared it: a response with its example, a row in the table."""
    response = operation.setdefault("responses", {}).setdefault(
        str(cls.status),
        {"content": {"application/json": {"schema": {"type": "object"}, "examples": {}}}, "description": "Error: "},
    )
    content = response["content"]["application/json"]
    content.setdefault("examples", {})[cls.code.replace("_", "")] = {
        "value": error_example(cls),
        "summary": cls.code,
    }
    codes = [example["summary"] for example in content["examples"].values()]
    response["description"] = "Error: " + ", ".join(f"`{code}`" for code in codes)
    head, _, table = operation.get("description", "").partition(ERROR_TABLE_HEADER)
    rows = [*table.splitlines(), f"| {cls.status} | `{cls.code}` | {when} |"]
    operation["description"] = head + ERROR_TABLE_HEADER + "\n".join(sorted(rows, key=_row_key))


def _row_key(row: str) -> tuple[str, str]:
    status, code = row.split(" | ")[0:2]
    return status, code


def document_every_status(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    """Add to each operation the errors the framework answers around its view (``ALWAYS``, ``ON_UNSAFE``,
    ``ON_QUERY``), so that every status the server can answer is listed (tests/test_api_statuses.py)."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            shared = [*ALWAYS, *(ON_UNSAFE if method in UNSAFE_OPERATIONS else ())]
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                shared.extend(ON_QUERY)
            missing = [(cls, when) for cls, when in shared if not _listed(operation, cls)]
            for cls, when in missing:
                _add_error(operation, cls, when)
            if missing:
                operation["responses"] = dict(sorted(operation["responses"].items()))
    return result


def wrap_in_envelope(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    examples = result["components"].setdefault("examples", {})
    for component in components.values():
        # Serializer docstrings are notes for this code's readers, not for clients.
        component.pop("description", None)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            _document_operation(operation, components, examples)
    for name in [name for name, component in components.items() if component.get("x-paginated")]:
        del components[name]
    components["Meta"] = META
    components["Pagination"] = PAGINATION
    components["PaginatedMeta"] = PAGINATED_META
    components["ErrorEnvelope"] = ERROR_ENVELOPE
    components["ApiError"] = API_ERROR
    components["FieldError"] = FIELD_ERROR
    components["ErrorMeta"] = ERROR_META
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
        "anonymous endpoints). The sign-in operations (`/auth/...`) ignore it: their answers carry tokens, "
        "which are never stored."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$"},
    "example": "3f0c2a56-1b7e-4d0a-9c55-8f6f0a1d2e4b",
}
UNSAFE_OPERATIONS = ("post", "put", "patch", "delete")


IDEMPOTENCY_KEY_IGNORED = (
    "\n\nIgnores `Idempotency-Key`: every request runs and nothing is replayed, because the answers of "
    "sign-in operations carry tokens and are never stored."
)


def document_idempotency_key(result: Schema, generator: Any, request: Any, public: bool) -> Schema:
    """Every unsafe operation takes the ``Idempotency-Key`` header, except the sign-in ones, which ignore it."""
    parameters = result.setdefault("components", {}).setdefault("parameters", {})
    parameters["IdempotencyKey"] = IDEMPOTENCY_KEY_PARAMETER
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in UNSAFE_OPERATIONS:
                continue
            if path.startswith(IGNORED_PATH_PREFIX):
                operation["description"] = operation.get("description", "") + IDEMPOTENCY_KEY_IGNORED
            else:
                operation.setdefault("parameters", []).append(reference)
    return result


def _serializer_class(declared: Any) -> type | None:
    if isinstance(declared, BaseSerializer):
        return type(declared)
    if isinstance(declared, type) and issubclass(declared, BaseSerializer):
        return declared
    return None


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's ``AutoSchema``, plus two things the API needs of every operation.

    A DELETE that takes a body (``DELETE /users/account`` needs the password) documents it: drf-spectacular
    leaves request bodies out on DELETE, and without one no generated client can send it. And every JSON
    request body is a ``StrictSerializer``, so that what the schema types is what the server accepts:
    another one is a warning, which fails ``make schema``.
    """

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or method.lower() not in UNSAFE_OPERATIONS:
            return operation
        delete_body = operation.pop(DELETE_BODY, False)
        if method == "DELETE" and not delete_body:
            return operation
        declared = self.get_request_serializer()
        serializer_class = _serializer_class(declared)
        if serializer_class is None:
            return operation
        if not issubclass(serializer_class, StrictSerializer):
            warn(f"{serializer_class.__name__} is the body of {method} {path} but not a StrictSerializer")
        if delete_body:
            component = self.resolve_serializer(serializer_class, "request")
            body = {"content": {"application/json": {"schema": component.ref}}, "required": True}
            responses = operation.pop("responses")
            # Before the responses, where the other operations have theirs.
            operation = {**operation, "requestBody": body, "responses": responses}
        return operation
