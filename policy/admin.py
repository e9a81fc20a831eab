"""The policy in the admin: a superuser reads every version and publishes a new one (never edits one)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict

from policy import services
from policy.models import WEEKDAYS, PolicyVersion


class WeekdaysField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.pop("base_field", None)
        kwargs.pop("max_length", None)
        super().__init__(choices=WEEKDAYS, coerce=int, **kwargs)


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # a council's pages are https
    return field.formfield(**kwargs)


class PolicyVersionForm(forms.ModelForm):
    working_weekdays = WeekdaysField(label="Working days")
    emergency_weekdays = WeekdaysField(label="Emergency cover days", required=False)

    class Meta:
        model = PolicyVersion
        fields = ["reason", "notes", *services.SETTINGS_FIELDS]
        formfield_callback = _formfield
        help_texts = {
            "closure_days": "Extra days the team is closed, as dates separated by commas: 2026-12-29,2026-12-30.",
            "extra_working_days": "Days the team works though the calendar says not: 2026-12-19.",
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = PolicyVersion(**{name: cleaned.get(name) for name in services.SETTINGS_FIELDS if name in cleaned})
        active = PolicyVersion.objects.order_by("-number").first()
        if active is not None and not services.changes(active, candidate) and active.notes == cleaned.get("notes"):
            raise ValidationError(f"This is the same as version {active.number}: change a setting to publish.")
        return cleaned


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    form = PolicyVersionForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # the admin's own callback
    list_display = ["number", "organisation_name", "created_at", "created_by_label", "preset", "short_reason"]
    list_display_links = ["number", "organisation_name"]
    ordering = ["-number"]
    readonly_fields = ["number", "created_at", "created_by_label", "preset"]
    fieldsets = [
        ("Why", {"fields": ["reason", "notes"]}),
        (
            "The organisation",
            {
                "fields": [
                    "organisation_name",
                    "policy_url",
                    "privacy_notice_url",
                    "complaints_url",
                    "foi_url",
                    "contact_url",
                    "team_email",
                ]
            },
        ),
        (
            "Working calendar",
            {
                "fields": [
                    "working_weekdays",
                    ("opening_time", "closing_time"),
                    "bank_holidays",
                    "closure_days",
                    "extra_working_days",
                ]
            },
        ),
        (
            "Emergency cover (urgent cases are timed in it)",
            {
                "fields": [
                    "emergency_weekdays",
                    ("emergency_opening_time", "emergency_closing_time"),
                    "emergency_on_bank_holidays",
                ]
            },
        ),
        (
            "Targets",
            {
                "fields": [
                    "first_response_working_days",
                    "signoff_due_working_days",
                    "acknowledgement_due_working_days",
                    "warning_lookback_months",
                    "police_force",
                    "safeguarding_response_hours",
                ]
            },
        ),
        (
            "Retention (the nightly task redacts personal data when its time is up; a legal hold stops it)",
            {
                "fields": [
                    "retention_evidence_months",
                    "retention_post_text_months",
                    "retention_uncased_post_months",
                    "retention_block_years",
                ]
            },
        ),
        ("Sessions", {"fields": ["session_idle_minutes", "session_absolute_hours"]}),
        ("Role titles", {"fields": ["title_officer", "title_manager", "title_director", "title_head"]}),
        ("Subject access", {"fields": ["subject_access_staff_names"]}),
        (
            "The ladder",
            {
                "fields": [
                    "warning_signoff",
                    "warning_before_block",
                    "head_informed_of_blocks",
                    "head_acknowledges_blocks",
                    "appeals",
                    "appeal_wait_after_upheld_months",
                    "channel_ban_challenge_any_time",
                    "block_approval",
                    "immediate_block",
                ]
            },
        ),
        (
            "Messages (what the team sends the account owner; each lists the placeholders it may use)",
            {
                "fields": [
                    "warning_template",
                    "premature_appeal_template",
                    "appeal_upheld_template",
                    "appeal_overturned_template",
                    "channel_ban_template",
                ]
            },
        ),
        ("Published", {"fields": ["number", "created_at", "created_by_label", "preset"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # a version being written has no number, date or author yet
        return fieldsets if obj is not None else [f for f in fieldsets if f[0] != "Published"]

    @admin.display(description="Reason")
    def short_reason(self, obj: PolicyVersion) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    # a superuser configures; nobody else reads or changes the policy here
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are never edited: "Publish a new version" starts from the active one

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _warn_of_ladder_gaps(self, request) -> None:
        from django.contrib import messages

        for gap in services.policy_gaps():
            messages.warning(request, f"{gap} Give the role to someone in Users.")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._warn_of_ladder_gaps(request)
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "GET":
            self._warn_of_ladder_gaps(request)
        return super().add_view(request, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        active = services.current()
        data = model_to_dict(active, fields=[*services.SETTINGS_FIELDS, "notes"])
        return {**data, **initial}

    def save_model(self, request, obj, form, change):
        saved = services.publish(version=obj, by=request.user, reason=obj.reason)
        obj.pk, obj.number = saved.pk, saved.number
