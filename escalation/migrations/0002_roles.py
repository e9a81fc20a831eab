"""Create the four roles as groups and grant each the permissions of the routing table."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of escalation.routing.ROLE_PERMISSIONS as it stood when this migration was written:
# a later change to the routing table comes with a migration of its own.
ROLE_PERMISSIONS = {
    "Communications officer": (
        "moderation.record_case",
        "moderation.moderate_post",
        "moderation.manage_case",
        "escalation.draft_warning",
        "escalation.propose_block",
        "escalation.channel_ban",
        "escalation.record_appeal",
    ),
    "Communications manager": (
        "moderation.record_case",
        "moderation.moderate_post",
        "moderation.manage_case",
        "escalation.draft_warning",
        "escalation.propose_block",
        "escalation.channel_ban",
        "escalation.record_appeal",
        "escalation.signoff_any_warning",
        "escalation.approve_block",
        "escalation.immediate_block",
        "escalation.report_police",
    ),
    "Service director": ("escalation.signoff_area_warning",),
    "Managing director": ("escalation.acknowledge_block", "escalation.decide_appeal"),
}


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
