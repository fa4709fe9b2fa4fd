from django.db import migrations, models


class Migration(migrations.Migration):
    """New groups let members invite by default. Only the model default changes: no SQL runs, so
    every existing group keeps the value it has."""

    dependencies = [("groups", "0002_moderators_group")]

    operations = [
        migrations.AlterField(
            model_name="group",
            name="allow_member_invite",
            field=models.BooleanField(default=True),
        ),
    ]
