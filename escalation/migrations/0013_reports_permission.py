"""The reports permission (issue 14), granted to the roles that read the reports: the Communications
Manager, Service directors and the Managing Director. Officers do not hold it."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Communications manager", "Service director", "Managing director")


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("escalation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(content_type__app_label="escalation", codename="read_reports")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="escalation", codename="read_reports").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0012_notifications_and_preferences'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='signoff',
            options={'ordering': ['requested_at'], 'permissions': [('read_reports', 'Can read the reports and download them and the statements of reasons')], 'verbose_name': 'sign-off'},
        ),
        migrations.RunPython(grant, revoke),
    ]
