"""Expand/contract: a new migration must leave the previous release able to run.

A deploy migrates first and then replaces the processes, and a rollback puts
the previous image back without undoing the migration (docs/operations.md,
"Rollback"). So while a migration is new, the code of the release before it
runs against the migrated schema. Operations that break that code are
*contract* steps: dropping or renaming a table or column it reads, making a
column it does not write required, or anything that cannot be reversed.
They belong in a later release, after the code stopped using what they
remove, in a migration marked as a contract step::

    class Migration(migrations.Migration):
        contract = "users.nickname unread since release 2026.11 (expand: 0007)"

Migrations already released are listed in ``deploy/released_migrations.txt``
and not checked again; everything else the migration loader finds is.
"""

import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.db.migrations import operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState

# Always contract: the previous release still names the table or column.
DROPS_OR_RENAMES = (
    operations.RemoveField,
    operations.DeleteModel,
    operations.RenameField,
    operations.RenameModel,
    operations.AlterModelTable,
)


_PACKAGE_ROOTS = {Path(sysconfig.get_paths()[name]).resolve() for name in ("purelib", "platlib")}


@dataclass(frozen=True)
class Finding:
    migration: str
    operation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.reason}"


def read_released(path: Path) -> set[str]:
    """``app_label.migration_name`` per line; blank lines and ``#`` comments skipped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def _required_without_db_default(field: "models.Field[Any, Any]") -> bool:
    # Rows inserted by the previous release carry no value for it; a Python
    # `default` is unknown to the database, only `db_default` fills them.
    return not field.null and field.db_default is models.NOT_PROVIDED and not field.many_to_many


def _released_model(released: ProjectState, app_label: str, model_name: str) -> bool:
    # A table the previous release writes; tables new in this release have no
    # writer from before.
    return (app_label, model_name.lower()) in released.models


def _was_nullable(state: ProjectState, app_label: str, model_name: str, name: str) -> bool:
    model = state.models.get((app_label, model_name.lower()))
    if model is None or name not in model.fields:
        return False
    return bool(model.fields[name].null)


def _operation_reason(
    op: operations.base.Operation, app_label: str, state: ProjectState, released: ProjectState
) -> str | None:
    if isinstance(op, DROPS_OR_RENAMES):
        return "the previous release still uses what it drops or renames"
    if (
        isinstance(op, operations.AddField)
        and _required_without_db_default(op.field)
        and _released_model(released, app_label, op.model_name)
    ):
        return "adds a required column without db_default: the previous release's inserts fail"
    if (
        isinstance(op, operations.AlterField)
        and _required_without_db_default(op.field)
        and _released_model(released, app_label, op.model_name)
        and _was_nullable(state, app_label, op.model_name, op.name)
    ):
        return "makes a nullable column required without db_default: the previous release's inserts fail"
    if not op.reversible:
        return "cannot be reversed (give RunPython a reverse_code, RunSQL a reverse_sql)"
    return None


def migration_findings(migration: Migration, before: ProjectState, released: ProjectState) -> list[Finding]:
    """The contract operations of one migration, given the project state before it and the released one."""
    found: list[Finding] = []
    state = before.clone()
    name = f"{migration.app_label}.{migration.name}"
    for op in migration.operations:
        for judged, reason in _reasons(op, migration.app_label, state, released):
            found.append(Finding(name, judged.describe(), reason))
        op.state_forwards(migration.app_label, state)
    return found


def _reasons(
    op: operations.base.Operation, app_label: str, state: ProjectState, released: ProjectState
) -> list[tuple[operations.base.Operation, str]]:
    if isinstance(op, operations.SeparateDatabaseAndState):
        # Only what reaches the database matters: moving a model between apps
        # in the state alone leaves the previous release's tables as they are.
        db_state = state.clone()
        judged = []
        for inner in op.database_operations:
            judged.extend(_reasons(inner, app_label, db_state, released))
            inner.state_forwards(app_label, db_state)
        return judged
    reason = _operation_reason(op, app_label, state, released)
    return [(op, reason)] if reason else []


def _state_at(loader: MigrationLoader, keys: list[tuple[str, str]]) -> ProjectState:
    # Without nodes the loader answers the state after every migration: an
    # empty list means "before any".
    return loader.project_state(keys, at_end=True) if keys else ProjectState(real_apps=loader.unmigrated_apps)


def _is_third_party(app_label: str) -> bool:
    # Installed packages' migrations (Django's own, simplejwt's, ...) are
    # theirs to get right and cannot carry our mark.
    config = apps.get_app_config(app_label)
    path = Path(config.path).resolve()
    return any(path.is_relative_to(root) for root in _PACKAGE_ROOTS)


def _our_keys(loader: MigrationLoader) -> list[tuple[str, str]]:
    return sorted(key for key in loader.graph.nodes if not _is_third_party(key[0]))


def our_migrations(loader: MigrationLoader) -> list[str]:
    """``app_label.migration_name`` of every migration of the project's own apps."""
    return [".".join(key) for key in _our_keys(loader)]


def unreleased_findings(loader: MigrationLoader, released: Iterable[str]) -> list[Finding]:
    """Contract operations in every unreleased migration of ours that is not marked ``contract``."""
    released_names = set(released)
    ours = _our_keys(loader)
    released_state = _state_at(loader, [key for key in ours if ".".join(key) in released_names])
    found: list[Finding] = []
    for key in ours:
        migration = loader.graph.nodes[key]
        if ".".join(key) in released_names or str(getattr(migration, "contract", "")).strip():
            continue
        before = _state_at(loader, [parent.key for parent in loader.graph.node_map[key].parents])
        found.extend(migration_findings(migration, before, released_state))
    return found
