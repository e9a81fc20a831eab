"""The retention purge's runs (issue 14), read in the admin by the Communications manager."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import moderation.clock

ROLES = ("Communications manager",)


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("escalation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(content_type__app_label="escalation", codename="view_retentionrun")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(perm)


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0013_reports_permission'),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(default=moderation.clock.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('evidence_files', models.PositiveIntegerField(default=0, help_text='Evidence files deleted from storage.')),
                ('post_texts', models.PositiveIntegerField(default=0, help_text='Posts of closed cases with no block redacted.')),
                ('uncased_post_texts', models.PositiveIntegerField(default=0, help_text='Posts in no case redacted.')),
                ('blocked_post_texts', models.PositiveIntegerField(default=0, help_text='Posts of cases whose blocks were lifted long enough ago redacted.')),
                ('appeals', models.PositiveIntegerField(default=0, help_text='Appeals whose grounds were redacted.')),
            ],
            options={
                'verbose_name': 'retention run',
                'ordering': ['-started_at', '-id'],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
