"""Each app writes only its own rows: a write to another app's table goes through that app's services.

Read from the source, not the running code: for every module of an app
(tests and migrations aside), a queryset write (``Model.objects....update()``,
``.delete()``, ``.create()`` and the bulk forms) on a model imported from
another app's ``models``, and raw SQL that inserts into, updates or deletes
from another app's table. A ``save()`` or ``delete()`` on an instance of
another app's model is not seen here: the import contracts and review keep
those out (an app above gets rows of the apps below only through their
selectors, to read).
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
QUERYSET_WRITES = frozenset(
    {"update", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
)
# Written straight to the tables of several apps on purpose, and said so in the module: bench data,
# made in bulk without the events a user's actions send.
ALLOWED = {"analytics/management/commands/seed_analytics_bench.py"}


@dataclass(frozen=True)
class App:
    package: str  # the dotted name, as imported
    folder: Path


def _apps() -> list[App]:
    """Every package of the project that owns models: the apps, and hucares.core (idempotency keys, emails)."""
    found = [App(path.parent.name, path.parent) for path in sorted(ROOT.glob("*/models.py"))]
    return [*found, App("hucares.core", ROOT / "hucares" / "core")]


def _modules(app: App) -> Iterator[Path]:
    for path in sorted(app.folder.rglob("*.py")):
        parts = path.relative_to(app.folder).parts
        if "tests" not in parts and "migrations" not in parts:
            yield path


def _owner(module: str, projects: list[App]) -> str | None:
    """The app whose ``models`` module this is (``groups.models`` -> ``groups``), else ``None``."""
    for app in projects:
        if module == f"{app.package}.models":
            return app.package
    return None


def _foreign_models(tree: ast.AST, own: str, projects: list[App]) -> dict[str, str]:
    """Local name -> owning app of every model imported from another app's ``models``."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            owner = _owner(node.module, projects)
            if owner is not None and owner != own:
                names.update({alias.asname or alias.name: owner for alias in node.names})
    return names


def _manager_root(node: ast.expr) -> str | None:
    """``Group`` for ``Group.objects.filter(...).select_for_update()``; ``None`` when not a manager chain."""
    through_manager = False
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            through_manager = through_manager or node.attr == "objects"
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id if through_manager else None
        else:
            return None


def queryset_writes(source: str, own: str, projects: list[App]) -> list[str]:
    """``"<line>: <Model>.<method>"`` for each queryset write on another app's model."""
    tree = ast.parse(source)
    foreign = _foreign_models(tree, own, projects)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERYSET_WRITES:
            root = _manager_root(node.func.value)
            if root in foreign:
                found.append(f"{node.lineno}: {root}.{node.func.attr} ({foreign[root]}'s table)")
    return found


def _tables_of_others(own: str) -> dict[str, str]:
    owners = {}
    for model in apps.get_models():
        package = model.__module__.rsplit(".models", 1)[0]
        if package != own:
            owners[model._meta.db_table] = package
    return owners


def sql_writes(source: str, own: str) -> list[str]:
    """Each string in the module that writes another app's table in SQL."""
    tables = _tables_of_others(own)
    # Upper-case keywords only, as the project writes SQL: prose ("update groups") is no statement.
    writes = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for table in writes.findall(node.value):
                if table in tables:
                    found.append(f"{node.lineno}: SQL on {table} ({tables[table]}'s table)")
    return found


def test_every_module_writes_only_its_own_apps_rows() -> None:
    projects = _apps()
    offences = {}
    for app in projects:
        for path in _modules(app):
            relative = path.relative_to(ROOT).as_posix()
            source = path.read_text()
            found = [*queryset_writes(source, app.package, projects), *sql_writes(source, app.package)]
            if found and relative not in ALLOWED:
                offences[relative] = found
    assert offences == {}


def test_the_check_finds_a_queryset_write_on_another_apps_model() -> None:
    source = """
from groups.models import Group as G
from .models import CheckIn

def f(pk):
    CheckIn.objects.filter(pk=pk).delete()
    G.objects.filter(pk=pk).select_for_update().update(total_check_ins=0)
    G.objects.filter(pk=pk).exists()
"""
    assert queryset_writes(source, "checkins", _apps()) == ["7: G.update (groups's table)"]


def test_the_check_finds_sql_that_writes_another_apps_table() -> None:
    group_table = apps.get_model("groups", "Group")._meta.db_table
    source = f'SQL = "UPDATE \\"{group_table}\\" SET total_check_ins = 0"\nREAD = "SELECT 1 FROM {group_table}"\n'
    assert sql_writes(source, "checkins") == [f"1: SQL on {group_table} (groups's table)"]
    assert sql_writes(source, "groups") == []
