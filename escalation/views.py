"""Workspace pages about decisions: the inbox, sign-offs, warnings, blocks, police reports, appeals.

Views read, check who may see what, and hand every change to ``escalation.services``. A refusal
from a service comes back to the page: ``ValidationError`` as form errors (or a message when the
state moved underneath, "Already decided by …"), ``PermissionDenied`` as a 403. Every page works
without JavaScript; with htmx the inbox decides a row in place.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from escalation import deciders, routing, services
from escalation import messages as account_messages
from escalation.case_selectors import account_history
from escalation.constants import (
    AppealStatus,
    BlockKind,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from escalation.context_processors import navigation_for
from escalation.forms import (
    AcknowledgeForm,
    AppealDecisionForm,
    AppealForm,
    BlockForm,
    DecisionForm,
    PoliceReportForm,
    WarningTextForm,
    WithdrawForm,
)
from escalation.models import Appeal, Block, PoliceReport, SignOff, Warning
from escalation.selectors import account_standing, blocks_to_acknowledge, signoffs_for
from escalation.windows import challengeable_at_any_time
from moderation.constants import CaseStatus, Visibility
from moderation.deadlines import due_after
from moderation.events import actor_label
from moderation.forms import apply_service_errors
from moderation.models import Case, CaseEvent
from moderation.selectors import posts_with_versions
from moderation.services import post_set_visibility
from policy import dates
from policy import services as policy
from policy.titles import titles

PAGE_SIZE = 25
INBOX_PAGE_SIZE = 50
LIST_PAGE_SIZE = 25  # the decisions page's other lists: appeals, blocks to acknowledge, recently decided

# Who has a decisions inbox: anyone who signs off, acknowledges or decides appeals.
DECIDER_PERMS = (
    routing.PERM_SIGNOFF_WARNING_ANY,
    routing.PERM_SIGNOFF_WARNING_AREA,
    routing.PERM_APPROVE_BLOCK,
    routing.PERM_DECIDE_APPEAL,
    routing.PERM_ACKNOWLEDGE_BLOCK,
)
# Who reads any case file (the Service Director reads those of their own service areas).
APPEAL_READERS = routing.APPEAL_READERS
BLOCK_KIND_PERMS = {
    BlockKind.STANDARD: routing.PERM_PROPOSE_BLOCK,
    BlockKind.IMMEDIATE: routing.PERM_IMMEDIATE_BLOCK,
    BlockKind.CHANNEL_BAN: routing.PERM_CHANNEL_BAN,
}
LIVE_WARNING = (WarningStatus.DRAFT, WarningStatus.AWAITING_SIGNOFF, WarningStatus.APPROVED)


# --- helpers -------------------------------------------------------------------------------------


def _has_any(user, perms) -> bool:
    return any(routing.holds(user, p) for p in perms)


def _require_any(user, perms) -> None:
    if not _has_any(user, perms):
        raise PermissionDenied("Your role cannot open this page.")


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request, default: str) -> str:
    """Where to go back to: a ``next`` on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _is_conflict(error: ValidationError) -> bool:
    return not hasattr(error, "error_dict") and getattr(error, "code", None) == "conflict"


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _long_date(value) -> str:
    return dates.say_date(value)


def _already_decided(decided_by, decided_at, outcome: str) -> str:
    """The services' wording, for a decision the page can see is made before asking them."""
    return f"Already decided by {actor_label(decided_by)} on {dates.say_datetime(decided_at)}: {outcome.lower()}."


def _may_decide(user, signoff: SignOff) -> bool:
    return user.pk not in services.signoff_authors(signoff) and routing.can_decide_signoff(
        user, kind=signoff.kind, service_area_id=signoff.case.service_area_id
    )


def _subject_label(signoff: SignOff) -> str:
    account = f"@{signoff.case.account.handle}"
    if signoff.kind == SignOffKind.WARNING:
        return f"Written warning to {account}"
    if signoff.kind == SignOffKind.BLOCK:
        where = signoff.block.channel.name if signoff.block.channel_id else "all our channels"
        return f"Block {account} on {where}"
    return f"Appeal by {account}"


def _decision_done(signoff: SignOff) -> str:
    label = _subject_label(signoff)
    if signoff.kind == SignOffKind.WARNING:
        if signoff.status == SignOffStatus.APPROVED:
            return f"{label}: signed off. The officer can now send it."
        return f"{label}: refused and returned to the officer with your reason."
    if signoff.status == SignOffStatus.APPROVED:
        return f"{label}: approved. The block is active and the {titles().head} is told."
    return f"{label}: refused. The account is not blocked."


def _who_decides(kind: str, case: Case, *, authors: set[int]) -> deciders.Deciders:
    """Who else could decide a request the user is about to send, or has sent (``escalation.deciders``)."""
    return deciders.deciders(kind=kind, case=case, excluding=authors)


