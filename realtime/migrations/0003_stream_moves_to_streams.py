"""The stream's models now belong to ``streams`` (its 0001); the tables stay, only the state moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("realtime", "0002_event_stream"),
        ("streams", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StreamCounter"), migrations.DeleteModel(name="StreamEvent")],
            database_operations=[],
        )
    ]
