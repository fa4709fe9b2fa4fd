"""Which database constraint an ``IntegrityError`` came from."""

from django.db import IntegrityError, models

from hucares.core.db import concrete_field

SQLITE_UNIQUE_FAILED = "UNIQUE constraint failed: "


def violated_constraint(exc: IntegrityError, model: type[models.Model]) -> str | None:
    """The name of the constraint of ``model`` that ``exc`` reports, or ``None`` if it names none of them.

    PostgreSQL names the constraint; SQLite (the embedded default) names a
    unique index, or the columns of a unique constraint, which are matched
    against ``model``'s own.
    """
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name is not None:
        return str(name)
    message = str(exc)
    if not message.startswith(SQLITE_UNIQUE_FAILED):
        return None
    failed = message.removeprefix(SQLITE_UNIQUE_FAILED)
    if failed.startswith("index '"):
        return failed.removeprefix("index '").rstrip("'")
    columns = {column.strip().rpartition(".")[2] for column in failed.split(",")}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and columns == {
            concrete_field(model, name).column for name in constraint.fields
        }:
            return constraint.name
    return None
