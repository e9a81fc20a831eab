"""Enquiry pages (issue 12): record a case or a post as an enquiry, and the steps to its answer.

Every step is a service of ``moderation.enquiries`` (its transaction and timeline event); these pages
only take the form and show the service's messages. Officers and managers (``moderate_post``) act.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from escalation import routing
from escalation.enquiry_forms import AnsweredForm, ClarifiedForm, ClarifyForm, EnquiryForm, HandOnForm, ReplyForm
from moderation import clock, enquiries
from moderation.constants import CaseStatus
from moderation.forms import apply_service_errors
from moderation.models import Case, Enquiry, Post
from policy.dates import say_date

FORBIDDEN = "Your role does not record enquiries."

# step: (form, service, page heading, button, message on success)
STEPS = {
    "reply": (ReplyForm, enquiries.enquiry_reply_record, "Record a reply", "Record the reply", "Reply recorded."),
    "clarify": (
        ClarifyForm,
        enquiries.enquiry_ask_to_clarify,
        "Ask them to clarify: the clock pauses",
        "Record the question",
        "The clock is paused until they reply.",
    ),
    "clarified": (
        ClarifiedForm,
        enquiries.enquiry_clarified,
        "They clarified: the clock restarts",
        "Record their reply",
        "The clock restarted.",
    ),
    "hand_on": (HandOnForm, enquiries.enquiry_hand_on, "Hand on to the team that owns it", "Hand it on", ""),
    "answered": (
        AnsweredForm,
        enquiries.enquiry_answered,
        "Record the answer",
        "Record the answer",
        "Answered: the enquiry is closed.",
    ),
}


def _require_moderator(user) -> None:
    if not routing.holds(user, routing.PERM_MODERATE_POST):
        raise PermissionDenied(FORBIDDEN)


def _readable_enquiry(request, pk: int) -> Enquiry:
    _require_moderator(request.user)
    enquiry = get_object_or_404(Enquiry.objects.select_related("case__account", "case__channel"), pk=pk)
    routing.require_case_reader(request.user, enquiry.case)
    return enquiry


def _record(request, form: EnquiryForm, save) -> Enquiry | None:
    if request.method == "POST" and form.is_valid():
        try:
            return save(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
    return None


@login_required
def enquiry_create(request, case_pk: int):
    """Turn a case into an enquiry of one kind."""
    _require_moderator(request.user)
    case = get_object_or_404(Case.objects.select_related("account", "channel"), pk=case_pk)
    routing.require_case_reader(request.user, case)
    if Enquiry.objects.filter(case=case).exists():
        messages.info(request, "This case is already an enquiry.")
        return redirect("moderation:case_detail", case.pk)
    form = EnquiryForm(request.POST or None, initial={"received_on": timezone.localdate(case.recorded_at)})
    enquiry = _record(request, form, lambda **data: enquiries.enquiry_record(case=case, **data))
    if enquiry is not None:
        messages.success(request, _recorded_message(enquiry))
        return redirect("moderation:case_detail", case.pk)
    return render(request, "escalation/enquiry_create.html", {"case": case, "post": None, "form": form})


@login_required
def enquiry_from_post(request, post_pk: int):
    """Record a post (in a case or not yet) as an enquiry."""
    _require_moderator(request.user)
    if not routing.holds(request.user, routing.PERM_RECORD_CASE):
        raise PermissionDenied(FORBIDDEN)
    post = get_object_or_404(Post.objects.select_related("account", "channel", "case"), pk=post_pk)
    if post.case_id is not None:
        return redirect("escalation:enquiry_create", post.case_id)
    form = EnquiryForm(request.POST or None, initial={"received_on": timezone.localdate(post.posted_at)})
    enquiry = _record(request, form, lambda **data: enquiries.enquiry_record_from_post(post=post, **data))
    if enquiry is not None:
        messages.success(request, _recorded_message(enquiry))
        return redirect("moderation:case_detail", enquiry.case_id)
    return render(request, "escalation/enquiry_create.html", {"case": None, "post": post, "form": form})


def _recorded_message(enquiry: Enquiry) -> str:
    due = f" Answer due by {say_date(enquiry.due_on)}." if enquiry.due_on else ""
    return f"Recorded as a {enquiry.get_kind_display().lower()}.{due}"


@login_required
def enquiry_step(request, pk: int, step: str):
    """One step of an enquiry: a reply, asking to clarify, their clarification, handing on, the answer."""
    if step not in STEPS:
        raise Http404("No such step.")
    enquiry = _readable_enquiry(request, pk)
    form_class, service, heading, button, success = STEPS[step]
    today = timezone.localdate(clock.now())
    initial = {"asked_on": today, "replied_on": today, "answered_on": today}
    extra = {"case_open": enquiry.case.status == CaseStatus.OPEN} if step == "answered" else {}
    form = form_class(request.POST or None, initial=initial, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            done = service(actor=request.user, enquiry=enquiry, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if step == "answered":
                success = _answered_message(done, asked_to_close=form.cleaned_data.get("close_case"))
            if step == "hand_on":
                enquiry.refresh_from_db()
                emailed = f" {enquiry.handed_to_email} is emailed the request." if enquiry.handed_to_email else ""
                success = f"Handed on to {enquiry.handed_to_team}.{emailed}"
            messages.success(request, success)
            return redirect("moderation:case_detail", enquiry.case_id)
    return render(
        request,
        "escalation/enquiry_step.html",
        {"enquiry": enquiry, "case": enquiry.case, "form": form, "heading": heading, "button": button, "step": step},
    )


def _answered_message(enquiry: Enquiry, *, asked_to_close: bool | None) -> str:
    """``asked_to_close`` None: the case was closed already (the form did not ask)."""
    if asked_to_close is None:
        return "Answered: the enquiry is closed."
    if not asked_to_close:
        return "Answered: the enquiry is closed. The case stays open."
    if enquiry.case_kept_open:
        return f"Answered: the enquiry is closed. The case stays open: {enquiry.case_kept_open}"
    case = Case.objects.only("outcome").get(pk=enquiry.case_id)
    return f"Answered: the enquiry and the case are closed ({case.get_outcome_display().lower()})."


@login_required
@permission_required(routing.PERM_MODERATE_POST, raise_exception=True)
@require_POST
def enquiry_saved_reply_sent(request, pk: int):
    """The officer sent the saved reply: recorded as a signpost, which stops the first-response clock."""
    enquiry = _readable_enquiry(request, pk)
    reply = enquiries.saved_reply(enquiry.kind)
    if "text" not in reply:
        messages.error(request, f"There is no saved reply: set the {reply['missing']} in the policy.")
        return redirect("moderation:case_detail", enquiry.case_id)
    try:
        enquiries.enquiry_reply_record(
            actor=request.user, enquiry=enquiry, reply="signpost", text=reply["text"], url=reply["url"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Recorded: the saved reply was sent.")
    return redirect("moderation:case_detail", enquiry.case_id)
