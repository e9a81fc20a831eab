"""Legal holds on accounts and cases, the redaction stamps of erasure and retention, their timeline
events, and the two permissions (issue 14), granted to the Communications manager."""

import django.db.models.deletion
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLES = ("Communications manager",)
PERMISSIONS = ("moderation.hold_legal", "moderation.erase_personal_data")


def grant(apps, schema_editor):
    create_permissions(global_apps.get_app_config("moderation"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [perm.split(".")[1] for perm in PERMISSIONS]
    perms = list(Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames))
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    codenames = [perm.split(".")[1] for perm in PERMISSIONS]
    Permission.objects.filter(content_type__app_label="moderation", codename__in=codenames).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('moderation', '0033_event_kinds_with_subject_access'),
        ('policy', '0008_retention_periods'),
        ('escalation', '0013_reports_permission'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='case',
            options={'ordering': ['-recorded_at'], 'permissions': [('record_case', 'Can record a case'), ('manage_case', 'Can assign, close and reopen cases'), ('moderate_post', 'Can hide, delete and restore posts'), ('lead_safeguarding', 'Can lead on safeguarding: read restricted text, record the referral'), ('hold_legal', 'Can place and lift a legal hold on an account or a case'), ('erase_personal_data', "Can erase an account's personal data on request")]},
        ),
        migrations.RemoveConstraint(
            model_name='evidence',
            name='evidence_has_file_or_url',
        ),
        migrations.AddField(
            model_name='case',
            name='legal_hold_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='legal_hold_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='case',
            name='legal_hold_reason',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='evidence',
            name='redacted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='post',
            name='redacted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='socialaccount',
            name='erased_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='socialaccount',
            name='erased_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='socialaccount',
            name='legal_hold_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='socialaccount',
            name='legal_hold_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='socialaccount',
            name='legal_hold_reason',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AlterField(
            model_name='caseevent',
            name='kind',
            field=models.CharField(choices=[('case_recorded', 'Case recorded'), ('posts_added', 'Posts added to the case'), ('evidence_added', 'Evidence added'), ('case_assigned', 'Case assigned'), ('case_closed', 'Case closed'), ('case_reopened', 'Case reopened'), ('post_hidden', 'Post hidden'), ('post_deleted', 'Post deleted'), ('post_restored', 'Post restored'), ('warning_drafted', 'Warning drafted'), ('warning_revised', 'Warning revised'), ('warning_submitted', 'Warning sent for sign-off'), ('warning_approved', 'Warning signed off'), ('warning_refused', 'Warning sign-off refused'), ('warning_sent', 'Warning sent to the account'), ('warning_withdrawn', 'Warning withdrawn'), ('block_proposed', 'Block proposed'), ('block_approved', 'Block approved'), ('block_refused', 'Block refused'), ('block_immediate', 'Immediate block for extreme behaviour'), ('channel_ban', 'Banned from the channel (misinformation)'), ('md_notified', 'Managing Director notified'), ('md_acknowledged', 'Managing Director acknowledged'), ('police_reported', 'Reported to the police'), ('platform_reported', 'Reported to the platform'), ('agency_reported', 'Reported to another agency'), ('appeal_received', 'Appeal received'), ('appeal_premature', 'Appeal received before the window opened'), ('appeal_upheld', 'Appeal decided: block upheld'), ('appeal_overturned', 'Appeal decided: block overturned and lifted'), ('block_undone_on_platform', 'Block undone on the platform'), ('appeal_window_opened', 'Appeal window opened'), ('signoff_chased', 'Overdue sign-off chased'), ('acknowledgement_chased', 'Overdue acknowledgement chased'), ('flag_dismissed', 'Automatic flag dismissed: not a problem'), ('crisis_started', 'Crisis mode switched on'), ('crisis_ended', 'Crisis mode switched off'), ('safeguarding_marked', 'Marked as a safeguarding case'), ('safeguarding_leads_alerted', 'Safeguarding leads alerted'), ('safeguarding_referral', 'Safeguarding decision recorded'), ('enquiry_recorded', 'Recorded as an enquiry'), ('enquiry_replied', 'Reply sent'), ('enquiry_holding_reply', 'Holding reply sent'), ('enquiry_signposted', 'Signposted'), ('enquiry_clarification_asked', 'Asked to clarify the request (clock paused)'), ('enquiry_clarified', 'Clarification received (clock restarted)'), ('enquiry_handed_on', 'Enquiry handed on'), ('enquiry_answered', 'Enquiry answered'), ('subject_access_exported', 'Everything about the account downloaded (subject access)'), ('legal_hold_placed', 'Legal hold placed'), ('legal_hold_lifted', 'Legal hold lifted'), ('personal_data_erased', 'Personal data erased on request'), ('retention_redacted', 'Removed at the end of its retention period')], max_length=40),
        ),
        migrations.AddConstraint(
            model_name='case',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('legal_hold_at__isnull', True), ('legal_hold_by__isnull', True), ('legal_hold_reason', '')), models.Q(('legal_hold_at__isnull', False), models.Q(('legal_hold_reason', ''), _negated=True)), _connector='OR'), name='case_legal_hold_is_stamped'),
        ),
        migrations.AddConstraint(
            model_name='evidence',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('file', ''), _negated=True), models.Q(('url', ''), _negated=True), ('redacted_at__isnull', False), _connector='OR'), name='evidence_has_file_or_url'),
        ),
        migrations.AddConstraint(
            model_name='socialaccount',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('legal_hold_at__isnull', True), ('legal_hold_by__isnull', True), ('legal_hold_reason', '')), models.Q(('legal_hold_at__isnull', False), models.Q(('legal_hold_reason', ''), _negated=True)), _connector='OR'), name='account_legal_hold_is_stamped'),
        ),
        migrations.RunPython(grant, revoke),
    ]
