"""The schema class refuses request bodies that are not strict, and documents a DELETE's body."""

from typing import Any

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hucares.core.apidoc import api_operation
from hucares.core.serializers import StrictSerializer


class LooseBody(serializers.Serializer[Any]):
    name = serializers.CharField()


class StrictBody(StrictSerializer):
    name = serializers.CharField()


def _schema_of(body: type[serializers.Serializer[Any]], method: str) -> dict[str, Any]:
    def handler(self: APIView, request: Request) -> Response:
        return Response(status=204)

    # The method's name is its HTTP method, as api_operation reads it.
    handler.__name__ = method
    document = api_operation(
        summary="Probe", description="Probe.", access="Anyone.", request=body, responses={204: None}
    )
    view: type[APIView] = type("ProbeView", (APIView,), {method: document(handler)})
    return dict(SchemaGenerator(patterns=[path("probe", view.as_view())]).get_schema(request=None, public=True))


def test_a_request_body_that_is_not_a_strict_serializer_is_a_schema_warning(capsys: pytest.CaptureFixture[str]) -> None:
    _schema_of(LooseBody, "post")

    assert "LooseBody is the body of POST /probe but not a StrictSerializer" in capsys.readouterr().err


def test_a_strict_delete_body_is_documented_and_warns_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    schema = _schema_of(StrictBody, "delete")

    body = schema["paths"]["/probe"]["delete"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/StrictBodyRequest"}
    assert "StrictSerializer" not in capsys.readouterr().err
