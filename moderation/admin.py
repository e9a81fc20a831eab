"""Admin for what happened. Configuration (channels, rules, service areas) is edited here by
administrators; casework is read-only and changes only through actions that call services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Value
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from moderation import flags, services
from moderation.admin_actions import OptionalNoteForm, ReasonForm, error_text, form_action, run_per_row
from moderation.constants import CaseOutcome, CaseStatus, EventKind, FlagStatus, Platform, PostKind, Visibility
from moderation.forms import PostedAtField
from moderation.models import (
    Case,
    CaseEvent,
    Channel,
    CsvImport,
    ElectionPeriod,
    Enquiry,
    Evidence,
    Flag,
    FlagRule,
    HouseRule,
    ImportSource,
    Integration,
    Post,
    SafeguardingReferral,
    ServiceArea,
)
from moderation.reach import CaseReachAdminMixin
from moderation.selectors import first_response_at
from moderation.templatetags.workspace import earlier_versions, london
from policy import dates
from policy import roles as routing
from policy.titles import lazily, titles


def evidence_file_link(obj: Evidence):
    """The file through the workspace's case-reader check, never its storage URL (``/media/…``)."""
    if not obj.file:
        return "—"
    name = obj.file.name.rsplit("/", 1)[-1]
    return format_html('<a href="{}">{}</a>', reverse("moderation:evidence_file", args=[obj.case_id, obj.pk]), name)


evidence_file_link.short_description = "File"


class SafeguardingTextAdminMixin:
    """On a safeguarding case, the posts' text and the case's reason are for its safeguarding leads
    (``policy.roles.can_read_case_text``; an administrator is not one): each row is annotated
    ``text_restricted`` for the signed-in user, the columns and fields showing that text read it, and
    a search by that text finds no safeguarding case for anyone else.

    ``restricted_case_path`` leads from the row to its case; ``restricted_search`` names the search
    fields that hold restricted text, each with the path to the case it belongs to."""

    restricted_case_path = "case__"
    restricted_search: dict[str, str] = {}

    def _lead(self, request) -> bool:
        return routing.is_safeguarding_lead(request.user)

    def restricted_condition(self) -> Q:
        return Q(**{f"{self.restricted_case_path}safeguarding_at__isnull": False})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._lead(request):
            return queryset.annotate(text_restricted=Value(False, output_field=BooleanField()))
        return queryset.annotate(
            text_restricted=ExpressionWrapper(self.restricted_condition(), output_field=BooleanField())
        )

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self._lead(request):
            return fields
        return [field for field in fields if field not in self.restricted_search]

    def get_search_results(self, request, queryset, search_term):
        results, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and self.restricted_search and not self._lead(request):
            matches = Q()
            for field, case_path in self.restricted_search.items():
                matches |= Q(**{f"{field}__icontains": term, f"{case_path}safeguarding_at__isnull": True})
            results = queryset.filter(pk__in=results.values("pk")) | queryset.filter(matches)
            duplicates = True
        return results, duplicates

    @staticmethod
    def shown(obj, text: str) -> str:
        return routing.RESTRICTED_TEXT if getattr(obj, "text_restricted", True) else text


class ReadOnlyCaseworkAdmin(admin.ModelAdmin):
    """Casework rows are never edited or deleted in forms: services change them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "director_names"]
    list_filter = ["directors"]
    search_fields = ["name"]
    filter_horizontal = ["directors"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("directors")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "directors":  # the role as the organisation names it (the model's help text is fixed)
            role = titles()
            field.label = f"{role.start.director} (one or more)"
            field.help_text = f"Who, as {role.director}, may sign off warnings on this area's cases."
        return field

    @admin.display(description=lazily("{t.start.director} (one or more)"))
    def director_names(self, obj):
        return ", ".join(str(u.get_full_name() or u) for u in obj.directors.all()) or "—"


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "handle", "platform_page_id", "is_active"]
    list_filter = ["platform", "is_active"]
    search_fields = ["name", "handle", "platform_page_id"]

    def changelist_view(self, request, extra_context=None):
        """Says when Meta's webhook events arrived for a page id no channel holds (they were ignored)."""
        from datetime import datetime

        from moderation.webhooks import unmatched_pages

        for entry in unmatched_pages():
            platform = Platform(entry["platform"]).label if entry["platform"] in Platform.values else entry["platform"]
            last = dates.say_datetime(datetime.fromisoformat(entry["last"]))
            messages.warning(
                request,
                f"{entry['events']} webhook event{'s' if entry['events'] != 1 else ''} arrived for {platform} page "
                f"{entry['page_id']} (last {last}) and {'were' if entry['events'] != 1 else 'was'} ignored: "
                "no active channel holds that id. "
                "Set the channel's platform page id.",
            )
        return super().changelist_view(request, extra_context)


