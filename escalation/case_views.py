"""Workspace pages about a case and an account as a whole: the queue, the case file, the account.

They show moderation's rows (posts, evidence, timeline) beside escalation's (warnings, blocks,
sign-offs, appeals, the account's standing), so they live in the higher app (moved from
``moderation.views``, ADR 10); their URL names stay in the ``moderation:`` namespace.

Views read through selectors and change state only through services.
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from escalation import routing, statements, subject_access
from escalation.case_selectors import QUEUE_FIELDS, account_history, case_queryset, case_queue, case_stage, staged
from escalation.constants import BlockScope, BlockStatus, SignOffStatus, WarningStatus
from escalation.external_reports import describe as describe_external_report
from escalation.models import Appeal, Block, PoliceReport, SignOff, Warning
from escalation.selectors import account_standing
from moderation import casecache, enquiries, fragments, search, services
from moderation.constants import CaseOutcome, CaseStatus, EventKind
from moderation.forms import AssignForm, CloseForm, ReopenForm
from moderation.models import Case, Evidence, Post, SocialAccount
from moderation.search import CappedPaginator
from moderation.selectors import from_json_rows, json_rows, posts_with_versions
from moderation.views import PAGE_SIZE, VISIBILITY_BUTTONS
from policy.signals import data_downloaded


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def case_list(request):
    """The queue: open cases with their deadline, filterable, searchable, sortable, paginated."""
    filterset = case_queue(request.GET, user=request.user)
    selected = (
        [
            (filterset.form.fields[name].label, _choice_label(filterset, name, value), _without(request.GET, name))
            for name, value in filterset.form.cleaned_data.items()
            if value not in (None, "", [], False)
            and name not in ("sort",)
            and not (name == "status" and value == "open")
        ]
        if filterset.is_valid()
        else []
    )
    return render(
        request,
        "moderation/case_list.html",
        {
            "filter": filterset,
            "selected": selected,
            "sort": request.GET.get("sort", ""),
            "filter_fields": _filter_fields(filterset, request.GET),
            "results": _results(request, filterset),
        },
    )


def _results(request, filterset) -> str:
    """The count, the rows (with their stage and clock) and the pagination, as HTML: rendered once,
    then read from the cache by this person, for this query, while no table they are read from has
    changed and the minute is the same (``moderation.casecache``); with errors in the filter, afresh."""

    def render():
        cases = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        # a search is never counted past 1,000 matches ("more than 1,000 cases")
        searching = filterset.is_valid() and search.clean(filterset.form.cleaned_data.get("q") or "")
        page = (CappedPaginator if searching else Paginator)(cases, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(case, case_stage(case)) for case in staged(page.object_list, fields=QUEUE_FIELDS)]
        context = {"page": page, "rows": rows, "sort": request.GET.get("sort", "")}
        return render_to_string("moderation/includes/case_results.html", context, request=request)

    if not filterset.is_valid():
        return render()
    return casecache.cached("queue", request.user.pk, sorted(request.GET.lists()), render)


FILTER_FIELDS = ("q", "status", "assignee", "channel", "rule", "service_area", "kind")


def _filter_fields(filterset, params) -> str:
    """The filter's fields as HTML: rendered once for the values given, then from the cache until a
    channel, house rule or service area changes (``moderation.fragments``); with errors, afresh."""

    def render():
        return render_to_string("moderation/includes/case_filter_fields.html", {"form": filterset.form})

    if not filterset.is_valid():
        return render()
    return fragments.cached("queue-filter", [(name, params.getlist(name)) for name in FILTER_FIELDS], render)


def _choice_label(filterset, name, value) -> str:
    field = filterset.form.fields[name]
    if hasattr(field, "choices"):
        for key, label in field.choices:
            if str(key) == str(getattr(value, "pk", value)):
                return str(label)
    return "Yes" if value is True else str(value)


def _without(params, name: str) -> str:
    query = params.copy()
    query.pop(name, None)
    query.pop("page", None)
    return "?" + query.urlencode() if query else "?"


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def account_detail(request, pk: int):
    """The account's standing across all channels, its whole history, and the advised next step."""
    account = get_object_or_404(SocialAccount, pk=pk)
    history = account_history(account, page=request.GET.get("page"))
    return render(
        request,
        "moderation/account_detail.html",
        {
            "account": account,
            # the account's blocks and warnings as read for the history: two queries fewer
            "standing": account_standing(account, blocks=history["blocks"], warnings=history["warnings"]),
            "may_export_account": subject_access.may_export_account(request.user),
            "can_hold": routing.holds(request.user, routing.PERM_LEGAL_HOLD),
            "may_erase": routing.holds(request.user, routing.PERM_ERASE),
            **history,
        },
    )


