"""camelCase JSON in, snake_case inside; a body that is not JSON is ``MALFORMED_REQUEST``.

So is a body nested deeper than ``MAX_JSON_DEPTH`` (docs/api.md, "Limits"):
no request of the API nests that deep, and walking such a body (decoding,
renaming keys, validating) recurses once per level, which a few thousand
brackets would turn into a server error.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
TOO_DEEP = f"The request body nests deeper than {MAX_JSON_DEPTH} levels."


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests objects and arrays more than ``limit`` levels deep (iteratively: no recursion)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class CamelCaseJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return underscoreize(data, **settings.JSON_CAMEL_CASE["JSON_UNDERSCOREIZE"])
