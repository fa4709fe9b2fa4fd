"""CI's expand/contract check (.ci/run): fails on a contract step in an unreleased migration."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.migrations.loader import MigrationLoader

from hucares.core.migration_safety import our_migrations, read_released, unreleased_findings

RELEASED = settings.BASE_DIR / "deploy" / "released_migrations.txt"


class Command(BaseCommand):
    help = (
        "Fail when a migration not yet released drops, renames or makes required what the previous "
        'release uses, or cannot be reversed, unless it is marked `contract = "<why>"`.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--released", type=Path, default=RELEASED, help="The list of released migrations.")
        parser.add_argument(
            "--record", action="store_true", help="At a release: add every current migration of ours to the list."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["released"]
        released = read_released(path) if path.exists() else set()
        loader = MigrationLoader(None, ignore_no_migrations=True)
        if options["record"]:
            self._record(path, loader, released)
            return
        findings = unreleased_findings(loader, released)
        for finding in findings:
            self.stderr.write(str(finding))
        if findings:
            raise CommandError(
                f"{len(findings)} contract operation(s) in unreleased migrations: move them to a later "
                'release and mark that migration `contract = "<why>"` (docs/operations.md, "Migrations")'
            )
        self.stdout.write("migrations: no unmarked contract step")

    def _record(self, path: Path, loader: MigrationLoader, released: set[str]) -> None:
        new = [name for name in our_migrations(loader) if name not in released]
        with path.open("a") as out:
            out.writelines(f"{name}\n" for name in new)
        self.stdout.write(f"recorded {len(new)} migration(s) in {path}")
