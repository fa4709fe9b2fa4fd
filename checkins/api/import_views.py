"""POST /migration/localstorage and /migration/<id>/rollback: the old client's data, imported and undone."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.views import APIView

from checkins.importer import MAX_BYTES, ImportAlreadyRolledBack, localstorage_import, localstorage_import_rollback
from hucares.core.apidoc import api_operation
from hucares.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from hucares.core.responses import ApiResponse

from .import_serializers import ImportReportSerializer, RollbackReportSerializer

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no", ""}


class RawJSONParser(JSONParser):
    """Plain JSON, keys untouched: the old export is data, not API fields. Deep nesting is a parse error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def _dry_run(request: Request) -> bool:
    raw = request.query_params.get("dryRun", "false").strip().lower()
    if raw not in TRUE_VALUES | FALSE_VALUES:
        raise ValidationFailed.for_field("dryRun", "must be true or false.")
    return raw in TRUE_VALUES


class LocalStorageImportView(APIView):
    parser_classes = [RawJSONParser]

    @api_operation(
        summary="Import the old client's data",
        description="Imports the old client's export object or its raw localStorage key map (each value a "
        "JSON string; keys are read as the old client wrote them). An optional `timezone` (IANA) in the "
        "body says how to read the old `weekStartDate` instants; the caller's profile timezone "
        "otherwise. An instant that is not a local Monday midnight in that zone (the old device was "
        "elsewhere) is taken as the Monday nearest to it, with a warning. Scores must be JSON integers "
        "1-10: other entries are skipped with a reason per index, as are other people's check-ins and "
        "duplicate ids. With `dryRun=true` nothing is kept "
        "and the answer is 200 with `importId: null`; a real import answers 201. An import sends no "
        "live events or notifications.",
        access="Signed-in users; the data is imported into the caller's account.",
        errors=[
            (ValidationFailed, "the body is neither form, or a required part is missing or of the wrong type"),
            (PayloadTooLarge, "the body is over 5 MB or holds over 10,000 check-ins"),
        ],
        operation_id="migration_localstorage_import",
        tags=["migration"],
        parameters=[OpenApiParameter("dryRun", bool, description="Validate and report without keeping anything.")],
        request={"application/json": OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "Raw key map",
                request_only=True,
                value={"hucares_user_profile": '{"id": "abc"}', "hucares_check_ins": "[]", "timezone": "UTC"},
            )
        ],
        responses={200: ImportReportSerializer, 201: ImportReportSerializer},
    )
    def post(self, request: Request) -> ApiResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if (declared.isdigit() and int(declared) > MAX_BYTES) or len(request.body) > MAX_BYTES:
            raise PayloadTooLarge("An import is at most 5 MB.")
        dry_run = _dry_run(request)
        report = localstorage_import(user=request.user, payload=request.data, dry_run=dry_run)  # type: ignore[arg-type]
        return ApiResponse(report, status=200 if dry_run else 201)


class LocalStorageRollbackView(APIView):
    @api_operation(
        summary="Undo an import",
        description="Removes exactly what one of the caller's imports created. A group that another user "
        "has joined or checked in to since is kept and listed with the reason.",
        access="The user who made the import.",
        errors=[(NotFound, "no import of the caller has this id"), ImportAlreadyRolledBack],
        operation_id="migration_localstorage_rollback",
        tags=["migration"],
        request=None,
        responses=RollbackReportSerializer,
    )
    def post(self, request: Request, import_id: UUID) -> ApiResponse:
        report = localstorage_import_rollback(user=request.user, import_id=import_id)  # type: ignore[arg-type]
        return ApiResponse(report)
