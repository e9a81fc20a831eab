"""Create the four roles as groups and grant each the permissions of the routing table."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

from escalation.routing import ROLE_PERMISSIONS


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make sure ours exist now.
    for app_label in ("moderation", "escalation"):
        create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_perms = Permission.objects.filter(
        content_type__app_label__in=["moderation", "escalation"], codename__startswith="view_"
    )
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        granted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            granted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set([*granted, *view_perms])


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_initial"),
        ("moderation", "0003_house_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
