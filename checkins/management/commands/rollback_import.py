"""Operators' entry to rolling an import back: the same service as POST /migration/<id>/rollback."""

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from checkins.importer import localstorage_import_rollback
from checkins.models import LocalStorageImport
from hucares.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Remove exactly what one localStorage import created; prints the report as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("import_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            import_id = uuid.UUID(options["import_id"])
        except ValueError:
            raise CommandError(f"{options['import_id']!r} is not an import id") from None
        record = LocalStorageImport.objects.select_related("user").filter(pk=import_id).first()
        if record is None:
            raise CommandError(f"no import {import_id}")
        try:
            report = localstorage_import_rollback(user=record.user, import_id=import_id)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.detail_message}") from None
        self.stdout.write(json.dumps(report, cls=DjangoJSONEncoder, indent=2))