def _warning_deciders(warning: Warning, signoffs: list[SignOff], user) -> deciders.Deciders | None:
    """Who can decide the warning's sign-off: before it is sent (a draft: not its drafter, not
    whoever sends it), or while it waits (not the drafter, not who asked)."""
    if warning.status == WarningStatus.DRAFT:
        return _who_decides(SignOffKind.WARNING, warning.case, authors={warning.drafted_by_id, user.pk})
    if warning.status == WarningStatus.AWAITING_SIGNOFF:
        asked = {s.requested_by_id for s in signoffs if s.status == SignOffStatus.PENDING}
        return _who_decides(SignOffKind.WARNING, warning.case, authors={warning.drafted_by_id} | asked)
    return None


def _message_context(message: str, block: Block, case: Case) -> dict:
    """The "Message to send" panel: the filled text, where to send it, and which version worded it."""
    version = account_messages.version_of(case)
    return {
        "message_to_send": message,
        "message_hint": f"Send it to @{block.account.handle} as a private direct message on "
        f"{block.account.get_platform_display()}.",
        "message_version": f"version {version.number}" if version.number else "its default wording",
    }


def _case_posts(case: Case):
    return posts_with_versions(case.posts.select_related("channel").order_by("posted_at"))


# --- decisions inbox ----------------------------------------------------------------------------


def _signoffs_page(pending, size: int, number):
    """One page of ``pending`` sign-offs with what the inbox shows of each, in two reads: the page's
    ids in the inbox's order (the sign-offs, their cases and the authors they exclude: four tables),
    then those rows with their account, channel, asker, warning or block, appeal and service area.
    As one statement the fourteen tables passed PostgreSQL's genetic-optimiser threshold: about 25 ms
    to plan and a hash join over every case (issue 13)."""
    page = Paginator(pending.select_related(None).values_list("pk", flat=True), size).get_page(number)
    ids = list(page.object_list)
    rows = pending.select_related("case__service_area", "block__channel", "appeal__block__channel").filter(pk__in=ids)
    found = {signoff.pk: signoff for signoff in rows.order_by()} if ids else {}
    page.object_list = [found[pk] for pk in ids if pk in found]
    return page


@login_required
def decision_list(request):
    """Sign-offs waiting for my role, oldest first; for the Managing Director also blocks to
    acknowledge and appeals to decide."""
    user = request.user
    _require_any(user, DECIDER_PERMS)
    pending = signoffs_for(user)
    signs_off = _has_any(
        user, (routing.PERM_SIGNOFF_WARNING_ANY, routing.PERM_SIGNOFF_WARNING_AREA, routing.PERM_APPROVE_BLOCK)
    ) or routing.may_approve_blocks(user)
    page = None
    if signs_off:
        page = _signoffs_page(pending.exclude(kind=SignOffKind.APPEAL), INBOX_PAGE_SIZE, request.GET.get("page"))
    # every list of the page is paginated (issue 13: the Managing Director's page ran to 342 KB)
    appeals = appeals_page = None
    if routing.holds(user, routing.PERM_DECIDE_APPEAL):
        appeals_page = _signoffs_page(
            pending.filter(kind=SignOffKind.APPEAL), LIST_PAGE_SIZE, request.GET.get("appeals_page")
        )
        appeals = list(appeals_page.object_list)
    to_acknowledge = acknowledge_page = None
    if routing.holds(user, routing.PERM_ACKNOWLEDGE_BLOCK):
        acknowledge_page = Paginator(
            blocks_to_acknowledge()
            .select_related("account", "channel", "case", "proposed_by")
            .prefetch_related(
                Prefetch(
                    "signoffs",
                    queryset=SignOff.objects.filter(status=SignOffStatus.APPROVED).select_related("decided_by"),
                    to_attr="approvals",
                )
            )
            .order_by("started_at", "pk"),
            LIST_PAGE_SIZE,
        ).get_page(request.GET.get("acknowledge_page"))
        blocks = list(acknowledge_page.object_list)
        for block in blocks:
            # who blocked: the manager who approved the sign-off; an immediate block or a ban, who made it
            block.blocked_by = block.approvals[0].decided_by if block.approvals else block.proposed_by
        acknowledgement_days = policy.current().acknowledgement_due_working_days
        to_acknowledge = [(block, due_after(block.started_at, acknowledgement_days)) for block in blocks]
    # read newest first along the index (decided_by, decided_at DESC), signoff_decider_recent_idx
    recent_page = Paginator(
        SignOff.objects.filter(decided_by=user)
        .select_related("case__account", "block__channel", "appeal")
        .order_by("-decided_at", "-id"),
        LIST_PAGE_SIZE,
    ).get_page(request.GET.get("recent_page"))
    recent = list(recent_page.object_list)
    return render(
        request,
        "escalation/decision_list.html",
        {
            "page": page,
            "appeals": appeals,
            "appeals_page": appeals_page,
            "to_acknowledge": to_acknowledge,
            "acknowledge_page": acknowledge_page,
            "recent": [(s, _subject_label(s)) for s in recent],
            "recent_page": recent_page,
            "back": request.get_full_path(),
        },
    )


