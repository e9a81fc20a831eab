"""Officers and managers may import posts from CSV files (escalation.routing.PERM_IMPORT_POSTS)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Communications officer", "Communications manager")


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("moderation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(
        Permission.objects.filter(
            content_type__app_label="moderation",
            codename__in=["import_posts", "view_csvimport", "view_importsource"],
        )
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="moderation", codename="import_posts")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0006_csv_import"),
        ("escalation", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
