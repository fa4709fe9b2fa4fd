"""What the ORM lacks: a UUID made by the database, ``INSERT … SELECT``, and a
JSON key test that reads the same on PostgreSQL and SQLite."""

from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, Value
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.db.models.sql.compiler import SQLCompiler

# SQLite has no UUID function and stores a UUIDField as 32 hex digits: 16 random
# bytes, with the version (4) and variant (8, 9, a or b) digits set as uuid4() sets them.
SQLITE_UUID4 = (
    "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
    " || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))"
)


class RandomUUID(models.Func):
    """A new version 4 UUID, made by the database."""

    template = "gen_random_uuid()"
    output_field = models.UUIDField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        return SQLITE_UUID4, []


def json_key_is(field: str, key: str, value: str) -> Q:
    """Rows whose JSON ``field`` (a path such as ``"user__privacy_settings"``) has ``key`` set to ``value``.

    True or false, never NULL: a blob without the key does not match, and
    negating the condition keeps that row (a bare ``NOT (key = value)`` would
    be NULL there and drop it). The key's text is compared, which both
    PostgreSQL and SQLite do; containment (``__contains``) is PostgreSQL's
    only and answers 500 on the embedded default.
    """
    return Q(Exact(Coalesce(KeyTextTransform(key, field), Value(""), output_field=models.TextField()), value))


def concrete_field(model: type[models.Model], name: str) -> "models.Field[Any, Any]":
    """The field ``name`` of ``model`` that has a column."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} has no column")
    return field


def insert_from_select(
    model: type[models.Model], source: models.QuerySet[Any], columns: dict[str, Combinable], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``INSERT INTO <model> (<columns>) SELECT <their expressions> FROM <source> RETURNING <returning>``.

    One statement: the source rows never come to Python. ``columns`` maps the
    model's field names to expressions over ``source``; the returned values
    are converted by the model's fields (a UUID comes back from SQLite as hex).
    """
    aliases = {f"insert_{index}": expression for index, expression in enumerate(columns.values())}
    select_sql, params = source.annotate(**aliases).values_list(*aliases).query.sql_with_params()
    connection = connections[source.db]
    quote = connection.ops.quote_name
    returned = [concrete_field(model, name) for name in returning]
    sql = "INSERT INTO {table} ({columns}) {select} RETURNING {returning}".format(
        table=quote(model._meta.db_table),
        columns=", ".join(quote(concrete_field(model, name).column) for name in columns),
        select=select_sql,
        returning=", ".join(quote(field.column) for field in returned),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [tuple(field.to_python(value) for field, value in zip(returned, row, strict=True)) for row in rows]
