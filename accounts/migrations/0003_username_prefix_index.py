"""An index serving the case-insensitive username prefix search on PostgreSQL.

``LOWER(username) LIKE 'ab%'`` can only use a b-tree whose operator class
compares bytes (``text_pattern_ops``) unless the database collation is "C";
the unique index on ``LOWER(username)`` uses the default operator class. The
SQL is PostgreSQL-only, so other databases (the embedded SQLite default) skip it.
"""

from django.db import migrations

INDEX = "users_username_prefix_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {INDEX} ON users (LOWER("username") text_pattern_ops)')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auth_sessions")]

    operations = [migrations.RunPython(create_index, drop_index)]
