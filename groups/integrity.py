"""Which database constraint an ``IntegrityError`` came from."""

from django.db import IntegrityError


def violated_constraint(exc: IntegrityError) -> str | None:
    """The constraint name PostgreSQL reports, or ``None`` on other backends."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)
