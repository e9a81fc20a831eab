"""Crisis mode (Hart's crisis communications): its periods, and the Communications manager may switch it."""

import django.db.models.deletion
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import moderation.clock

ROLES = ("Communications manager",)


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("escalation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(
        Permission.objects.filter(
            content_type__app_label="escalation", codename__in=["declare_crisis", "view_crisisperiod"]
        )
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="escalation", codename="declare_crisis")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0008_decisions_cannot_be_deleted'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CrisisPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField()),
                ('started_at', models.DateTimeField(default=moderation.clock.now)),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('end_note', models.TextField(blank=True)),
                ('in_force', models.BooleanField(default=True, editable=False)),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('started_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'crisis mode period',
                'ordering': ['-started_at'],
                'permissions': [('declare_crisis', 'Can switch crisis mode on and off')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('in_force', True)), fields=('in_force',), name='crisis_one_in_force'), models.CheckConstraint(condition=models.Q(models.Q(('ended_at__isnull', True), ('ended_by__isnull', True), ('in_force', True)), models.Q(('ended_at__isnull', False), ('ended_by__isnull', False), ('in_force', False)), _connector='OR'), name='crisis_ended_is_stamped')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