# What the case page shows of its police reports, evidence and appeals, read with the case and blocks.
REPORT_FIELDS = (
    "id", "case", "block", "force", "reference", "reported_on", "recorded_at",
    "recorded_by__id", "recorded_by__username", "recorded_by__first_name", "recorded_by__last_name",
)  # fmt: skip
EVIDENCE_FIELDS = (
    "id", "case", "file", "url", "description", "added_at",
    "added_by__id", "added_by__username", "added_by__first_name", "added_by__last_name",
)  # fmt: skip
APPEAL_FIELDS = ("id", "block", "status", "received_at", "window_opens_at", "decided_at")
# Who reads any case file; a Service Director reads those of their own service areas.
LIVE_WARNING = (WarningStatus.DRAFT, WarningStatus.AWAITING_SIGNOFF, WarningStatus.APPROVED)
LIVE_BLOCK = (BlockStatus.AWAITING_SIGNOFF, BlockStatus.ACTIVE)
# The case page's action each recommended step points to (its button is the primary one).
RECOMMENDED_ACTION = {
    "warning": "draft_warning",
    "block": "propose_block",
    "channel_ban": "channel_ban",
    "immediate_block": "immediate_block",
}

ENQUIRY_EVENTS = frozenset(kind for kind in EventKind if kind.startswith("enquiry_"))


def _enquiry(case: Case):
    """The case's enquiry (joined by ``case_queryset``), or None."""
    try:
        return case.enquiry
    except ObjectDoesNotExist:
        return None


def _with_block(appeals: list[Appeal], block: Block) -> list[Appeal]:
    """The appeals read with ``block`` know it (the statements of reasons read it): no query each."""
    for appeal in appeals:
        appeal.block = block
    return appeals


def _moves(post: Post) -> list[tuple]:
    """The visibility buttons a post offers now: (target, label, past tense, button style)."""
    allowed = services.VISIBILITY_MOVES[post.visibility]
    return [(target, *button) for target, button in VISIBILITY_BUTTONS.items() if target in allowed]


def _event_detail(event) -> tuple[str, str]:
    """A line saying what changed, and the anchor of the post it concerns (if any)."""
    after = event.after or {}
    if event.kind == EventKind.CASE_ASSIGNED:
        return (f"Assigned to {after['assignee']}" if after.get("assignee") else "Unassigned"), ""
    if event.kind == EventKind.CASE_CLOSED and after.get("outcome") in CaseOutcome.values:
        return f"Outcome: {CaseOutcome(after['outcome']).label.lower()}", ""
    if event.subject_type == "post":
        return "", f"post-{event.subject_id}"
    if event.kind in (EventKind.PLATFORM_REPORTED, EventKind.AGENCY_REPORTED):
        return describe_external_report(after), ""
    if event.kind in ENQUIRY_EVENTS:
        return enquiries.describe(event.kind, after), ""
    if event.kind == EventKind.EVIDENCE_ADDED:
        return (PurePath(after["file"]).name if after.get("file") else after.get("url", "")), ""
    return "", ""


