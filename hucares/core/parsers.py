"""camelCase JSON in, snake_case inside; a body that is not JSON is ``MALFORMED_REQUEST``."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.parsers import JSONParser


class CamelCaseJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        return underscoreize(data, **settings.JSON_CAMEL_CASE["JSON_UNDERSCOREIZE"])
