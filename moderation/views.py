"""Workspace pages about what happened: recording a case, working on its posts, evidence and flags, imports.
(The queue, the case file and the account page show escalation's rows too: ``escalation.case_views``.)

Views read through selectors and change state only through services; a refusal from a service
comes back to the page as a message or a form error, never as a 500.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from moderation import accessibility, csvfiles, flags, imports, services
from moderation.constants import CaseOutcome, CaseStatus, ImportStatus, Visibility
from moderation.forms import (
    AssignForm,
    CaseRecordForm,
    CloseForm,
    EvidenceForm,
    ImportColumnsForm,
    ImportUploadForm,
    ReopenForm,
    VisibilityForm,
    apply_service_errors,
)
from moderation.models import Case, Channel, CsvImport, Evidence, Flag, ImportSource, Post
from moderation.selectors import attach_versions, flag_queue
from policy import roles as routing
from policy.signals import data_downloaded

PAGE_SIZE = 25


@login_required
def home(request):
    """Each role lands where its work is; an administrator (superuser) configures, in the admin."""
    user = request.user
    if user.is_superuser:
        return redirect("admin:index")
    if routing.holds(user, routing.PERM_RECORD_CASE) and not routing.holds(user, routing.PERM_APPROVE_BLOCK):
        return redirect("moderation:case_list")
    if any(
        routing.holds(user, p)
        for p in (
            routing.PERM_APPROVE_BLOCK,
            routing.PERM_SIGNOFF_WARNING_AREA,
            routing.PERM_DECIDE_APPEAL,
            routing.PERM_ACKNOWLEDGE_BLOCK,
        )
    ):
        return redirect("escalation:decision_list")
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "moderation/no_role.html")


# --- Recording a case and the case page ---------------------------------------------------------

# The buttons a post offers, per target visibility: label, past tense, button style.
VISIBILITY_BUTTONS = {
    Visibility.HIDDEN: ("Hide", "hidden", "govuk-button--secondary"),
    Visibility.RESTORED: ("Restore", "restored", "govuk-button--secondary"),
    Visibility.DELETED: ("Delete", "deleted", "govuk-button--warning"),
}
RECORDED_TOKENS = "recorded_case_forms"  # session key: form token → case, so a resubmission records once


def _messages_of(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Your role does not allow that."


def _case_url(case_or_pk, anchor: str = "") -> str:
    pk = getattr(case_or_pk, "pk", case_or_pk)
    return reverse("moderation:case_detail", args=[pk]) + (f"#{anchor}" if anchor else "")


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def case_create(request):
    """Record a case in under a minute; a post already recorded leads to its existing case."""
    token = request.POST.get("form_token", "") if request.method == "POST" else uuid.uuid4().hex
    done = request.session.get(RECORDED_TOKENS, {})
    if request.method == "POST" and token in done:  # the same form sent again (double click, back button)
        messages.info(request, f"That case is already recorded: case {done[token]}.")
        return redirect(_case_url(done[token]))
    initial = {} if request.method == "POST" else _initial_from(request.GET, request.user)
    form = CaseRecordForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _record_case(request, form, token)
        if response is not None:
            return response
    return render(request, "moderation/case_create.html", {"form": form, "form_token": token or uuid.uuid4().hex})


def _initial_from(params, user) -> dict:
    """Prefill from a stored post (the flag queue's "Record a case" link passes its id, never its
    text or author: a URL ends up in access logs); the form still validates all."""
    initial = {}
    post_id = params.get("post", "")
    if post_id.isdigit():
        post = Post.objects.select_related("account", "case").filter(pk=post_id).first()
        if post is not None:
            initial = {
                "channel": post.channel_id,
                "handle": post.account.handle,
                "display_name": post.account.display_name,
                "text": post.text,
                "url": post.url,
                "external_id": post.external_id,
                "posted_at": f"{timezone.localtime(post.posted_at):%d/%m/%Y %H:%M}",
                "kind": post.kind,
            }
            if not routing.can_read_case_text(user, post.case if post.case_id else None):
                del initial["text"]  # a safeguarding case's post: its text is for the leads
            initial = {name: value for name, value in initial.items() if value}
    rules = [rule for rule in params.getlist("rules") if rule.isdigit()]
    if rules:
        initial["rules"] = rules
    return initial


def _record_case(request, form: CaseRecordForm, token: str):
    data = form.cleaned_data
    channel = data["channel"]
    evidence = data.get("evidence")
    try:
        with transaction.atomic():  # the evidence is stored with the case, or neither is
            result = services.case_record(
                actor=request.user,
                platform=channel.platform,
                handle=data["handle"],
                display_name=data["display_name"],
                posts=[
                    services.PostData(
                        channel=channel,
                        posted_at=data["posted_at"],
                        text=data["text"],
                        url=data["url"],
                        kind=data["kind"],
                        external_id=data.get("external_id", ""),
                    )
                ],
                rules=list(data["rules"]),
                reason=data["reason"],
                reported_by=data.get("reported_by", ""),
                service_area=data["service_area"],
                priority=data["priority"],
            )
            evidence_lost = False
            if evidence:
                try:
                    services.evidence_add(
                        actor=request.user, case=result.case, file=evidence, description="Recorded with the case"
                    )
                except services.EvidenceNotStored:
                    # the file store failed: the case is recorded all the same, without the file
                    evidence_lost = True
    except ValidationError as error:
        apply_service_errors(form, error, aliases={"posts": "text", "file": "evidence"})
        return None
    except PermissionDenied as error:
        form.add_error(None, _messages_of(error))
        return None
    case = result.case
    if token:
        done = request.session.get(RECORDED_TOKENS, {})
        done[token] = case.pk
        request.session[RECORDED_TOKENS] = dict(list(done.items())[-20:])
    if result.created:
        messages.success(request, f"Case {case.pk} recorded: @{case.account.handle} on {channel.name}.")
    else:
        added = " Your evidence was added to it." if evidence and not evidence_lost else ""
        messages.info(request, f"That post is already on case {case.pk}.{added}")
    if evidence_lost:
        messages.error(
            request,
            f"Case {case.pk} is recorded without its evidence file: the file store is not answering. "
            "Add the file again from the case page in a few minutes.",
        )
    return redirect(_case_url(case))


@login_required
@permission_required(routing.PERM_MODERATE_POST, raise_exception=True)
@require_POST
def post_visibility(request, pk: int, post_pk: int):
    """Hide, delete or restore one post of the case; back to the case page with what happened."""
    post = get_object_or_404(Post, pk=post_pk, case_id=pk)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to hide, delete or restore the post.")
        return redirect(_case_url(pk, f"post-{post.pk}"))
    target = form.cleaned_data["visibility"]
    before = post.visibility
    try:
        services.post_set_visibility(actor=request.user, post=post, visibility=target)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    else:
        past = VISIBILITY_BUTTONS[target][1]
        if before == target:
            messages.info(request, f"The post was already {past}.")
        else:
            messages.success(request, f"Post {past}.")
    return redirect(_case_url(pk, f"post-{post.pk}"))


@login_required
@permission_required(routing.PERM_MANAGE_CASE, raise_exception=True)
@require_POST
def case_assign(request, pk: int):
    case = get_object_or_404(Case, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose someone in the communications team.")
        return redirect(_case_url(case))
    assignee = form.cleaned_data["assignee"]
    before = case.assignee_id
    try:
        services.case_assign(actor=request.user, case=case, assignee=assignee)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    else:
        if assignee is None:
            state = "unassigned"
        elif assignee.pk == request.user.pk:
            state = "assigned to you"
        else:
            state = f"assigned to {assignee.get_full_name() or assignee.get_username()}"
        if before == (assignee.pk if assignee else None):
            messages.info(request, f"Case {case.pk} was already {state}.")
        else:
            messages.success(request, f"Case {case.pk} {state}.")
    return redirect(_case_url(case))


@login_required
@permission_required(routing.PERM_MANAGE_CASE, raise_exception=True)
@require_POST
def case_close(request, pk: int):
    case = get_object_or_404(Case, pk=pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Select the outcome of the case to close it.")
        return redirect(_case_url(case, "close"))
    outcome = form.cleaned_data["outcome"]
    was_closed = case.status == CaseStatus.CLOSED
    try:
        services.case_close(actor=request.user, case=case, outcome=outcome, note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    else:
        label = CaseOutcome(outcome).label.lower()
        if was_closed:
            messages.info(request, f"Case {case.pk} was already closed: {label}.")
        else:
            messages.success(request, f"Case {case.pk} closed: {label}.")
    return redirect(_case_url(case))


@login_required
@permission_required(routing.PERM_MANAGE_CASE, raise_exception=True)
@require_POST
def case_reopen(request, pk: int):
    case = get_object_or_404(Case, pk=pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the case is reopened.")
        return redirect(_case_url(case, "reopen"))
    was_open = case.status == CaseStatus.OPEN
    try:
        services.case_reopen(actor=request.user, case=case, note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    else:
        if was_open:
            messages.info(request, f"Case {case.pk} is already open.")
        else:
            messages.success(request, f"Case {case.pk} reopened.")
    return redirect(_case_url(case))


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def evidence_add(request, pk: int):
    """Attach a screenshot, a PDF or a link to the case."""
    case = get_object_or_404(Case.objects.select_related("account", "channel"), pk=pk)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_add(
                actor=request.user,
                case=case,
                file=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, _messages_of(error))
        except services.EvidenceNotStored as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, f"Evidence added to case {case.pk}.")
            return redirect(_case_url(case, "evidence"))
    return render(request, "moderation/evidence_add.html", {"case": case, "form": form})


@login_required
def evidence_file(request, pk: int, evidence_pk: int):
    """An evidence file, to those who may read the case; its type is what its bytes show."""
    evidence = get_object_or_404(Evidence.objects.select_related("case"), pk=evidence_pk, case_id=pk)
    routing.require_case_reader(request.user, evidence.case)
    if not routing.can_read_case_text(request.user, evidence.case):
        raise PermissionDenied("This is a safeguarding case: only safeguarding leads open its evidence.")
    if not evidence.file:
        raise Http404("This evidence is a link, not a file.")
    handle = evidence.file.open("rb")
    content_type = services.sniff_evidence_type(handle) or "application/octet-stream"
    data_downloaded(request, "evidence_file", case=evidence.case_id, evidence=evidence.pk)
    return FileResponse(
        handle,
        content_type=content_type,
        filename=PurePath(evidence.file.name).name,
        as_attachment=content_type == "application/octet-stream",
    )


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def flag_list(request):
    """Posts automatic rules flagged, for a person to decide: record a case, or "not a problem"."""
    page = Paginator(flag_queue(), PAGE_SIZE).get_page(request.GET.get("page"))
    for flag in page.object_list:
        flag.post.edited = flag.post_edited
    attach_versions([flag.post for flag in page.object_list])  # the earlier versions of edited posts
    rows = [(flag, _record_case_link(flag)) for flag in page.object_list]
    return render(request, "moderation/flag_list.html", {"page": page, "rows": rows})


def _record_case_link(flag: Flag) -> str:
    """Record a case from a flagged post: its id and the rule, never its text or personal data."""
    params = [("post", flag.post_id), ("rules", flag.rule.house_rule_id)]
    return reverse("moderation:case_create") + "?" + urlencode([(k, v) for k, v in params if v])


@login_required
@permission_required(routing.PERM_MODERATE_POST, raise_exception=True)
@require_POST
def flag_dismiss(request, pk: int):
    """ "Not a problem": the flag is dismissed and who dismissed it is kept."""
    flag = get_object_or_404(Flag, pk=pk)
    try:
        flags.flag_dismiss(actor=request.user, flag=flag, note=request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, f"Flag dismissed: not a problem ({flag.rule}).")
    return redirect("moderation:flag_list")


# --- CSV import -------------------------------------------------------------------------------------


def _import_or_404(pk: int) -> CsvImport:
    return get_object_or_404(CsvImport.objects.select_related("source", "channel", "uploaded_by", "started_by"), pk=pk)


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
def import_list(request):
    """The team's CSV imports, newest first, with what came of each."""
    queryset = (
        CsvImport.objects.exclude(status=ImportStatus.DISCARDED)
        .select_related("source", "uploaded_by", "started_by")
        .order_by("-uploaded_at", "-id")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "moderation/import_list.html", {"page": page})


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
def import_upload(request):
    """Upload an export; a source whose columns were matched before goes straight to the preview."""
    sources = list(ImportSource.objects.all())
    last_used = CsvImport.objects.order_by("-uploaded_at", "-id").values_list("source_id", flat=True).first()
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        sources=sources,
        initial={"source": str(last_used)} if last_used else {},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            csv_import = imports.import_upload(
                actor=request.user,
                file=data["file"],
                source=data["source_object"],
                source_name=data.get("source_name", ""),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, _messages_of(error))
        else:
            if csv_import.status == ImportStatus.MAPPING:
                return redirect("moderation:import_columns", pk=csv_import.pk)
            messages.info(request, f"The columns were matched as for the last file from {csv_import.source.name}.")
            return redirect("moderation:import_detail", pk=csv_import.pk)
    return render(request, "moderation/import_upload.html", {"form": form, "sources": sources})


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
def import_columns(request, pk: int):
    """Match the file's columns to ours; the mapping is saved for the source's next files."""
    csv_import = _import_or_404(pk)
    if not csv_import.is_editable:
        messages.info(request, f"This import is {csv_import.get_status_display().lower()}: its columns are fixed.")
        return redirect("moderation:import_detail", pk=pk)
    try:
        examples = imports.read_kept_file(csv_import, limit=50).examples()
    except csvfiles.CsvFileError:
        examples = {}
    initial = {**csv_import.columns, "default_channel": csv_import.channel_id}
    form = ImportColumnsForm(
        request.POST or None,
        initial=initial,
        headings=csv_import.headings,
        examples=examples,
        channels=Channel.objects.filter(is_active=True),
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_match_columns(
                actor=request.user,
                csv_import=csv_import,
                columns=form.columns(),
                channel=form.cleaned_data["default_channel"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, _messages_of(error))
        else:
            messages.success(
                request, f"Columns matched. They will be used for the next files from {csv_import.source.name}."
            )
            return redirect("moderation:import_detail", pk=pk)
    return render(request, "moderation/import_columns.html", {"form": form, "csv_import": csv_import})


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
def import_detail(request, pk: int):
    """One import: its preview when ready, its progress while it runs, then what came of it."""
    csv_import = _import_or_404(pk)
    if request.GET.get("download") == "skipped" and csv_import.status == ImportStatus.FAILED and csv_import.file:
        try:
            data = imports.skipped_rows_csv(csv_import)
        except csvfiles.CsvFileError as error:
            messages.error(request, str(error))
            return redirect("moderation:import_detail", pk=pk)
        name = f"{PurePath(csv_import.filename).stem} (rows with problems).csv"
        data_downloaded(request, "import_rows_with_problems", csv_import=csv_import.pk)
        return HttpResponse(
            data,
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        )
    context = {"csv_import": csv_import, "progress": imports.import_progress(csv_import)}
    if csv_import.status == ImportStatus.READY:
        context["preview"] = imports.import_preview(csv_import)
    context["rows_without_problems"] = imports.rows_without_problems_of(csv_import)
    context["column_rows"] = _column_rows(csv_import)
    return render(request, "moderation/import_detail.html", context)


def _column_rows(csv_import: CsvImport) -> list[tuple[str, str]]:
    rows = [(spec.label, csv_import.columns[spec.key]) for spec in csvfiles.FIELDS if csv_import.columns.get(spec.key)]
    if csv_import.channel:
        rows.append(("Channel of rows that name none", csvfiles.channel_label(csv_import.channel)))
    return rows


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
def import_progress(request, pk: int):
    """The progress bar and (out of band, when it changed) its text, polled by htmx while the import runs.

    A finished import reloads the page, which then shows what came of it.
    """
    csv_import = _import_or_404(pk)
    progress = imports.import_progress(csv_import)
    # the live region's text is sent only when it changes, so screen readers announce each new count once
    text_unchanged = request.GET.get("shown") == f"{progress['phase']}:{progress['done']}"
    response = render(
        request,
        "moderation/includes/import_progress_poll.html",
        {"csv_import": csv_import, "progress": progress, "text_unchanged": text_unchanged},
    )
    if not csv_import.is_active:
        response["HX-Refresh"] = "true"
    return response


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
@require_POST
def import_start(request, pk: int):
    csv_import = _import_or_404(pk)
    if request.POST.get("rows") == "without_problems":
        try:
            part = imports.import_without_problems(actor=request.user, csv_import=csv_import)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _messages_of(error))
            return redirect("moderation:import_detail", pk=pk)
        messages.success(
            request,
            f"Importing the {part.row_count:,} row{'s' if part.row_count != 1 else ''} without problems. "
            f"The rows with problems were skipped: download them from {csv_import.filename}.",
        )
        return redirect("moderation:import_detail", pk=part.pk)
    try:
        imports.import_start(actor=request.user, csv_import=csv_import)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
    return redirect("moderation:import_detail", pk=pk)  # the page shows its progress, then its result


@login_required
@permission_required(routing.PERM_IMPORT_POSTS, raise_exception=True)
@require_POST
def import_discard(request, pk: int):
    csv_import = _import_or_404(pk)
    try:
        imports.import_discard(actor=request.user, csv_import=csv_import)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _messages_of(error))
        return redirect("moderation:import_detail", pk=pk)
    messages.success(request, f"{csv_import.filename} discarded: nothing was imported from it.")
    return redirect("moderation:import_list")


def accessibility_statement(request):
    """The accessibility statement: open to everyone, signed in or not (linked from every footer)."""
    return render(
        request,
        "moderation/accessibility_statement.html",
        {"statement": accessibility.statement_details(), "known_issues": accessibility.KNOWN_ISSUES},
    )
