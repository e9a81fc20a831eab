"""The roles that read casework in the admin read enquiries too (as ``escalation.0002_roles`` grants
every ``view_`` permission of its time)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("moderation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="moderation", codename="view_enquiry").first()
    if view is None:
        return
    for group in Group.objects.filter(
        permissions__content_type__app_label="moderation", permissions__codename="view_case"
    ).distinct():
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0027_enquiries"),
        ("escalation", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