@admin.register(HouseRule)
class HouseRuleAdmin(admin.ModelAdmin):
    """Rules are retired (``is_active`` off), never deleted: cases keep the rules they cited."""

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = [
        "title",
        "code",
        "severity",
        "zero_tolerance",
        "safeguarding",
        "channel_only_ban",
        "party_political",
        "appeal_wait_months",
        "is_active",
        "position",
    ]
    list_filter = ["severity", "zero_tolerance", "safeguarding", "channel_only_ban", "party_political", "is_active"]
    list_editable = ["position"]
    search_fields = ["title", "code", "guidance"]


# Registered by escalation.admin, which adds the account's standing and its whole history.
class SocialAccountAdmin(CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    case_path = None
    list_display = ["__str__", "display_name", "platform", "first_seen_at"]
    list_filter = ["platform"]
    search_fields = ["handle", "display_name", "platform_user_id"]


class PostInline(SafeguardingTextAdminMixin, admin.TabularInline):
    model = Post
    fields = ["kind", "shown_text", "url", "posted_at", "visibility", "visibility_changed_by", "visibility_changed_at"]
    readonly_fields = fields

    @admin.display(description="Text")
    def shown_text(self, obj):
        return self.shown(obj, obj.text)
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class EventNoteMixin(SafeguardingTextAdminMixin):
    """"Case recorded" carries the case's reason in its note: restricted on a safeguarding case."""

    def restricted_condition(self) -> Q:
        return super().restricted_condition() & Q(kind=EventKind.CASE_RECORDED)

    @admin.display(description="Note")
    def shown_note(self, obj):
        return self.shown(obj, obj.note)


class EventInline(EventNoteMixin, admin.TabularInline):
    model = CaseEvent
    verbose_name_plural = "Timeline"
    fields = ["at", "kind", "actor_label", "shown_note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(SafeguardingTextAdminMixin, admin.TabularInline):
    model = Evidence
    fields = ["shown_description", "file_link", "url", "added_by", "added_at"]
    readonly_fields = fields

    @admin.display(description="Description")
    def shown_description(self, obj):
        return self.shown(obj, obj.description)

    @admin.display(description="File")
    def file_link(self, obj):
        return evidence_file_link(obj)

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CaseRecordForm(forms.ModelForm):
    """Record a case: the account, its post, the rules broken and why (saved by ``case_record``)."""

    platform = forms.ChoiceField(choices=Platform.choices)
    handle = forms.CharField(max_length=120, help_text="The account's handle, with or without @.")
    display_name = forms.CharField(max_length=200, required=False)
    post_text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Post text")
    post_url = forms.URLField(max_length=500, required=False, label="Post address (URL)", assume_scheme="https")
    post_external_id = forms.CharField(max_length=200, required=False, label="Platform post id")
    post_kind = forms.ChoiceField(choices=PostKind.choices, initial=PostKind.COMMENT, label="Kind of post")
    # the rule every way in applies to a post's time (``intake.posted_at_check``), as the workspace's form
    posted_at = PostedAtField(label="Posted at", help_text="London time, e.g. 20/11/2026 14:30 or 2026-11-20 14:30")

    class Meta:
        model = Case
        fields = ["channel", "rules", "reason", "service_area", "priority"]
        widgets = {"rules": forms.CheckboxSelectMultiple}

    def clean(self):
        data = super().clean()
        if not (data.get("post_text") or data.get("post_url") or data.get("post_external_id")):
            raise ValidationError("Give the post's text, its address or its platform id.")
        channel = data.get("channel")
        if channel and data.get("platform") and channel.platform != data["platform"]:
            self.add_error("platform", "The account must be on the same platform as the channel.")
        return data


# Registered by escalation.admin, which adds the account's standing and the warning and block actions.
class CaseAdmin(SafeguardingTextAdminMixin, CaseReachAdminMixin, admin.ModelAdmin):
    case_path = ""
    restricted_case_path = ""
    restricted_search = {"posts__text": "", "reason": ""}
    list_display = [
        "id",
        "account",
        "channel",
        "rule_titles",
        "status",
        "outcome",
        "assignee",
        "service_area",
        "recorded_at",
        "due",
    ]
    list_filter = [
        "status",
        "outcome",
        "channel",
        "rules",
        "service_area",
        "priority",
        ("assignee", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["account", "channel", "assignee", "service_area"]
    search_fields = ["account__handle", "account__display_name", "posts__text", "reason"]
    date_hierarchy = "recorded_at"
    inlines = [PostInline, EvidenceInline, EventInline]
    readonly_fields = [
        "account_link",
        "channel",
        "rules_list",
        "shown_reason",
        "shown_reported_by",
        "safeguarding",
        "status",
        "outcome",
        "priority",
        "service_area",
        "assignee",
        "recorded_by",
        "recorded_at",
        "response_due_at",
        "closed_at",
    ]
    fields = readonly_fields
    actions = [
        "attach_evidence",
        "assign_to_me",
        "close_cases",
        "reopen_cases",
    ]

    def get_queryset(self, request):
        # responded_at: the queue's first-response rule (acting on the case meets the target); who reported
        # the post is for the team working the case (``can_read_reporter``): each row says whether the
        # signed-in user reads it (the admin instance is shared by every request)
        readable = routing.can_read_reporter(request.user)
        return (
            super()
            .get_queryset(request)
            .prefetch_related("rules")
            .annotate(responded_at=first_response_at(), reporter_readable=Value(readable, output_field=BooleanField()))
        )

    # --- permissions: add = record a case through the service; never edited or deleted in a form
    def has_add_permission(self, request):
        return routing.holds(request.user, routing.PERM_RECORD_CASE)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_manage_case_permission(self, request):
        return routing.holds(request.user, routing.PERM_MANAGE_CASE)

    # --- the record form
    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CaseRecordForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "channel",
                "platform",
                "handle",
                "display_name",
                "post_kind",
                "post_text",
                "post_url",
                "post_external_id",
                "posted_at",
                "rules",
                "reason",
                "service_area",
                "priority",
            ]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        result = services.case_record(
            actor=request.user,
            platform=data["platform"],
            handle=data["handle"],
            display_name=data["display_name"],
            posts=[
                services.PostData(
                    channel=data["channel"],
                    posted_at=data["posted_at"],
                    text=data["post_text"],
                    url=data["post_url"],
                    external_id=data["post_external_id"],
                    kind=data["post_kind"],
                )
            ],
            rules=list(data["rules"]),
            reason=data["reason"],
            service_area=data["service_area"],
            priority=data["priority"],
        )
        obj.pk = result.case.pk
        obj.__dict__.update({k: v for k, v in result.case.__dict__.items() if not k.startswith("_")})
        if not result.created:
            messages.warning(request, f"That post was already recorded: it is on case {result.case.pk}, shown here.")

    def save_related(self, request, form, formsets, change):
        """Rules were saved by the service."""

    def add_view(self, request, form_url="", extra_context=None):
        """The form checks what it can; a refusal from the service itself comes back as a message."""
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, f"The case was not recorded. {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    # --- display
    @admin.display(description="Rules broken")
    def rule_titles(self, obj):
        return ", ".join(r.title for r in obj.rules.all())

    @admin.display(description="Reported to us by")
    def shown_reported_by(self, obj):
        """A member of the public's personal data: for the team working the case."""
        if not obj.reported_by:
            return "—"
        return obj.reported_by if getattr(obj, "reporter_readable", False) else routing.REPORTER_WITHHELD

    @admin.display(description="Why it is unacceptable")
    def shown_reason(self, obj):
        return self.shown(obj, obj.reason)

    @admin.display(description="Safeguarding")
    def safeguarding(self, obj):
        if obj.safeguarding_at is None:
            return "No"
        decided = "; awaiting a lead"
        if obj.safeguarding_decided_at:
            decided = f"; decided {london(obj.safeguarding_decided_at)}"
        return f"Marked {london(obj.safeguarding_at)}: {obj.safeguarding_reason}{decided}"

    @admin.display(description="Rules broken")
    def rules_list(self, obj):
        return format_html_join("", "<div>{}</div>", ((r.title,) for r in obj.rules.all()))

    @admin.display(description="Account")
    def account_link(self, obj):
        url = reverse("admin:moderation_socialaccount_change", args=[obj.account_id])
        return format_html('<a href="{}">{}</a>', url, obj.account)

    @admin.display(description="Response due", ordering="response_due_at")
    def due(self, obj):
        """As the queue says it: Responded (late), working time left or Overdue by; and when it is due."""
        if obj.status != CaseStatus.OPEN:
            return "—"
        says = render_to_string("moderation/includes/response_clock.html", {"case": obj})
        return format_html("{} (due {})", says, london(obj.response_due_at))

    # --- actions
    @admin.action(description="Attach evidence to one case (screenshot, PDF or link)", permissions=["record_case"])
    def attach_evidence(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one case to attach evidence to.", messages.WARNING)
            return None
        return form_action(
            self,
            request,
            queryset,
            form_class=EvidenceForm,
            title="Attach evidence",
            apply=lambda case, d: services.evidence_add(actor=request.user, case=case, **d) and "evidence attached.",
        )

    def has_record_case_permission(self, request):
        return routing.holds(request.user, routing.PERM_RECORD_CASE)

    @admin.action(description="Assign to me", permissions=["manage_case"])
    def assign_to_me(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda case: (
                services.case_assign(actor=request.user, case=case, assignee=request.user) and "assigned to you."
            ),
        )

    @admin.action(description="Close with an outcome", permissions=["manage_case"])
    def close_cases(self, request, queryset):
        class CloseForm(OptionalNoteForm):
            outcome = forms.ChoiceField(choices=CaseOutcome.choices)
            field_order = ["outcome", "note"]

        return form_action(
            self,
            request,
            queryset,
            form_class=CloseForm,
            title="Close the cases",
            apply=lambda case, d: (
                services.case_close(actor=request.user, case=case, outcome=d["outcome"], note=d["note"])
                and f"closed ({CaseOutcome(d['outcome']).label.lower()})."
            ),
        )

    @admin.action(description="Reopen", permissions=["manage_case"])
    def reopen_cases(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reopen the cases",
            apply=lambda case, d: services.case_reopen(actor=request.user, case=case, note=d["reason"]) and "reopened.",
        )



class EvidenceForm(forms.Form):
    file = forms.FileField(required=False, help_text="An image (PNG, JPEG, GIF, WebP) or a PDF, up to 10 MB.")
    url = forms.URLField(max_length=500, required=False, assume_scheme="https", label="Link")
    description = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("url"):
            raise ValidationError("Attach a file or give a link.")
        return data




@admin.register(Post)
class PostAdmin(SafeguardingTextAdminMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    case_path = "case__"
    restricted_search = {"text": "case__"}
    list_display = ["id", "account", "channel", "kind", "short_text", "posted_at", "visibility", "case_link"]
    fields = [
        "channel",
        "account",
        "case",
        "external_id",
        "url",
        "shown_text",
        "versions",
        "kind",
        "posted_at",
        "visibility",
        "visibility_changed_at",
        "visibility_changed_by",
        "in_reply_to",
        "ingested_by",
        "imported_from",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="Text")
    def shown_text(self, obj):
        return self.shown(obj, obj.text)

    list_filter = ["visibility", "kind", "channel", "ingested_by"]
    list_select_related = ["account", "channel"]
    search_fields = ["text", "account__handle", "external_id", "url"]
    date_hierarchy = "posted_at"
    actions = ["hide", "delete_on_platform", "restore"]

    def has_moderate_post_permission(self, request):
        return routing.holds(request.user, routing.PERM_MODERATE_POST)

    @admin.display(description="Text")
    def short_text(self, obj):
        text = self.shown(obj, obj.text)
        return text if len(text) <= 80 else text[:77] + "…"

    @admin.display(description="Earlier versions")
    def versions(self, obj):
        """Every other version of the text, newest first (none once the post was redacted; restricted, as
        the text is, on a safeguarding case)."""
        if getattr(obj, "text_restricted", True):
            return routing.RESTRICTED_TEXT
        found = earlier_versions(obj)
        if not found:
            return "—"
        return format_html_join(
            mark_safe("<br><br>"),  # noqa: S308 - a constant
            "{} ({}): {}",
            ((london(v.received_at), v.get_kind_display().lower(), v.text) for v in found),
        )

    @admin.display(description="Case", ordering="case")
    def case_link(self, obj):
        if obj.case_id is None:
            return "—"
        return format_html(
            '<a href="{}">Case {}</a>', reverse("admin:moderation_case_change", args=[obj.case_id]), obj.case_id
        )

    def _moderate(self, request, queryset, visibility: str, done: str):
        run_per_row(
            self,
            request,
            queryset,
            lambda post: services.post_set_visibility(actor=request.user, post=post, visibility=visibility) and done,
        )

    @admin.action(description="Hide", permissions=["moderate_post"])
    def hide(self, request, queryset):
        self._moderate(request, queryset, Visibility.HIDDEN, "hidden.")

    @admin.action(description="Delete (on the platform)", permissions=["moderate_post"])
    def delete_on_platform(self, request, queryset):
        self._moderate(request, queryset, Visibility.DELETED, "deleted.")

    @admin.action(description="Restore", permissions=["moderate_post"])
    def restore(self, request, queryset):
        self._moderate(request, queryset, Visibility.RESTORED, "restored.")


@admin.register(SafeguardingReferral)
class SafeguardingReferralAdmin(CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """The safeguarding leads' decisions: read-only (recorded on the case page by a lead)."""

    case_path = "case__"
    list_display = ["case", "agency", "reference", "referred_by", "referred_at", "recorded_by", "recorded_at"]
    list_filter = ["agency"]
    list_select_related = ["case__account", "recorded_by"]
    search_fields = ["reference", "referred_by", "case__account__handle"]


@admin.register(Evidence)
class EvidenceAdmin(SafeguardingTextAdminMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    case_path = "case__"
    restricted_search = {"description": "case__"}
    list_display = ["case", "shown_description", "file_link", "url", "added_by", "added_at"]
    fields = ["case", "shown_description", "file_link", "url", "added_by", "added_at"]
    readonly_fields = fields

    @admin.display(description="Description")
    def shown_description(self, obj):
        return self.shown(obj, obj.description)

    @admin.display(description="File")
    def file_link(self, obj):
        return evidence_file_link(obj)

    list_filter = ["added_at", "added_by"]
    list_select_related = ["case__account", "added_by"]
    search_fields = ["description", "url", "case__account__handle"]


@admin.register(Enquiry)
class EnquiryAdmin(CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Enquiries (issue 12), read-only: they are recorded, handed on and answered from the case page."""

    case_path = "case__"
    list_display = ["case", "kind", "status", "received_on", "due_on", "handed_to_team", "handed_reference"]
    list_filter = ["kind", "status", "received_on"]
    list_select_related = ["case__account"]
    search_fields = ["handed_reference", "handed_to_team", "case__account__handle"]
    date_hierarchy = "received_on"


@admin.register(CaseEvent)
class CaseEventAdmin(EventNoteMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """The audit trail: read-only (PostgreSQL refuses changes anyway)."""

    case_path = "case__"
    restricted_search = {"note": "case__"}
    fields = [
        "case",
        "kind",
        "actor",
        "actor_label",
        "at",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "shown_note",
    ]
    readonly_fields = fields

    list_display = ["at", "case", "kind", "actor_label", "subject_type", "subject_id", "shown_note"]
    list_filter = ["kind", "subject_type", ("actor", admin.EmptyFieldListFilter)]
    list_select_related = ["case__account"]
    search_fields = ["actor_label", "note", "case__account__handle"]
    date_hierarchy = "at"


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """Integrations that push posts through the API. The token is shown once, on creation;
    revoking (an action calling ``integration_revoke``) is final."""

    list_display = ["name", "token_prefix", "channel_names", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active", "channels"]
    search_fields = ["name", "token_prefix"]
    filter_horizontal = ["channels"]
    readonly_fields = ["token_prefix", "is_active", "created_at", "created_by", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("channels")

    def has_delete_permission(self, request, obj=None):
        return False  # posts keep the integration that sent them; revoke instead

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "channels"]
        return ["name", "channels", *self.readonly_fields]

    @admin.display(description="Channels")
    def channel_names(self, obj):
        return ", ".join(c.name for c in obj.channels.all()) or "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, token = services.integration_create(actor=request.user, name=obj.name, channels=[])
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()
        self.message_user(
            request,
            format_html(
                "The token of “{}” is <code>{}</code>. Copy it now: it is not stored and will not be shown again.",
                created.name,
                token,
            ),
            messages.WARNING,
        )

    @admin.action(description="Revoke the token (final)", permissions=["change"])
    def revoke(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda integration: (
                services.integration_revoke(actor=request.user, integration=integration) and "token revoked."
            ),
        )


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(admin.ModelAdmin):
    """Pre-election periods (Hart). While one is on, every workspace page says so, party-political house
    rules are offered first, and the flag rules tied to it run. Saving one shows at once (the cached
    notices are forgotten: ``escalation.periods``)."""

    list_display = ["name", "starts_on", "ends_on", "flag_rule_count"]
    date_hierarchy = "starts_on"
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(flag_rules_count=Count("flag_rules"))

    @admin.display(description="Flag rules", ordering="flag_rules_count")
    def flag_rule_count(self, obj):
        return obj.flag_rules_count


@admin.register(FlagRule)
class FlagRuleAdmin(admin.ModelAdmin):
    """Rules are configuration; their accuracy (how often people agreed with them) shows in the list.

    The pattern is checked by ``FlagRule.clean``: an invalid regular expression is a form error.
    """

    list_display = [
        "name",
        "kind",
        "house_rule",
        "is_active",
        "open_count",
        "confirmed_count",
        "dismissed_count",
        "precision",
    ]
    list_filter = ["kind", "is_active", "house_rule", "election_period"]
    list_select_related = ["house_rule"]
    search_fields = ["name", "terms", "pattern"]
    fields = [
        "name",
        "kind",
        "house_rule",
        "terms",
        "pattern",
        "repeat_threshold",
        "repeat_window_minutes",
        "election_period",
        "is_active",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_flags=Count("flags", filter=Q(flags__status=FlagStatus.OPEN)),
                confirmed_flags=Count("flags", filter=Q(flags__status=FlagStatus.CONFIRMED)),
                dismissed_flags=Count("flags", filter=Q(flags__status=FlagStatus.DISMISSED)),
            )
        )

    @admin.display(description="Open", ordering="open_flags")
    def open_count(self, obj):
        return obj.open_flags

    @admin.display(description="Confirmed", ordering="confirmed_flags")
    def confirmed_count(self, obj):
        return obj.confirmed_flags

    @admin.display(description="Dismissed", ordering="dismissed_flags")
    def dismissed_count(self, obj):
        return obj.dismissed_flags

    @admin.display(description="Precision")
    def precision(self, obj):
        """Confirmed ÷ (confirmed + dismissed): how often a person agreed with the rule."""
        decided = obj.confirmed_flags + obj.dismissed_flags
        return f"{obj.confirmed_flags / decided:.0%}" if decided else "—"


@admin.register(Flag)
class FlagAdmin(SafeguardingTextAdminMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Flags are read-only; "not a problem" is an action calling ``flag_dismiss``."""

    case_path = "post__case__"
    restricted_case_path = "post__case__"
    restricted_search = {"post__text": "post__case__", "reason": "post__case__"}  # a reason quotes the text

    list_display = ["post", "rule", "shown_reason", "status", "created_at", "dismissed_by", "dismissed_at"]
    fields = ["post", "rule", "shown_reason", "status", "created_at", "dismissed_by", "dismissed_at", "note"]
    readonly_fields = fields

    @admin.display(description="Reason")
    def shown_reason(self, obj):
        """It quotes the words the rule matched: on a safeguarding case, for its leads."""
        return self.shown(obj, obj.reason)
    list_filter = ["status", "rule"]
    list_select_related = ["post__account", "post__case", "rule", "dismissed_by"]
    search_fields = ["post__text", "post__account__handle", "reason"]
    actions = ["dismiss_flags"]

    def has_moderate_post_permission(self, request):
        return routing.holds(request.user, routing.PERM_MODERATE_POST)

    @admin.action(description="Not a problem: dismiss the flags", permissions=["moderate_post"])
    def dismiss_flags(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda flag: flags.flag_dismiss(actor=request.user, flag=flag) and "dismissed: not a problem.",
        )


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):
    """Where CSV files come from. The column mapping is saved from the import pages; here it can be
    read, the source renamed, or its default channel changed."""

    list_display = ["name", "channel", "columns_saved_by", "columns_saved_at", "import_count"]
    list_select_related = ["channel", "columns_saved_by"]
    fields = ["name", "channel", "columns", "created_by", "created_at", "columns_saved_by", "columns_saved_at"]
    readonly_fields = ["columns", "created_by", "created_at", "columns_saved_by", "columns_saved_at"]

    def has_add_permission(self, request, obj=None):
        return False  # sources are named when their first file is uploaded

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_imports=Count("imports"))

    @admin.display(description="Imports", ordering="_imports")
    def import_count(self, obj):
        return obj._imports


@admin.register(CsvImport)
class CsvImportAdmin(ReadOnlyCaseworkAdmin):
    """Every CSV import and what came of it; imports are run from the workspace's Import posts pages."""

    list_display = [
        "filename",
        "source",
        "status",
        "row_count",
        "created_count",
        "existing_count",
        "flagged_count",
        "problem_count",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["source", "uploaded_by"]
    search_fields = ["filename", "sha256"]
    date_hierarchy = "uploaded_at"


# --- Outgoing emails (the outbox, moderation/outbox.py) ------------------------------------------
# Kept with the admin's other models but imported here, so this section stands on its own.
from moderation import outbox as outbox_services  # noqa: E402
from moderation.models import OutboxMessage, OutboxStatus  # noqa: E402


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnlyCaseworkAdmin):
    """Every email the app sends: whether it went, how many tries, the last error and the next try.
    Read-only; *Retry now* asks the outbox service to try a waiting or failed email at once."""

    list_display = ["subject", "kind", "status", "attempts", "next_attempt_at", "last_error_short", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["key", "subject", "message_id"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    readonly_fields = [
        "key",
        "message_id",
        "kind",
        "status",
        "subject",
        "recipients",
        "recipient_people",
        "case",
        "created_at",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "body",
    ]
    fields = readonly_fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            request.user.has_perm("moderation.view_outboxmessage") or request.user.has_perm(outbox_services.PERM_RETRY)
        )

    @admin.display(description="Recipients (people)")
    def recipient_people(self, obj: OutboxMessage) -> str:
        people = [user.get_full_name() or user.get_username() for user in obj.recipient_users.all()]
        return ", ".join(people) or "—"

    @admin.display(description="Last error")
    def last_error_short(self, obj: OutboxMessage) -> str:
        if obj.status == OutboxStatus.SENT or not obj.last_error:
            return "—"
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda message: (
                outbox_services.outbox_retry_now(actor=request.user, message=message) and "to be sent again now."
            ),
        )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(outbox_services.PERM_RETRY)
