"""Admin for what was decided. Every change is an action that calls a service; the actions shown
depend on the user's role (``@admin.action(permissions=...)``). The admin drafts, records and reads;
it decides nothing (ADR 8). Sign-offs (a warning's, a block's), the Managing Director's
acknowledgement of a block and appeals are decided in the workspace, on pages that meet WCAG 2.2 AA
(``escalation:signoff_detail``, ``escalation:block_detail``, ``escalation:appeal_detail``). The admin's
pages of what waits for a decision link there ("Decide in the workspace"), and a stale admin form
posting a decision that was once an action here changes nothing and is sent there with a message."""

from __future__ import annotations

import logging
from typing import NamedTuple

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from escalation import deciders, routing, services
from escalation.constants import AppealStatus, BlockScope, BlockStatus, SignOffKind, SignOffStatus, WarningStatus
from escalation.models import Appeal, Block, CrisisPeriod, ExternalReport, PoliceReport, SignOff, Warning
from escalation.selectors import signoffs_for
from moderation import admin as moderation_admin
from moderation.admin import ReadOnlyCaseworkAdmin
from moderation.admin_actions import ReasonForm, error_text, form_action, run_per_row
from moderation.models import Case, CaseEvent, SocialAccount
from moderation.reach import CaseReachAdminMixin
from moderation.templatetags.workspace import london
from policy.titles import lazily, titles

logger = logging.getLogger(__name__)


def _when(value) -> str:
    """The product's one date format ("2 December 2027, 09:05", London time); "—" for none."""
    return london(value)


def _link(obj, label=None) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


def account_history_html(account: SocialAccount) -> str:
    """Every case, warning, block and appeal of the account, newest first (five queries)."""
    cases = list(Case.objects.filter(account=account).select_related("channel").prefetch_related("rules"))
    warnings = list(Warning.objects.filter(case__account=account).order_by("-drafted_at"))
    blocks = list(Block.objects.filter(account=account).select_related("channel"))
    appeals = list(Appeal.objects.filter(block__account=account).select_related("decided_by"))
    rows = []
    for case in cases:
        rows.append(
            (
                case.recorded_at,
                "Case",
                _link(case, f"Case {case.pk}"),
                f"{case.channel.name}: {', '.join(r.title for r in case.rules.all())} — {case.get_status_display()}"
                + (f" ({case.get_outcome_display()})" if case.outcome else ""),
            )
        )
    for warning in warnings:
        rows.append(
            (
                warning.sent_at or warning.drafted_at,
                "Warning",
                _link(warning, f"Warning {warning.pk}"),
                f"{warning.get_status_display()} (case {warning.case_id})",
            )
        )
    for block in blocks:
        where = block.channel.name if block.channel else "all channels"
        rows.append(
            (
                block.started_at or block.proposed_at,
                "Block",
                _link(block, f"Block {block.pk}"),
                f"{block.get_kind_display()} on {where} — {block.get_status_display()}; "
                f"appeals from {_when(block.appeal_opens_at)}",
            )
        )
    for appeal in appeals:
        rows.append(
            (
                appeal.received_at,
                "Appeal",
                _link(appeal, f"Appeal {appeal.pk}"),
                f"{appeal.get_status_display()}"
                + (f" by {appeal.decided_by} on {_when(appeal.decided_at)}" if appeal.decided_at else ""),
            )
        )
    if not rows:
        return "No history."
    rows.sort(key=lambda row: row[0], reverse=True)
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((_when(at), kind, link, text) for at, kind, link, text in rows),
    )
    return _scrolling_table(
        "The account's whole history, newest first",
        format_html(
            '<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Record</th>'
            '<th scope="col">Detail</th></tr></thead><tbody>{}</tbody>',
            body,
        ),
    )


def timeline_html(case_id: int) -> str:
    events = CaseEvent.objects.filter(case_id=case_id).order_by("at", "id")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((_when(e.at), e.get_kind_display(), e.actor_label, e.note) for e in events),
    )
    return _scrolling_table(
        f"Timeline of case {case_id}, oldest first",
        format_html(
            '<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th>'
            '<th scope="col">Note</th></tr></thead><tbody>{}</tbody>',
            body,
        ),
    )