@login_required
def case_detail(request, pk: int):
    """The case file: summary, posts and their moderation, decisions, timeline, and what I may do now."""
    user = request.user
    case = get_object_or_404(
        case_queryset()
        .select_related("recorded_by", "safeguarding_by")
        .annotate(
            report_rows=json_rows(
                PoliceReport.objects.filter(case=OuterRef("pk")).order_by("-reported_on", "-id"),
                *REPORT_FIELDS,
            ),
            evidence_rows=json_rows(
                Evidence.objects.filter(case=OuterRef("pk")).order_by("added_at", "id"), *EVIDENCE_FIELDS
            ),
            flagged=statements.flagged_case(),
        ),
        pk=pk,
    )
    routing.require_case_reader(user, case)
    rules = list(case.rules.all())
    is_open = case.status == CaseStatus.OPEN
    can_moderate = routing.holds(user, routing.PERM_MODERATE_POST)
    can_manage = routing.holds(user, routing.PERM_MANAGE_CASE)

    # every earlier version of each post's text is shown
    posts = posts_with_versions(
        case.posts.select_related("channel", "visibility_changed_by").order_by("posted_at", "pk")
    )
    post_rows = [(post, _moves(post) if can_moderate else []) for post in posts]
    # the account's warnings and blocks once: this case's, the live ones and the standing's (issue 13)
    account_warnings = list(
        Warning.objects.filter(case__account_id=case.account_id).select_related("drafted_by").order_by("-drafted_at")
    )
    account_blocks = list(
        Block.objects.filter(account_id=case.account_id)
        .select_related("channel", "proposed_by")
        .annotate(
            appeal_rows=json_rows(
                Appeal.objects.filter(block=OuterRef("pk"), block__case=case.pk).order_by("-received_at"),
                *APPEAL_FIELDS,
            )
        )
        .order_by("-proposed_at")
    )
    warnings = [w for w in account_warnings if w.case_id == case.pk]
    blocks = [b for b in account_blocks if b.case_id == case.pk]
    appeals = sorted(
        (a for b in blocks for a in _with_block(from_json_rows(Appeal, b.appeal_rows), b)),
        key=lambda a: a.received_at,
        reverse=True,
    )
    reports = from_json_rows(PoliceReport, case.report_rows)
    pending = list(
        SignOff.objects.filter(case=case, status=SignOffStatus.PENDING)
        .select_related("warning", "block", "appeal", "requested_by")
        .order_by("requested_at")
    )
    live_blocks = [b for b in account_blocks if b.status in LIVE_BLOCK]
    events = list(case.events.order_by("-at", "-id"))
    evidence = from_json_rows(Evidence, case.evidence_rows)
    standing = account_standing(case.account, case=case, blocks=account_blocks, warnings=account_warnings, cases=[case])
    enquiry = _enquiry(case)
    enquiry_open = enquiry is not None and enquiry.status != "answered"

    blocked_everywhere = any(b.scope == BlockScope.ALL for b in live_blocks)
    blocked_here = blocked_everywhere or any(b.channel_id == case.channel_id for b in live_blocks)
    live_warning = next((w for w in warnings if w.status in LIVE_WARNING), None)
    # a safeguarding case waits for a lead's decision: no ordinary ladder step is offered until then
    ladder = is_open and not case.safeguarding_awaits_lead
    is_lead = routing.is_safeguarding_lead(user)
    referrals = list(case.safeguarding_referrals.select_related("recorded_by")) if case.is_safeguarding else []
    actions = {
        "draft_warning": ladder and routing.holds(user, routing.PERM_DRAFT_WARNING) and live_warning is None,
        "propose_block": ladder and routing.holds(user, routing.PERM_PROPOSE_BLOCK) and not blocked_everywhere,
        "immediate_block": ladder and not blocked_everywhere and routing.may_block_at_once(user, case),
        "channel_ban": ladder
        and routing.holds(user, routing.PERM_CHANNEL_BAN)
        and any(r.channel_only_ban for r in rules)
        and not blocked_here,
        "safeguarding_referral": case.is_safeguarding and is_lead,
        "mark_safeguarding": not case.is_safeguarding and routing.holds(user, routing.PERM_RECORD_CASE),
        "police_report": routing.holds(user, routing.PERM_REPORT_POLICE),
        "external_report": routing.holds(user, routing.PERM_MODERATE_POST),
        "record_enquiry": can_moderate and enquiry is None,
        "add_evidence": routing.holds(user, routing.PERM_RECORD_CASE),
        "assign": is_open and can_manage,
        "assign_to_me": is_open
        and can_manage
        and routing.holds(user, routing.PERM_RECORD_CASE)
        and case.assignee_id != user.pk,
        "close": is_open and can_manage and not pending,
        "reopen": not is_open and can_manage,
    }
    authors = {
        s.pk: {
            s.requested_by_id,
            s.warning.drafted_by_id if s.warning_id else None,
            s.block.proposed_by_id if s.block_id else None,
        }
        for s in pending
    }
    decide = [
        (
            s,
            user.pk not in authors[s.pk]
            and routing.can_decide_signoff(user, kind=s.kind, service_area_id=case.service_area_id),
        )
        for s in pending
    ]
    recommended = RECOMMENDED_ACTION.get(standing.recommendation, "")
    if recommended == "immediate_block" and not actions["immediate_block"]:
        recommended = "propose_block"  # an officer asks the manager, who may then block at once
    return render(
        request,
        "moderation/case_detail.html",
        {
            "case": case,
            "stage": case_stage(case),
            "rules": rules,
            "post_rows": post_rows,
            "warnings": warnings,
            "live_warning": live_warning,
            "blocks": blocks,
            "appeals": appeals,
            "reports": reports,
            "pending": decide,
            "evidence": [(item, PurePath(item.file.name).name if item.file else item.url) for item in evidence],
            "timeline": [(event, *_event_detail(event)) for event in events],
            "standing": standing,
            "referrals": referrals,
            "is_safeguarding_lead": is_lead,
            "can_read_text": routing.can_read_case_text(user, case),
            "restricted_text": routing.RESTRICTED_TEXT,
            "blocked_everywhere": blocked_everywhere,
            "actions": actions,
            "primary": recommended if actions.get(recommended) else "",
            "any_action": any(actions.values()),
            "can_moderate": can_moderate,
            "can_manage": can_manage,
            "can_read_accounts": routing.holds(user, routing.PERM_RECORD_CASE),
            "can_hold": routing.holds(user, routing.PERM_LEGAL_HOLD),
            "can_read_reporter": routing.can_read_reporter(user),
            "assign_form": AssignForm(initial={"assignee": case.assignee_id}) if actions["assign"] else None,
            "close_form": CloseForm() if actions["close"] else None,
            "reopen_form": ReopenForm() if actions["reopen"] else None,
            "enquiry": enquiry,
            "enquiry_open": enquiry_open,
            "saved_reply": enquiries.saved_reply(enquiry.kind) if enquiry_open and can_moderate else None,
            "statements": statements.for_case(
                case,
                rules=rules,
                posts=posts,
                events=events,
                warnings=warnings,
                blocks=blocks,
                appeals=appeals,
                reported=bool(reports),
                flagged=case.flagged,
                reader=user,
            ),
        },
    )


@login_required
def case_statements(request, pk: int):
    """The case's statements of reasons as JSON (an array, oldest first), for whoever reads the case."""
    case = get_object_or_404(Case, pk=pk)
    routing.require_case_reader(request.user, case)
    items = statements.for_case(case, reader=request.user)
    body = "[" + ",".join(statements.as_json_lines(items).splitlines()) + "]"
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="case-{case.pk}-statements-of-reasons.json"'
    data_downloaded(request, "case_statements_of_reasons", case=case.pk)
    return response


@login_required
@require_POST
def account_subject_access(request, pk: int):
    """Everything about the account as one zip (POST: the download is recorded on its cases)."""
    account = get_object_or_404(SocialAccount, pk=pk)
    body, summary = subject_access.account_export(actor=request.user, account=account)
    data_downloaded(request, "subject_access", account=account.pk, contents=summary)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="account-{account.pk}-everything.zip"'
    return response
