"""Operators' entry to the localStorage import: the same service as POST /migration/localstorage."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from checkins.importer import MAX_BYTES, localstorage_import
from hucares.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Import a localStorage export (or raw key map) file for a user; prints the report as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="The email address of the account to import into.")
        parser.add_argument("--timezone", help="IANA timezone of the old data (default: the user's).")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report without keeping anything.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than {MAX_BYTES} bytes")
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        user = User.objects.filter(email__iexact=options["user"].strip()).first()
        if user is None:
            raise CommandError(f"no user with the email {options['user']!r}")
        try:
            report = localstorage_import(
                user=user, payload=payload, tz_name=options["timezone"], dry_run=options["dry_run"]
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.detail_message} {json.dumps(exc.details or [])}") from None
        self.stdout.write(json.dumps(report, cls=DjangoJSONEncoder, indent=2))