def _scrolling_table(caption: str, inner) -> str:
    """A table with its caption, in a container that scrolls sideways on a narrow screen (the admin's
    ``.form-row`` would otherwise cut it off); the container takes focus so the keyboard scrolls it."""
    return format_html(
        '<div class="mc-table-scroll" role="region" aria-label="{}" tabindex="0">'
        "<table><caption>{}</caption>{}</table></div>",
        caption,
        caption,
        inner,
    )


def _may_decide_signoff(user, signoff: SignOff) -> bool:
    """The workspace's test (``views._may_decide``): the role decides this kind, and not its own request."""
    return user.pk not in services.signoff_authors(signoff) and routing.can_decide_signoff(
        user, kind=signoff.kind, service_area_id=signoff.case.service_area_id
    )


def _signoff_decision_url(signoff: SignOff) -> str:
    """Where a sign-off is decided in the workspace: an appeal on its page, the others on theirs."""
    if signoff.kind == SignOffKind.APPEAL:
        return reverse("escalation:appeal_detail", args=[signoff.appeal_id])
    return reverse("escalation:signoff_detail", args=[signoff.pk])


DECIDE_IN_THE_WORKSPACE = "Decide in the workspace"


class WorkspaceLink(NamedTuple):
    url: str
    decide: bool  # True: ``url`` is where the user decides it; False: a page of it they may read
    label: str = DECIDE_IN_THE_WORKSPACE


def _open_link(url: str, what: str) -> WorkspaceLink:
    return WorkspaceLink(url, False, f"Open {what} in the workspace")


class DecidedInTheWorkspaceMixin:
    """For a ModelAdmin whose rows wait for decisions that are made in the workspace only (ADR 8).

    ``workspace_link(request, obj)`` says where: a ``WorkspaceLink`` with ``decide`` when
    ``request.user`` may decide it there now, else the workspace page of it they may read; ``None``
    when nothing waits for a decision. The change page shows it ("Decide in the workspace") under
    ``waiting_text_for(obj)``, what it waits for. A POST of one of ``RETIRED_ACTIONS`` (a
    form left open from when the admin offered it) changes nothing, says where to decide, and goes
    to the first selected row's workspace page the user may decide, else back to the list."""

    change_form_template = "admin/escalation/decided_in_the_workspace_change_form.html"
    RETIRED_ACTIONS: tuple[str, ...] = ()
    retired_message = ""

    def workspace_link(self, request, obj) -> WorkspaceLink | None:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action") in self.RETIRED_ACTIONS:
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return self._to_the_workspace(request, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        return super().changelist_view(request, extra_context)

    def _to_the_workspace(self, request, selected: list[str]):
        self.message_user(request, self.retired_message, messages.WARNING)
        for obj in self.get_queryset(request).filter(pk__in=[pk for pk in selected if pk.isdigit()]).order_by("pk"):
            link = self.workspace_link(request, obj)
            if link is not None and link.decide:
                return HttpResponseRedirect(link.url)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        link = self.workspace_link(request, obj) if obj is not None else None
        extra = {
            "workspace_url": link.url if link else "",
            "workspace_label": link.label if link else "",
            "waiting_text": self.waiting_text_for(obj) if link else "",
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def waiting_text_for(self, obj) -> str:
        return ""


class SignOffInline(admin.TabularInline):
    model = SignOff
    fk_name = "warning"
    fields = ["status", "requested_by", "requested_at", "due_at", "decided_by", "decided_at", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class WarningTextForm(forms.ModelForm):
    class Meta:
        model = Warning
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 10, "cols": 80})}


def _who_can_sign_off(warning: Warning, *, asker) -> tuple[str, int]:
    """What to say once ``warning`` was sent for sign-off by ``asker``: who else can decide it (neither
    its drafter nor its asker may), or a warning that nobody else can, and what to do about it
    (``escalation.deciders``)."""
    who = deciders.deciders(kind=SignOffKind.WARNING, case=warning.case, excluding={warning.drafted_by_id, asker.pk})
    if who:
        return f"sent for sign-off to {who.names}.", messages.SUCCESS
    return f"sent for sign-off, but {who.nobody[0].lower()}{who.nobody[1:]} {who.advice}", messages.WARNING


