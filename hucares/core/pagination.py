"""``?page=`` (from 1) and ``?limit=`` (default 20, max 100) with ``meta.pagination``."""

import math
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

from .errors import ValidationFailed
from .responses import ApiResponse

if TYPE_CHECKING:
    from rest_framework.views import APIView

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _positive_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed.for_field(name, f"{name} must be a whole number.") from None
    if value < 1:
        raise ValidationFailed.for_field(name, f"{name} must be at least 1.")
    return value


class PageLimitPagination(BasePagination):
    max_limit = MAX_LIMIT

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | list[Any],
        request: Request,
        view: "APIView | None" = None,
        *,
        total: int | None = None,
    ) -> list[Any]:
        """The page asked for; ``total`` when the caller counted the rows already (in a query it makes anyway)."""
        self.page = _positive_int(request, "page", 1)
        self.limit = min(_positive_int(request, "limit", DEFAULT_LIMIT), self.max_limit)
        if total is None:
            total = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        self.total = total
        start = (self.page - 1) * self.limit
        if start >= self.total:
            # Past the end: nothing to read (and no OFFSET beyond what the database can count).
            return []
        return list(queryset[start : start + self.limit])

    def pagination_meta(self) -> dict[str, int]:
        return {
            "page": self.page,
            "limit": self.limit,
            "total": self.total,
            "totalPages": math.ceil(self.total / self.limit) if self.total else 0,
        }

    def get_paginated_response(self, data: Any, meta: dict[str, Any] | None = None) -> ApiResponse:
        return ApiResponse(data, meta={"pagination": self.pagination_meta(), **(meta or {})})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # The envelope hook in hucares.core.schema wraps this and documents meta.pagination.
        return {**schema, "x-paginated": True}

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "required": False,
                "in": OpenApiParameter.QUERY,
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "limit",
                "required": False,
                "in": OpenApiParameter.QUERY,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit, "default": DEFAULT_LIMIT},
            },
        ]
