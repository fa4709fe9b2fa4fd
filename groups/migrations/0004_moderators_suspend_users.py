"""Moderators may suspend users and lift suspensions, through the admin's suspension list only
(usernames and suspension state; still no right over users' accounts)."""

from django.db import migrations

GRANTS = (("accounts", "suspension", "view"), ("accounts", "suspension", "change"))


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make the proxy model's now so they can be granted.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    moderators = apps.get_model("auth", "Group").objects.get(name="Moderators")
    Permission = apps.get_model("auth", "Permission")
    for app_label, model, action in GRANTS:
        moderators.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
        )


def revoke(apps, schema_editor):
    moderators = apps.get_model("auth", "Group").objects.filter(name="Moderators").first()
    if moderators is not None:
        Permission = apps.get_model("auth", "Permission")
        codenames = [f"{action}_{model}" for _, model, action in GRANTS]
        moderators.permissions.remove(*Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0003_allow_member_invite_default"),
        ("accounts", "0005_user_suspension"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