@admin.register(Warning)
class WarningAdmin(DecidedInTheWorkspaceMixin, CaseReachAdminMixin, admin.ModelAdmin):
    """Warnings are drafted, sent for sign-off, marked sent and withdrawn here; they are signed off
    (or refused) on the sign-off's page in the workspace only."""

    case_path = "case__"
    list_display = ["id", "case", "status", "drafted_by", "drafted_at", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["case__account", "drafted_by"]
    search_fields = ["text", "case__account__handle"]
    form = WarningTextForm
    readonly_fields = ["case", "status", "drafted_by", "drafted_at", "sent_by", "sent_at", "withdrawn_at"]
    inlines = [SignOffInline]
    actions = ["submit_for_signoff", "mark_sent", "withdraw"]
    # The sign-off decisions this list once offered; a form left open in a tab is sent to the workspace.
    RETIRED_ACTIONS = ("approve", "refuse")
    retired_message = "Warnings are signed off on the sign-off's page in the workspace: nothing was changed here."

    def workspace_link(self, request, obj):
        """The pending sign-off's page for whoever may decide it; the warning's page for the rest."""
        if obj.status != WarningStatus.AWAITING_SIGNOFF:
            return None
        pending = obj.signoffs.filter(status=SignOffStatus.PENDING).select_related("case", "warning").first()
        if pending is not None and _may_decide_signoff(request.user, pending):
            return WorkspaceLink(_signoff_decision_url(pending), True)
        if routing.can_read_case(request.user, obj.case):
            return _open_link(reverse("escalation:warning_detail", args=[obj.pk]), f"warning {obj.pk}")
        return None

    def waiting_text_for(self, obj) -> str:
        role = routing.signoff_decided_by(SignOffKind.WARNING)
        return f"This warning is waiting for sign-off by the {role}."

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """Only a draft's text is edited here, by the team, through ``warning_revise``."""
        allowed = routing.holds(request.user, routing.PERM_DRAFT_WARNING)
        return allowed and (obj is None or obj.status == WarningStatus.DRAFT)

    def has_draft_warning_permission(self, request):
        return routing.holds(request.user, routing.PERM_DRAFT_WARNING)

    def save_model(self, request, obj, form, change):
        services.warning_revise(actor=request.user, warning=obj, text=form.cleaned_data["text"])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refused save comes back to the form with the reason; a page the user may not open is a 403
        (redirecting that to itself would loop for ever, as ``add/`` once did)."""
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            self.message_user(request, f"Not saved. {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    @admin.action(description="Send for sign-off", permissions=["draft_warning"])
    def submit_for_signoff(self, request, queryset):
        """Each warning goes for sign-off; the message names who can decide it, as the workspace's
        warning page does, and is a warning when nobody else can (``escalation.deciders``)."""
        for warning in queryset.select_related("case__service_area"):
            label = str(warning)
            try:
                services.warning_submit(actor=request.user, warning=warning)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"{label}: not done. {error_text(error)}", messages.ERROR)
                continue
            text, level = _who_can_sign_off(warning, asker=request.user)
            self.message_user(request, f"{label}: {text}", level)

    @admin.action(description="Mark as sent to the account", permissions=["draft_warning"])
    def mark_sent(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda w: services.warning_mark_sent(actor=request.user, warning=w) and "marked as sent.",
        )

    @admin.action(description="Withdraw", permissions=["draft_warning"])
    def withdraw(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Withdraw the warnings",
            apply=lambda w, d: (
                services.warning_withdraw(actor=request.user, warning=w, reason=d["reason"]) and "withdrawn."
            ),
        )


class WaitingForMeFilter(admin.SimpleListFilter):
    title = "decisions"
    parameter_name = "for"

    def lookups(self, request, model_admin):
        return [("me", "Waiting for me")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(pk__in=signoffs_for(request.user).values("pk"))
        return queryset


@admin.register(SignOff)
class SignOffAdmin(DecidedInTheWorkspaceMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Every decision asked for, to read. Nobody decides here: a sign-off is approved or refused on
    its page in the workspace (an appeal on the appeal's page), through the same service."""

    case_path = "case__"

    list_display = [
        "id",
        "kind",
        "case",
        "status",
        "requested_by",
        "requested_at",
        "due_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = [WaitingForMeFilter, "kind", "status"]
    list_select_related = ["case__account", "requested_by", "decided_by"]
    search_fields = ["case__account__handle", "reason"]
    actions = None
    # The decisions this list once offered; a form left open in a tab is sent to the workspace.
    RETIRED_ACTIONS = ("approve", "refuse")
    retired_message = "Sign-offs are decided on their page in the workspace: nothing was changed here."

    def workspace_link(self, request, obj):
        """The sign-off's page for whoever may decide it; its warning, block or appeal for the rest."""
        if obj.status != SignOffStatus.PENDING:
            return None
        user = request.user
        if _may_decide_signoff(user, obj):
            return WorkspaceLink(_signoff_decision_url(obj), True)
        if not routing.can_read_case(user, obj.case):
            return None
        if obj.kind == SignOffKind.WARNING:
            return _open_link(reverse("escalation:warning_detail", args=[obj.warning_id]), f"warning {obj.warning_id}")
        if obj.kind == SignOffKind.BLOCK:
            return _open_link(reverse("escalation:block_detail", args=[obj.block_id]), f"block {obj.block_id}")
        if _opens_workspace_appeals(user):
            return _open_link(reverse("escalation:appeal_detail", args=[obj.appeal_id]), f"appeal {obj.appeal_id}")
        return None

    def waiting_text_for(self, obj) -> str:
        role = routing.signoff_decided_by(obj.kind)
        return f"This sign-off ({obj.get_kind_display().lower()}) is waiting for the {role}."


class AppealForm(forms.Form):
    received_at = forms.DateTimeField(required=False, help_text="When it arrived; leave empty for now.")
    received_via = forms.CharField(max_length=120, required=False, help_text="Direct message, email, letter …")
    grounds = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=False)


class PoliceReportForm(forms.Form):
    force = forms.CharField(max_length=120)
    reference = forms.CharField(max_length=120)
    reported_on = forms.DateField(help_text="YYYY-MM-DD")


@admin.register(Block)
class BlockAdmin(DecidedInTheWorkspaceMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Blocks to read, and what is recorded about them (an appeal that arrived, a police report, the
    block undone on the platform). A proposed block is approved on its sign-off's page, and the
    Managing Director acknowledges a block on its page, in the workspace only."""

    case_path = "case__"
    list_display = [
        "id",
        "account",
        "kind",
        "scope",
        "channel",
        "status",
        "started_at",
        "appeal_opens_at",
        "appeal_window_flagged_at",
        "md_acknowledged_at",
    ]
    list_filter = [
        "status",
        "kind",
        "scope",
        ("md_acknowledged_at", admin.EmptyFieldListFilter),
        ("appeal_window_flagged_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["account", "channel"]
    search_fields = ["account__handle", "account__display_name", "reason"]
    date_hierarchy = "proposed_at"
    change_list_template = "admin/escalation/block/change_list.html"
    actions = ["record_appeal", "report_police", "undone_on_platform"]
    # The decision this list once offered; a form left open in a tab is sent to the workspace.
    RETIRED_ACTIONS = ("acknowledge",)
    retired_message = "Blocks are acknowledged on their page in the workspace: nothing was changed here."

    def workspace_link(self, request, obj):
        """For a proposed block, its sign-off's page (for whoever may approve it); for a block not yet
        acknowledged, the block's page, where the Managing Director acknowledges it; else none."""
        user = request.user
        if obj.status == BlockStatus.AWAITING_SIGNOFF:
            pending = obj.signoffs.filter(status=SignOffStatus.PENDING).select_related("case", "block").first()
            if pending is not None and _may_decide_signoff(user, pending):
                return WorkspaceLink(_signoff_decision_url(pending), True)
        elif obj.started_at is None or obj.md_acknowledged_at is not None:
            return None
        elif routing.holds(user, routing.PERM_ACKNOWLEDGE_BLOCK):
            return WorkspaceLink(reverse("escalation:block_detail", args=[obj.pk]), True)
        if routing.can_read_case(user, obj.case):
            return _open_link(reverse("escalation:block_detail", args=[obj.pk]), f"block {obj.pk}")
        return None

    def waiting_text_for(self, obj) -> str:
        if obj.status == BlockStatus.AWAITING_SIGNOFF:
            role = routing.signoff_decided_by(SignOffKind.BLOCK)
            return f"This block is waiting for approval by the {role}."
        return f"This block is waiting for the {titles().head}'s acknowledgement."

    def has_record_appeal_permission(self, request):
        return routing.holds(request.user, routing.PERM_RECORD_APPEAL)

    def has_report_police_permission(self, request):
        return routing.holds(request.user, routing.PERM_REPORT_POLICE)

    def has_moderate_post_permission(self, request):
        return routing.holds(request.user, routing.PERM_MODERATE_POST)

    def get_urls(self):
        return [
            path(
                "check-appeal-windows/",
                self.admin_site.admin_view(self.check_appeal_windows),
                name="escalation_block_check_appeal_windows",
            ),
            *super().get_urls(),
        ]

    def check_appeal_windows(self, request):
        """On demand: the same task beat runs daily at 07:00, sent to the worker."""
        if request.method != "POST" or not request.user.has_perm("escalation.view_block"):
            raise PermissionDenied
        from escalation.tasks import flag_open_appeal_windows

        try:
            flag_open_appeal_windows.apply_async(retry=False)
        except Exception:  # the broker is unreachable: say so; beat runs the same check at 07:00
            logger.warning("The appeal-window check could not be queued", exc_info=True)
            self.message_user(
                request,
                "The task queue cannot be reached, so the check was not started. Try again in a few "
                "minutes; the daily check at 07:00 runs anyway.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:escalation_block_changelist"))
        self.message_user(
            request,
            "The appeal-window check was sent to the worker; flagged blocks appear on "
            "their timelines and in the digest email.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:escalation_block_changelist"))

    @admin.action(description="Record an appeal that arrived", permissions=["record_appeal"])
    def record_appeal(self, request, queryset):
        def apply(block, d):
            appeal = services.appeal_record(
                actor=request.user,
                block=block,
                received_at=d["received_at"],
                received_via=d["received_via"],
                grounds=d["grounds"],
            )
            if appeal.status == AppealStatus.PREMATURE:
                opens = _when(appeal.window_opens_at)
                return f"appeal {appeal.pk} recorded as premature: appeals can be heard from {opens}."
            return f"appeal {appeal.pk} recorded and sent to the {titles().head}."

        return form_action(self, request, queryset, form_class=AppealForm, title="Record an appeal", apply=apply)

    @admin.action(description="Record a police report", permissions=["report_police"])
    def report_police(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=PoliceReportForm,
            title="Record a police report",
            apply=lambda b, d: (
                services.police_report_record(
                    actor=request.user,
                    case=b.case,
                    block=b,
                    force=d["force"],
                    reference=d["reference"],
                    reported_on=d["reported_on"],
                )
                and f"police report recorded; the {titles().head} is told."
            ),
        )

    @admin.action(description="Record that the block was undone on the platform", permissions=["moderate_post"])
    def undone_on_platform(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda b: (
                services.block_undone_on_platform(actor=request.user, block=b) and "recorded as undone on the platform."
            ),
        )


