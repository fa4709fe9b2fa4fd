"""The expand/contract check CI runs (`manage.py check_migrations`), on a planted app.

The operations are judged in process; the command itself runs as CI runs
it, in its own process, on a throwaway app with migrations written into a
temporary directory and settings that install that app.
"""

import os
import subprocess
import sys
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import models
from django.db.migrations import Migration
from django.db.migrations.operations import (
    AddField,
    AddIndex,
    AlterField,
    CreateModel,
    DeleteModel,
    RemoveField,
    RenameField,
    RenameModel,
    RunPython,
    RunSQL,
    SeparateDatabaseAndState,
)
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from hucares.core.migration_safety import Finding, migration_findings, read_released

ROOT = Path(__file__).resolve().parent.parent

INITIAL = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Thing",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
                ("note", models.CharField(max_length=20, null=True)),
            ],
        ),
    ]
"""


def _plant(tmp_path: Path, new: dict[str, str], released: list[str]) -> subprocess.CompletedProcess[str]:
    """An app `planted` with 0001_initial (released or not, as listed) and the `new` migrations."""
    app = tmp_path / "planted"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(INITIAL)
    previous = "0001_initial"
    for name, operations in new.items():
        body = textwrap.dedent(operations).strip().replace("\n", "\n    ")
        (app / "migrations" / f"{name}.py").write_text(
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = [('planted', '{previous}')]\n"
            f"    {body}\n"
        )
        previous = name
    (tmp_path / "planted_settings.py").write_text(
        "from hucares.settings.test import *  # noqa\n"
        "from hucares.settings.test import INSTALLED_APPS\n"
        "INSTALLED_APPS = [*INSTALLED_APPS, 'planted']\n"
    )
    listing = tmp_path / "released.txt"
    listing.write_text("# released\n" + "".join(f"{name}\n" for name in released))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "planted_settings", "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    return subprocess.run(
        [sys.executable, "manage.py", "check_migrations", "--released", str(listing)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_repositorys_migrations_pass() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check_migrations"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hucares.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no unmarked contract step" in result.stdout


def _findings(*ops: Operation, released: bool = True) -> list[Finding]:
    """In process: the findings for a migration `0002_change` after INITIAL's model."""
    before = ProjectState()
    CreateModel(
        name="Thing",
        fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=20)),
            ("note", models.CharField(max_length=20, null=True)),
        ],
    ).state_forwards("planted", before)
    change = type("Migration", (Migration,), {"operations": list(ops)})
    migration = change("0002_change", "planted")
    return migration_findings(migration, before, before if released else ProjectState())


@pytest.mark.parametrize(
    ("operation", "reason"),
    [
        (RemoveField("thing", "note"), "drops or renames"),
        (RenameField("thing", "note", "remark"), "drops or renames"),
        (DeleteModel("thing"), "drops or renames"),
        (RenameModel("thing", "item"), "drops or renames"),
        (AlterField("thing", "note", models.CharField(max_length=20, default="x")), "makes a nullable column required"),
        (AddField("thing", "size", models.IntegerField(default=0)), "adds a required column"),
        (RunSQL("UPDATE planted_thing SET note = name"), "cannot be reversed"),
        (RunPython(lambda apps, schema_editor: None), "cannot be reversed"),
    ],
)
def test_a_contract_operation_is_found(operation: Operation, reason: str) -> None:
    [finding] = _findings(operation)
    assert finding.migration == "planted.0002_change"
    assert reason in finding.reason


@pytest.mark.parametrize(
    "operation",
    [
        AddField("thing", "size", models.IntegerField(null=True)),
        AddField("thing", "size", models.IntegerField(db_default=0)),
        AlterField("thing", "name", models.CharField(max_length=40)),
        AddIndex("thing", models.Index(fields=["name"], name="thing_name")),
        RunSQL("SELECT 1", reverse_sql=RunSQL.noop),
    ],
)
def test_an_expand_operation_passes(operation: Operation) -> None:
    assert _findings(operation) == []


def test_a_state_only_move_passes_and_a_database_drop_inside_one_fails() -> None:
    drop = DeleteModel("thing")
    assert _findings(SeparateDatabaseAndState(state_operations=[drop], database_operations=[])) == []
    [finding] = _findings(SeparateDatabaseAndState(state_operations=[drop], database_operations=[drop]))
    assert "drops or renames" in finding.reason


def test_a_required_column_on_a_table_new_in_this_release_passes() -> None:
    # Nothing released writes to a table that did not exist before.
    assert _findings(AddField("thing", "size", models.IntegerField(default=0)), released=False) == []


def test_a_planted_contract_migration_fails_the_command(tmp_path: Path) -> None:
    drop = 'operations = [migrations.RemoveField("thing", "note")]'
    result = _plant(tmp_path, {"0002_drop_note": drop}, released=["planted.0001_initial"])
    assert result.returncode == 1
    assert "planted.0002_drop_note: Remove field note from thing" in result.stderr


def test_a_marked_contract_step_passes(tmp_path: Path) -> None:
    marked = """
    contract = "note unread since the release before"
    operations = [migrations.RemoveField("thing", "note")]
    """
    result = _plant(tmp_path, {"0002_drop_note": marked}, released=["planted.0001_initial"])
    assert result.returncode == 0, result.stderr


def test_released_migrations_are_not_checked_again(tmp_path: Path) -> None:
    drop = 'operations = [migrations.RemoveField("thing", "note")]'
    result = _plant(tmp_path, {"0002_drop": drop}, released=["planted.0001_initial", "planted.0002_drop"])
    assert result.returncode == 0, result.stderr


def test_a_release_records_every_migration_then_checks_none_of_them(tmp_path: Path) -> None:
    listing = tmp_path / "released.txt"
    listing.write_text("# released\n")
    call_command("check_migrations", "--released", str(listing), "--record", stdout=StringIO())
    recorded = read_released(listing)
    assert {"accounts.0001_initial", "groups.0001_initial", "core.0001_initial"} <= recorded
    assert not [name for name in recorded if name.startswith(("auth.", "admin.", "token_blacklist."))]
    out = StringIO()
    call_command("check_migrations", "--released", str(listing), stdout=out)
    assert "no unmarked contract step" in out.getvalue()
