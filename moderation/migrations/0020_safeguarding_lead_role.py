"""The "Safeguarding lead" role: a group holding ``moderation.lead_safeguarding`` (policy.roles
.PERM_SAFEGUARDING_LEAD) and the view permissions; the organisation names its leads in the admin."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

# A frozen copy of policy.roles.ROLE_PERMISSIONS["Safeguarding lead"] as this migration adds it.
ROLE = "Safeguarding lead"
PERMISSIONS = ("moderation.lead_safeguarding",)


def create_role(apps, schema_editor):
    create_permissions(global_apps.get_app_config("moderation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ROLE)
    codenames = [perm.split(".")[1] for perm in PERMISSIONS]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames))
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["moderation", "escalation"], codename__startswith="view_"
        )
    )


def remove_role(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=ROLE).first()
    if group is None:
        return
    group.permissions.clear()
    group.user_set.clear()
    # a plain DELETE: the collector would mix this historical Group with the app's models pointing at it
    schema_editor.execute("DELETE FROM auth_group WHERE id = %s", [group.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0019_safeguarding_cases_and_referrals"),
        ("escalation", "0002_roles"),
    ]

    operations = [migrations.RunPython(create_role, remove_role)]
