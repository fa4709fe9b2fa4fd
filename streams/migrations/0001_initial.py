"""The stream's models move here from ``realtime``; their tables (made by realtime 0002) stay as they are.

State only: no table is created, renamed or copied, so the events kept
before the move are read after it with the same cursors.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("realtime", "0002_event_stream"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StreamCounter",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        ("last_cursor", models.BigIntegerField(default=0)),
                    ],
                    options={"db_table": "event_stream_counters"},
                ),
                migrations.CreateModel(
                    name="StreamEvent",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("user_id", models.UUIDField()),
                        ("cursor", models.BigIntegerField()),
                        ("frame", models.JSONField()),
                        ("created_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "event_stream",
                        "indexes": [models.Index(fields=["created_at"], name="event_stream_created_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=("user_id", "cursor"), name="event_stream_user_cursor_unique")
                        ],
                    },
                ),
            ],
            database_operations=[],
        )
    ]
