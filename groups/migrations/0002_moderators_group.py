"""The ``Moderators`` staff group: review and moderate groups, memberships, check-ins and
notifications in the admin, without being superusers and without any right over users."""

from django.db import migrations

GRANTS = {
    ("groups", "group"): ("view", "change"),
    ("groups", "groupmembership"): ("view", "change"),
    ("checkins", "checkin"): ("view", "change"),
    ("notifications", "notification"): ("view",),
}


def create_moderators(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    AuthGroup = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    moderators, _ = AuthGroup.objects.get_or_create(name="Moderators")
    for (app_label, model), actions in GRANTS.items():
        for action in actions:
            moderators.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            )


def remove_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_initial"),
        ("checkins", "0001_initial"),
        ("notifications", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators, remove_moderators)]
