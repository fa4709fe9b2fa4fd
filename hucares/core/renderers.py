"""Renders every DRF response in the envelope, with camelCase keys."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.renderers import JSONRenderer

from .camel import camelize
from .envelope import envelope_meta


class EnvelopeJSONRenderer(JSONRenderer):
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code == 204:
            return b""
        if getattr(response, "envelope_is_error", False):
            body = data
        else:
            ignore_fields = settings.JSON_CAMEL_CASE["JSON_UNDERSCOREIZE"]["ignore_fields"]
            body = {"success": True, "data": camelize(data, ignore_fields)}
            message = getattr(response, "envelope_message", None)
            if message:
                body["message"] = message
            body["meta"] = envelope_meta(**getattr(response, "envelope_meta", {}))
        return super().render(body, accepted_media_type, renderer_context)