def _counts_out_of_band(request, back: str) -> dict:
    """A row answered in place after a decision (htmx) also carries what the decision changed on the
    page around it, swapped out of band: the navigation with its counts (as on the page the row is
    on, ``back``) and the page's section counts. Without JavaScript the page is reloaded instead."""
    return {"oob": True, "navigation": navigation_for(request.user, urlsplit(back).path)}


def _signoff_row(request, signoff: SignOff, *, back: str, form=None, result: str = "", outcome: str = ""):
    context = {"signoff": signoff, "row_form": form, "result": result, "outcome": outcome, "back": back}
    if result:
        context.update(_counts_out_of_band(request, back))
        context["signoffs_count"] = signoffs_for(request.user).exclude(kind=SignOffKind.APPEAL).count()
    return render(request, "escalation/_signoff_row.html", context)


@login_required
def signoff_detail(request, pk: int):
    """The request in full and the approve / refuse-with-reason decision."""
    signoff = get_object_or_404(
        SignOff.objects.select_related(
            "case__account",
            "case__channel",
            "case__service_area",
            "requested_by",
            "decided_by",
            "warning__drafted_by",
            "block__channel",
            "block__proposed_by",
        ),
        pk=pk,
    )
    user = request.user
    if not routing.can_decide_signoff(user, kind=signoff.kind, service_area_id=signoff.case.service_area_id):
        raise PermissionDenied(f"This decision is for the {routing.signoff_decided_by(signoff.kind)}.")
    if user.pk in services.signoff_authors(signoff):
        raise PermissionDenied("You asked for this decision, so someone else must make it.")
    if signoff.kind == SignOffKind.APPEAL:
        return redirect("escalation:appeal_detail", signoff.appeal_id)
    back = _next_url(request, reverse("escalation:decision_list"))
    row = _is_htmx(request) and request.POST.get("row") == "1"
    form = DecisionForm()
    if request.method == "POST":
        if signoff.status != SignOffStatus.PENDING:
            text = _already_decided(signoff.decided_by, signoff.decided_at, signoff.get_status_display())
            if row:
                return _signoff_row(request, signoff, back=back, result=text, outcome="already")
            messages.info(request, text)
            return redirect(back)
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                decided = services.signoff_decide(
                    actor=user, signoff=signoff, approve=form.approve, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                if not _is_conflict(error):
                    apply_service_errors(form, error)
                else:
                    if row:
                        return _signoff_row(request, signoff, back=back, result=_error_text(error), outcome="already")
                    messages.info(request, _error_text(error))
                    return redirect(back)
            else:
                if row:
                    return _signoff_row(request, decided, back=back, result=_decision_done(decided), outcome="done")
                messages.success(request, _decision_done(decided))
                return redirect(back)
        if row:
            return _signoff_row(request, signoff, back=back, form=form)

    case = signoff.case
    history = []
    if signoff.kind == SignOffKind.WARNING:
        history = list(
            signoff.warning.signoffs.exclude(pk=signoff.pk)
            .select_related("requested_by", "decided_by")
            .order_by("requested_at")
        )
    return render(
        request,
        "escalation/signoff_detail.html",
        {
            "signoff": signoff,
            "title": _subject_label(signoff),
            "case": case,
            "posts": _case_posts(case),
            "rules": list(case.rules.all()),
            "standing": account_standing(case.account, case=case),
            "history": history,
            "account_history": _history_rows(case.account, user),
            "decided_by_role": routing.signoff_decided_by(signoff.kind),
            "form": form,
            "back": back,
        },
    )


# --- warnings ------------------------------------------------------------------------------------


@login_required
@permission_required(routing.PERM_DRAFT_WARNING, raise_exception=True)
def warning_create(request, case_pk: int):
    """Draft a written warning from the template; save it, or save and send it for sign-off."""
    case = get_object_or_404(Case.objects.select_related("account", "channel", "service_area"), pk=case_pk)
    live = case.warnings.filter(status__in=LIVE_WARNING).first()
    if live is not None:
        messages.info(request, f"This case already has a warning in progress ({live.get_status_display().lower()}).")
        return redirect("escalation:warning_detail", live.pk)
    if case.status != CaseStatus.OPEN:
        messages.error(request, f"Case {case.pk} is closed; reopen it before warning the account.")
        return redirect("moderation:case_detail", case.pk)
    if request.method == "POST":
        form = WarningTextForm(request.POST)
        if form.is_valid():
            submit = request.POST.get("then") == "submit"
            try:
                with transaction.atomic():
                    warning = services.warning_draft(actor=request.user, case=case, text=form.cleaned_data["text"])
                    if submit:
                        services.warning_submit(actor=request.user, warning=warning)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if submit:
                    who = _who_decides(SignOffKind.WARNING, case, authors={request.user.pk})
                    (messages.success if who else messages.warning)(
                        request, who.sent("Warning saved and sent for sign-off")
                    )
                else:
                    messages.success(request, "Warning saved as a draft.")
                return redirect("escalation:warning_detail", warning.pk)
    else:
        form = WarningTextForm(initial={"text": services.warning_default_text(case)})
    return render(
        request,
        "escalation/warning_form.html",
        {
            "case": case,
            "posts": _case_posts(case),
            "rules": list(case.rules.all()),
            "standing": account_standing(case.account, case=case),
            "form": form,
            "decided_by_role": routing.signoff_decided_by(SignOffKind.WARNING),
            "who_decides": _who_decides(SignOffKind.WARNING, case, authors={request.user.pk}),
            "needs_signoff": routing.warnings_need_signoff(),
        },
    )


@login_required
def warning_detail(request, pk: int):
    """The warning, its status and sign-off history, and what can be done with it now."""
    warning = get_object_or_404(
        Warning.objects.select_related("case__account", "case__channel", "case__service_area", "drafted_by", "sent_by"),
        pk=pk,
    )
    user = request.user
    routing.require_case_reader(user, warning.case)
    can_act = routing.holds(user, routing.PERM_DRAFT_WARNING)
    authors = {warning.drafted_by_id, user.pk}  # who sends it for sign-off and who drafted it
    text_form = WarningTextForm(initial={"text": warning.text})
    withdraw_form = WithdrawForm()
    failed = None
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Your role does not allow you to change warnings.")
        action = request.POST.get("action", "")
        done = ""
        who = None  # who can decide, once the warning is sent for sign-off
        try:
            if action in ("revise", "revise_submit"):
                text_form = WarningTextForm(request.POST)
                failed = text_form
                if text_form.is_valid():
                    with transaction.atomic():
                        text = text_form.cleaned_data["text"]
                        warning = services.warning_revise(actor=user, warning=warning, text=text)
                        if action == "revise_submit":
                            services.warning_submit(actor=user, warning=warning)
                    who = _who_decides(SignOffKind.WARNING, warning.case, authors=authors)
                    done = who.sent("Warning sent for sign-off") if action == "revise_submit" else "Warning saved."
            elif action == "submit":
                services.warning_submit(actor=user, warning=warning)
                who = _who_decides(SignOffKind.WARNING, warning.case, authors=authors)
                done = who.sent("Warning sent for sign-off")
            elif action == "send":
                services.warning_mark_sent(actor=user, warning=warning)
                done = "Warning recorded as sent to the account."
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                failed = withdraw_form
                if withdraw_form.is_valid():
                    services.warning_withdraw(actor=user, warning=warning, reason=withdraw_form.cleaned_data["reason"])
                    done = "Warning withdrawn."
            else:
                messages.error(request, "Choose what to do with the warning.")
                return redirect("escalation:warning_detail", warning.pk)
        except ValidationError as error:
            if failed is None or _is_conflict(error):
                messages.error(request, _error_text(error))
                return redirect("escalation:warning_detail", warning.pk)
            apply_service_errors(failed, error)
        if done:
            # sent for sign-off that nobody else can give: a warning, not a success
            (messages.warning if who is not None and not who else messages.success)(request, done)
            return redirect("escalation:warning_detail", warning.pk)
        warning.refresh_from_db()

    signoffs = list(warning.signoffs.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((s for s in signoffs if s.status == SignOffStatus.PENDING), None)
    if pending is not None:
        pending.warning = warning
        pending.case = warning.case
    return render(
        request,
        "escalation/warning_detail.html",
        {
            "warning": warning,
            "case": warning.case,
            "signoffs": signoffs,
            "pending": pending,
            "can_decide": pending is not None and _may_decide(user, pending),
            "can_act": can_act,
            "text_form": text_form,
            "withdraw_form": withdraw_form,
            "form": failed,
            "decided_by_role": routing.signoff_decided_by(SignOffKind.WARNING),
            "who_decides": _warning_deciders(warning, signoffs, user),
            "needs_signoff": routing.warnings_need_signoff(),
        },
    )


# --- blocks --------------------------------------------------------------------------------------


BLOCK_TITLES = {
    BlockKind.STANDARD: "Propose a block",
    BlockKind.IMMEDIATE: "Block immediately",
    BlockKind.CHANNEL_BAN: "Ban from the channel for misinformation",
}


@login_required
def block_create(request, case_pk: int):
    """Propose a block, block at once (manager) or ban from the channel (misinformation)."""
    kind = request.GET.get("kind") or BlockKind.STANDARD
    if kind not in BLOCK_KIND_PERMS:
        raise Http404("No such kind of block.")
    user = request.user
    if kind != BlockKind.IMMEDIATE and not routing.holds(user, BLOCK_KIND_PERMS[kind]):
        raise PermissionDenied(f"Your role does not allow you to {BLOCK_TITLES[kind].lower()}.")
    case = get_object_or_404(Case.objects.select_related("account", "channel", "service_area"), pk=case_pk)
    if kind == BlockKind.IMMEDIATE:
        refusal = routing.immediate_block_refusal(user, case)  # the policy's who-may-block-at-once
        if refusal:
            raise PermissionDenied(refusal)
    if case.status != CaseStatus.OPEN:
        messages.error(request, f"Case {case.pk} is closed; reopen it before blocking the account.")
        return redirect("moderation:case_detail", case.pk)
    rules = list(case.rules.all())
    misinformation = any(r.channel_only_ban for r in rules)
    visible = (
        [p for p in case.posts.all() if p.visibility in (Visibility.VISIBLE, Visibility.RESTORED)]
        if kind == BlockKind.IMMEDIATE
        else []
    )
    form = BlockForm(
        request.POST or None,
        channel=case.channel,
        with_scope=kind != BlockKind.CHANNEL_BAN,
        visible_posts=len(visible),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        level = messages.success
        try:
            if kind == BlockKind.IMMEDIATE:
                with transaction.atomic():  # the block and what happens to the visible posts, or neither
                    block = services.block_immediate(actor=user, case=case, scope=data["scope"], reason=data["reason"])
                    if data.get("posts_now") in (Visibility.HIDDEN, Visibility.DELETED):
                        for post in visible:
                            post_set_visibility(actor=user, post=post, visibility=data["posts_now"])
                done = f"Blocked now. Block the account on the platform; the {titles().head} is told."
                if data.get("posts_now") in (Visibility.HIDDEN, Visibility.DELETED):
                    done += f" The case's visible posts are {data['posts_now']}."
            elif kind == BlockKind.STANDARD:
                block = services.block_propose(actor=user, case=case, scope=data["scope"], reason=data["reason"])
                who = _who_decides(SignOffKind.BLOCK, case, authors={user.pk})
                done = who.sent("Block proposed and sent for approval")
                if not who:
                    level = messages.warning
            else:
                block = services.channel_ban(actor=user, case=case, reason=data["reason"])
                done = (
                    f"Banned from {case.channel.name}; the case's posts there are deleted. The {titles().head} is told."
                )
        except ValidationError as error:
            apply_service_errors(form, error, aliases={"channel": "scope"})
        else:
            level(request, done)
            return redirect("escalation:block_detail", block.pk)
    return render(
        request,
        "escalation/block_form.html",
        {
            "case": case,
            "kind": kind,
            "title": BLOCK_TITLES[kind],
            "posts": _case_posts(case),
            "rules": rules,
            "misinformation": misinformation,
            "standing": account_standing(case.account, case=case),
            "can_immediate": routing.may_block_at_once(user, case),
            "block_approver": routing.signoff_decided_by(SignOffKind.BLOCK),
            "can_propose": routing.holds(user, routing.PERM_PROPOSE_BLOCK),
            "who_decides": _who_decides(SignOffKind.BLOCK, case, authors={user.pk})
            if kind == BlockKind.STANDARD
            else None,
            "form": form,
        },
    )


@login_required
def block_detail(request, pk: int):
    """The block's facts, its sign-off, police reports and appeals, and the actions open now."""
    block = get_object_or_404(
        Block.objects.select_related(
            "account",
            "channel",
            "case__channel",
            "case__service_area",
            "case__policy_version",
            "proposed_by",
            "md_acknowledged_by",
            "undone_on_platform_by",
        ),
        pk=pk,
    )
    user = request.user
    routing.require_case_reader(user, block.case)
    if request.method == "POST":
        if request.POST.get("action") != "undone":
            messages.error(request, "Choose what to do with the block.")
            return redirect("escalation:block_detail", block.pk)
        if not routing.holds(user, routing.PERM_MODERATE_POST):
            raise PermissionDenied("Your role does not allow you to record that a block was undone.")
        try:
            services.block_undone_on_platform(actor=user, block=block)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, "Recorded: the block is undone on the platform.")
        return redirect("escalation:block_detail", block.pk)

    signoffs = list(block.signoffs.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((s for s in signoffs if s.status == SignOffStatus.PENDING), None)
    if pending is not None:
        pending.block, pending.case = block, block.case
    appeals = list(block.appeals.select_related("recorded_by", "decided_by").order_by("-received_at"))
    reports = list(
        PoliceReport.objects.filter(Q(block=block) | Q(case=block.case_id, block__isnull=True))
        .select_related("recorded_by")
        .order_by("-reported_on", "-pk")
    )
    under_review = next((a for a in appeals if a.status == AppealStatus.UNDER_REVIEW), None)
    notice = ""
    if block.kind == BlockKind.CHANNEL_BAN and block.status == BlockStatus.ACTIVE:
        notice = account_messages.channel_ban_notice(block)
    return render(
        request,
        "escalation/block_detail.html",
        {
            **_message_context(notice, block, block.case),
            "the_block": block,
            "case": block.case,
            "signoffs": signoffs,
            "pending": pending,
            "can_decide": pending is not None and _may_decide(user, pending),
            "appeals": appeals,
            "under_review": under_review,
            "reports": reports,
            "can_acknowledge": routing.holds(user, routing.PERM_ACKNOWLEDGE_BLOCK)
            and block.started_at is not None
            and block.md_acknowledged_at is None,
            "can_appeal": routing.holds(user, routing.PERM_RECORD_APPEAL)
            and policy.current().appeals
            and block.status == BlockStatus.ACTIVE
            and under_review is None,
            "can_undo": routing.holds(user, routing.PERM_MODERATE_POST)
            and block.status == BlockStatus.LIFTED
            and block.undone_on_platform_at is None,
            "can_report": routing.holds(user, routing.PERM_REPORT_POLICE),
            "appeal_window_open": block.appeal_window_open,
            "ack_form": AcknowledgeForm(),
        },
    )


@login_required
@permission_required(routing.PERM_ACKNOWLEDGE_BLOCK, raise_exception=True)
def block_acknowledge(request, pk: int):
    """The Managing Director records they are aware of a block (POST; a GET shows the block)."""
    block = get_object_or_404(Block.objects.select_related("account", "channel", "md_acknowledged_by"), pk=pk)
    if request.method != "POST":
        return redirect("escalation:block_detail", block.pk)
    back = _next_url(request, reverse("escalation:block_detail", args=[block.pk]))
    row = _is_htmx(request) and request.POST.get("row") == "1"
    where = block.channel.name if block.channel_id else "all our channels"
    label = f"Block of @{block.account.handle} on {where}"
    if block.md_acknowledged_at is not None:
        when = dates.say_datetime(block.md_acknowledged_at)
        text = f"Already acknowledged by {actor_label(block.md_acknowledged_by)} on {when}."
        level, outcome = messages.INFO, "already"
    else:
        form = AcknowledgeForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            services.block_acknowledge(actor=request.user, block=block, note=note)
        except ValidationError as error:
            text, level, outcome = _error_text(error), messages.ERROR, "error"
        else:
            text, level, outcome = f"{label}: acknowledged.", messages.SUCCESS, "done"
    if row:
        context = {"item": block, "result": text, "outcome": outcome, **_counts_out_of_band(request, back)}
        context["acknowledge_count"] = blocks_to_acknowledge().count()
        return render(request, "escalation/_acknowledge_row.html", context)
    messages.add_message(request, level, text)
    return redirect(back)


@login_required
@permission_required(routing.PERM_REPORT_POLICE, raise_exception=True)
def police_report_create(request, case_pk: int):
    """Record that the matter was reported to the police (force, reference, date)."""
    case = get_object_or_404(Case.objects.select_related("account", "channel"), pk=case_pk)
    block = None
    block_id = request.POST.get("block") or request.GET.get("block")
    if block_id:
        if not str(block_id).isdigit():
            raise Http404("No such block.")
        block = get_object_or_404(Block.objects.select_related("channel"), pk=block_id, case=case)
    form = PoliceReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.police_report_record(
                actor=request.user,
                case=case,
                block=block,
                force=data["force"],
                reference=data["reference"],
                reported_on=data["reported_on"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Police report recorded: {report.force}, reference {report.reference}. The {titles().head} is told.",
            )
            if block is not None:
                return redirect("escalation:block_detail", block.pk)
            return redirect("moderation:case_detail", case.pk)
    reports = list(case.police_reports.select_related("recorded_by").order_by("-reported_on", "-pk"))
    return render(
        request,
        "escalation/police_report_form.html",
        {"case": case, "the_block": block, "reports": reports, "form": form},
    )


# --- appeals -------------------------------------------------------------------------------------

APPEAL_TABS = (
    ("", "All"),
    (AppealStatus.UNDER_REVIEW, "Under review"),
    (AppealStatus.PREMATURE, "Premature"),
    ("decided", "Decided"),
)


@login_required
def appeal_list(request):
    """Appeals, newest first, with their status (a premature one says when the window opens)."""
    _require_any(request.user, APPEAL_READERS)
    if not policy.current().appeals:
        raise PermissionDenied("Our policy offers no appeals against its decisions.")
    status = request.GET.get("status", "")
    appeals = Appeal.objects.select_related("block__account", "block__channel", "recorded_by", "decided_by").order_by(
        "-received_at", "-pk"
    )
    if status == "decided":
        appeals = appeals.filter(status__in=[AppealStatus.UPHELD, AppealStatus.OVERTURNED])
    elif status in (AppealStatus.UNDER_REVIEW, AppealStatus.PREMATURE):
        appeals = appeals.filter(status=status)
    else:
        status = ""
    counts = Appeal.objects.aggregate(
        all=Count("pk"),
        under_review=Count("pk", filter=Q(status=AppealStatus.UNDER_REVIEW)),
        premature=Count("pk", filter=Q(status=AppealStatus.PREMATURE)),
        decided=Count("pk", filter=Q(status__in=[AppealStatus.UPHELD, AppealStatus.OVERTURNED])),
    )
    tabs = [
        {
            "label": label,
            "href": f"?status={key}" if key else "?",
            "current": key == status,
            "count": counts[key or "all"],
        }
        for key, label in APPEAL_TABS
    ]
    page = Paginator(appeals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "escalation/appeal_list.html", {"page": page, "tabs": tabs, "status": status})


@login_required
@permission_required(routing.PERM_RECORD_APPEAL, raise_exception=True)
def appeal_create(request, block_pk: int):
    """Log an appeal that arrived; before the window opens it is recorded as premature."""
    if not policy.current().appeals:
        raise Http404("Our policy offers no appeals.")
    block = get_object_or_404(Block.objects.select_related("account", "channel", "case"), pk=block_pk)
    if block.status != BlockStatus.ACTIVE:
        messages.error(
            request, f"This block is {block.get_status_display().lower()}; only an active block can be appealed."
        )
        return redirect("escalation:block_detail", block.pk)
    under_review = block.appeals.filter(status=AppealStatus.UNDER_REVIEW).first()
    if under_review is not None:
        messages.info(request, f"An appeal against this block is already with the {titles().head}.")
        return redirect("escalation:appeal_detail", under_review.pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services.appeal_record(
                actor=request.user,
                block=block,
                received_at=data["received_at"],
                received_via=data["received_via"],
                grounds=data["grounds"],
            )
        except ValidationError as error:
            apply_service_errors(form, error, aliases={"received_at": "received_time"})
        else:
            if appeal.status == AppealStatus.PREMATURE:
                messages.warning(
                    request,
                    f"Recorded as premature: appeals against this block can be heard from "
                    f"{_long_date(appeal.window_opens_at)}. Send the account owner the message below.",
                )
            else:
                who = _who_decides(SignOffKind.APPEAL, block.case, authors={request.user.pk})
                level = messages.success if who else messages.warning
                level(request, who.sent("Appeal recorded and sent for a decision"))
            return redirect("escalation:appeal_detail", appeal.pk)
    return render(
        request,
        "escalation/appeal_form.html",
        {
            "the_block": block,
            "form": form,
            "window_open": block.appeal_window_open,
            "any_time": challengeable_at_any_time(block),
            "who_decides": _who_decides(SignOffKind.APPEAL, block.case, authors={request.user.pk}),
        },
    )


def _history_rows(account, user) -> list[dict]:
    """The account's cases, warnings, blocks and appeals as one list, newest first (five queries).

    Each row links to its page only when ``user`` may open it (no dead ends): a Service Director
    sees the whole history, with links to the cases of their own areas.
    """
    history = account_history(account)
    readable = routing.readable_case_ids(user, [case for case, _ in history["cases"]])
    appeals_open = routing.can_read_appeals(user)
    rows = []
    for case, stage in history["cases"]:
        rows.append(
            {
                "at": case.recorded_at,
                "what": "Case",
                "label": f"Case {case.pk}",
                "url": reverse("moderation:case_detail", args=[case.pk]) if case.pk in readable else "",
                "detail": f"{case.channel.name}: " + "; ".join(r.title for r in case.rules.all()),
                "tag": stage.label,
                "colour": stage.colour,
            }
        )
    for warning in history["warnings"]:
        rows.append(
            {
                "at": warning.sent_at or warning.drafted_at,
                "what": "Warning",
                "label": f"Warning {warning.pk}",
                "url": reverse("escalation:warning_detail", args=[warning.pk]) if warning.case_id in readable else "",
                "detail": f"Case {warning.case_id}; drafted by {actor_label(warning.drafted_by)}",
                "status": warning.status,
                "tag": warning.get_status_display(),
            }
        )
    for block in history["blocks"]:
        where = block.channel.name if block.channel_id else "all channels"
        rows.append(
            {
                "at": block.started_at or block.proposed_at,
                "what": "Block",
                "label": f"Block {block.pk}",
                "url": reverse("escalation:block_detail", args=[block.pk]) if block.case_id in readable else "",
                "detail": f"{block.get_kind_display()} on {where}"
                + (f"; appeals from {_long_date(block.appeal_opens_at)}" if block.appeal_opens_at else ""),
                "status": block.status,
                "tag": block.get_status_display(),
            }
        )
    for appeal in history["appeals"]:
        decided = (
            f"decided by {actor_label(appeal.decided_by)} on {_long_date(appeal.decided_at)}"
            if appeal.decided_at
            else f"against block {appeal.block_id}"
        )
        rows.append(
            {
                "at": appeal.received_at,
                "what": "Appeal",
                "label": f"Appeal {appeal.pk}",
                "url": reverse("escalation:appeal_detail", args=[appeal.pk]) if appeals_open else "",
                "detail": decided,
                "status": appeal.status,
                "tag": appeal.get_status_display(),
            }
        )
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows


@login_required
def appeal_detail(request, pk: int):
    """The appeal, the block, the account's whole history and the case timeline; the Managing
    Director upholds or overturns here."""
    user = request.user
    _require_any(user, APPEAL_READERS)
    appeal = get_object_or_404(
        Appeal.objects.select_related(
            "block__account",
            "block__channel",
            "block__case__channel",
            "block__case__policy_version",
            "block__proposed_by",
            "block__md_acknowledged_by",
            "recorded_by",
            "decided_by",
        ),
        pk=pk,
    )
    block = appeal.block
    signoffs = list(appeal.signoffs.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((s for s in signoffs if s.status == SignOffStatus.PENDING), None)
    is_md = routing.holds(user, routing.PERM_DECIDE_APPEAL)
    form = AppealDecisionForm()
    if request.method == "POST":
        if not is_md:
            raise PermissionDenied(f"Only the {titles().head} decides appeals.")
        if appeal.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED):
            messages.info(request, _already_decided(appeal.decided_by, appeal.decided_at, appeal.get_status_display()))
            return redirect("escalation:appeal_detail", appeal.pk)
        if appeal.status != AppealStatus.UNDER_REVIEW:
            messages.error(
                request, f"This appeal is {appeal.get_status_display().lower()}; there is nothing to decide."
            )
            return redirect("escalation:appeal_detail", appeal.pk)
        form = AppealDecisionForm(request.POST)
        if form.is_valid():
            try:
                decided = services.appeal_decide(
                    actor=user, appeal=appeal, overturn=form.overturn, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                if not _is_conflict(error):
                    apply_service_errors(form, error)
                else:
                    messages.info(request, _error_text(error))
                    return redirect("escalation:appeal_detail", appeal.pk)
            else:
                if decided.status == AppealStatus.OVERTURNED:
                    messages.success(
                        request,
                        "Appeal overturned: the block is lifted. An officer must now undo it on "
                        f"{block.account.get_platform_display()} and record that here.",
                    )
                else:
                    decided.block.refresh_from_db(fields=["appeal_opens_at"])
                    messages.success(
                        request,
                        "Appeal upheld: the block stays. The next appeal can be heard from "
                        f"{_long_date(decided.block.appeal_opens_at)}.",
                    )
                return redirect("escalation:appeal_detail", appeal.pk)
    can_decide = (
        is_md
        and appeal.status == AppealStatus.UNDER_REVIEW
        and not any(s.requested_by_id == user.pk for s in signoffs if s.status == SignOffStatus.PENDING)
    )
    events = list(CaseEvent.objects.filter(case_id=block.case_id).order_by("-at", "-id"))
    if appeal.status == AppealStatus.PREMATURE:
        message = account_messages.premature_appeal_reply(appeal)
    else:
        message = account_messages.appeal_outcome_message(appeal)
    return render(
        request,
        "escalation/appeal_detail.html",
        {
            **_message_context(message, block, block.case),
            "appeal": appeal,
            "the_block": block,
            "case": block.case,
            "pending": pending,
            "can_decide": can_decide,
            "form": form,
            "history": _history_rows(block.account, user),
            "standing": account_standing(block.account, case=block.case),
            "events": events,
        },
    )