def _opens_workspace_appeals(user) -> bool:
    """The workspace's own test for its appeal pages (an administrator without a role is not let in)."""
    return any(routing.holds(user, perm) for perm in routing.APPEAL_READERS)


@admin.register(Appeal)
class AppealAdmin(CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Appeals to read: the block, the account's history and the timeline. Nobody decides here: the
    Managing Director upholds or overturns on the workspace's appeal page, through the same service."""

    case_path = "block__case__"

    list_display = ["id", "account", "status", "received_at", "window_opens_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    change_form_template = "admin/escalation/appeal/change_form.html"
    list_select_related = ["block__account", "block__channel", "decided_by"]
    search_fields = ["block__account__handle", "grounds", "decision_reason"]
    fields = [
        "status",
        "received_at",
        "received_via",
        "grounds",
        "window_opens_at",
        "recorded_by",
        "decided_by",
        "decided_at",
        "decision_reason",
        "block_summary",
        "account_history",
        "timeline",
    ]
    readonly_fields = fields
    actions = None
    # The decisions this page once offered; a form left open in a tab is sent to the workspace.
    RETIRED_ACTIONS = ("uphold", "overturn")

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action") in self.RETIRED_ACTIONS:
            return self._to_the_workspace(request, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        return super().changelist_view(request, extra_context)

    def _to_the_workspace(self, request, selected: list[str]):
        """A stale admin decision: nothing changes; the appeal's workspace page is where it is made."""
        appeal = self.get_queryset(request).filter(pk__in=[pk for pk in selected if pk.isdigit()]).first()
        self.message_user(
            request,
            "Appeals are decided on their page in the workspace: nothing was changed here.",
            messages.WARNING,
        )
        if appeal is None or not _opens_workspace_appeals(request.user):
            return HttpResponseRedirect(reverse("admin:escalation_appeal_changelist"))
        return HttpResponseRedirect(reverse("escalation:appeal_detail", args=[appeal.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appeal = self.get_object(request, object_id)
        extra = {
            "workspace_url": (
                reverse("escalation:appeal_detail", args=[appeal.pk])
                if appeal is not None and _opens_workspace_appeals(request.user)
                else ""
            ),
            "to_decide": (
                appeal is not None
                and appeal.status == AppealStatus.UNDER_REVIEW
                and routing.holds(request.user, routing.PERM_DECIDE_APPEAL)
            ),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.display(description="Account", ordering="block__account__handle")
    def account(self, obj):
        return obj.block.account

    @admin.display(description="The block")
    def block_summary(self, obj):
        block = obj.block
        where = block.channel.name if block.channel else "all channels"
        return format_html(
            "{} — {} on {}; started {}; {}.<br>Reason: {}<br>{} acknowledged: {}",
            _link(block, f"Block {block.pk}"),
            block.get_kind_display(),
            where,
            _when(block.started_at),
            block.get_status_display(),
            block.reason,
            titles().start.head,
            _when(block.md_acknowledged_at),
        )

    @admin.display(description="The account's whole history")
    def account_history(self, obj):
        return account_history_html(obj.block.account)

    @admin.display(description="Timeline of the case")
    def timeline(self, obj):
        return timeline_html(obj.block.case_id)


@admin.register(PoliceReport)
class PoliceReportAdmin(CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    case_path = "case__"
    list_display = ["reference", "force", "reported_on", "case", "block", "recorded_by", "md_notified_at"]
    list_filter = ["force", "reported_on"]
    list_select_related = ["case__account", "block__account", "recorded_by"]
    search_fields = ["reference", "force", "case__account__handle"]
    date_hierarchy = "reported_on"


@admin.register(ExternalReport)
class ExternalReportAdmin(moderation_admin.SafeguardingTextAdminMixin, CaseReachAdminMixin, ReadOnlyCaseworkAdmin):
    """Read only. The note is the team's and may quote the post: on a safeguarding case, for its leads."""

    case_path = "case__"
    list_display = ["recipient", "reference", "reported_to", "reported_on", "case", "recorded_by"]
    list_filter = ["reported_to", "reported_on"]
    list_select_related = ["case__account", "recorded_by"]
    search_fields = ["reference", "recipient", "case__account__handle"]
    date_hierarchy = "reported_on"
    fields = [
        "case", "reported_to", "recipient", "reference", "reported_on", "shown_note", "recorded_by", "recorded_at",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Note")
    def shown_note(self, obj):
        return self.shown(obj, obj.note)


# --- The account and case pages: moderation's admin, with what escalation adds -----------------------
# moderation.admin defines them without escalation's parts (a lower layer never imports a higher one,
# ADR 10); they are registered here with the account's standing and history and the case's warning
# and block actions, so the admin's pages, fields and actions are as they were.


@admin.register(SocialAccount)
class SocialAccountAdmin(moderation_admin.SocialAccountAdmin):
    readonly_fields = ["standing", "legal_hold", "erased", "history"]

    @admin.display(description="Legal hold")
    def legal_hold(self, obj):
        return legal_hold_html(obj)

    @admin.display(description="Personal data erased")
    def erased(self, obj):
        if obj.erased_at is None:
            return "No"
        return format_html("{} by {}", london(obj.erased_at), obj.erased_by or "—")

    @admin.display(description="Standing and recommended next step")
    def standing(self, obj):
        from escalation.selectors import account_standing

        standing = account_standing(obj)
        return format_html("<strong>{}</strong> — {}", standing.recommendation_label, standing.reason)

    @admin.display(description="Whole history")
    def history(self, obj):
        return account_history_html(obj)


class BlockForm(forms.Form):
    scope = forms.ChoiceField(
        choices=BlockScope.choices,
        initial=BlockScope.ALL,
        widget=forms.RadioSelect,
        help_text="“This channel only” blocks the account on the case's channel.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


@admin.register(Case)
class CaseAdmin(moderation_admin.CaseAdmin):
    readonly_fields = [*moderation_admin.CaseAdmin.readonly_fields, "standing", "legal_hold"]
    fields = readonly_fields

    @admin.display(description="Legal hold")
    def legal_hold(self, obj):
        return legal_hold_html(obj)
    actions = [
        *moderation_admin.CaseAdmin.actions,
        "draft_warning",
        "propose_block",
        "block_immediately",
        "ban_from_channel",
    ]

    def has_draft_warning_permission(self, request):
        return routing.holds(request.user, routing.PERM_DRAFT_WARNING)

    def has_propose_block_permission(self, request):
        return routing.holds(request.user, routing.PERM_PROPOSE_BLOCK)

    def has_immediate_block_permission(self, request):
        return routing.may_ever_block_at_once(request.user)

    def has_channel_ban_permission(self, request):
        return routing.holds(request.user, routing.PERM_CHANNEL_BAN)

    @admin.display(description="Standing and recommended next step")
    def standing(self, obj):
        return SocialAccountAdmin.standing(self, obj.account)

    @admin.action(description="Draft a written warning (from the template)", permissions=["draft_warning"])
    def draft_warning(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda case: (
                f"warning {services.warning_draft(actor=request.user, case=case).pk} drafted; "
                "review it under Warnings and send it for sign-off."
            ),
        )

    @admin.action(description=lazily("Propose a block (needs the {t.manager})"), permissions=["propose_block"])
    def propose_block(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=BlockForm,
            title="Propose a block",
            apply=lambda case, d: (
                f"block {services.block_propose(actor=request.user, case=case, **d).pk} proposed; "
                f"waiting for the {titles().manager}."
            ),
        )

    @admin.action(description="Block immediately (extreme behaviour)", permissions=["immediate_block"])
    def block_immediately(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=BlockForm,
            title="Block immediately",
            intro=f"The block starts now and the {titles().head} is told.",
            apply=lambda case, d: (
                f"blocked now (block {services.block_immediate(actor=request.user, case=case, **d).pk}); "
                f"the {titles().head} is being told."
            ),
        )

    @admin.action(description="Misinformation: remove posts and ban from the channel", permissions=["channel_ban"])
    def ban_from_channel(self, request, queryset):
        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Ban from the channel",
            intro="The case's posts are removed and the author banned from that channel only; "
            "the ban can be challenged at once.",
            apply=lambda case, d: (
                f"posts removed; banned from {services.channel_ban(actor=request.user, case=case, **d).channel}."
            ),
        )


@admin.register(CrisisPeriod)
class CrisisPeriodAdmin(ReadOnlyCaseworkAdmin):
    """Crisis mode is switched on and off in the workspace (/crisis/, a service with its events): here
    it is only read, as an audit of who switched it, when and why."""

    list_display = ["started_at", "ended_at", "reason", "started_by", "ended_by"]
    list_select_related = ["started_by", "ended_by"]
    date_hierarchy = "started_at"
    search_fields = ["reason", "end_note"]


# --- Notifications (escalation/notify.py): who was told of what, and how -------------------------
from escalation.models import Notification  # noqa: E402


@admin.register(Notification)
class NotificationAdmin(ReadOnlyCaseworkAdmin):
    """Every notification, read-only: who, what, how (their choice), and the email that carried it."""

    list_display = ["created_at", "user", "kind", "subject", "delivery", "outbox"]
    list_filter = ["delivery", "kind"]
    search_fields = ["key", "subject", "user__username", "user__email"]
    list_select_related = ["user", "outbox"]
    date_hierarchy = "created_at"
    fields = ["created_at", "user", "kind", "key", "subject", "url", "case", "delivery", "outbox"]
    readonly_fields = fields


# --- Legal holds and retention (issue 14) ---------------------------------------------------------
from escalation.models import RetentionRun  # noqa: E402


def legal_hold_html(obj) -> str:
    """A legal hold as the admin reads it (placed and lifted in the workspace, by a manager)."""
    if obj.legal_hold_at is None:
        return "None"
    return format_html(
        "On since {} ({}): {}", london(obj.legal_hold_at), obj.legal_hold_by or "—", obj.legal_hold_reason
    )


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyCaseworkAdmin):
    """What each nightly retention purge redacted, by kind: written by the task, only read here."""

    list_display = [
        "started_at", "finished_at", "evidence_files", "post_texts", "blocked_post_texts", "uncased_post_texts",
        "appeals",
    ]  # fmt: skip
    date_hierarchy = "started_at"
    fields = list_display
    readonly_fields = fields
