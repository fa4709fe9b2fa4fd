"""A URL conf with small views that exercise the API plumbing on its own.

Used by hucares/core/tests/test_api_plumbing.py through ``@pytest.mark.urls``.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError

from hucares.core.errors import ApplicationError
from hucares.core.pagination import PageLimitPagination
from hucares.core.responses import ApiResponse


class TeapotError(ApplicationError):
    code = "TEAPOT"
    status = 418
    message = "I am a teapot."


class EchoSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=5)
    score_card = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=10), required=False)
    entries = serializers.ListField(
        child=serializers.DictField(child=serializers.IntegerField(max_value=10)), required=False
    )


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> ApiResponse:
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return ApiResponse(serializer.validated_data, status=201, message="Echoed")


class ListView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> ApiResponse:
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset([{"item_number": n} for n in range(45)], request, self)
        return paginator.get_paginated_response(page)


class FailView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Any:
        kind = request.query_params.get("kind")
        if kind == "domain":
            raise TeapotError()
        if kind == "http404":
            raise Http404("secret path")
        if kind == "denied":
            raise DjangoPermissionDenied()
        if kind == "token":
            raise TokenError("bad token")
        raise RuntimeError("SELECT secret FROM users")


urlpatterns = [
    path("probe/echo", EchoView.as_view()),
    path("probe/list", ListView.as_view()),
    path("probe/fail", FailView.as_view()),
    path("", include("hucares.urls")),
]

handler404 = "hucares.core.views.not_found"
handler500 = "hucares.core.views.server_error"
