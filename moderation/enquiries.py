"""Enquiries: requests the law or the policy clocks (issue 12; Hart, Cafcass, HMCTS, NHDC).

A case, or a post, becomes an enquiry of one kind. Each kind carries its policy's rules:

* **Freedom of Information** (Hart): "We will accept Freedom of Information requests via our social
  media accounts as long as they are submitted from an identified person with an address for
  correspondence. The request should provide a clear description of the information requested."
  Answered within 20 working days of receipt (Freedom of Information Act 2000, s.10), counted in the
  policy's bank holidays (England and Wales, Scotland or Northern Ireland); asking the requester to
  clarify pauses the clock, and the deadline moves by the working days it was paused.
* **Subject access**: one calendar month from receipt (the same day next month, or that month's last
  day when it has none: 31 January → 28 or 29 February).
* **Complaints** (Hart): "not a replacement for our formal complaints procedure": signposted to the
  policy's complaints page, and the signposting recorded.
* **Consultations** (Hart): "we will take comments via social media as long as they are submitted from
  an identified person".

A reply, a holding reply ("we'll contact the member of public to let them know and when they can
expect a full response", Hart) or a signpost stops the case's first-response clock
(``moderation.deadlines.FIRST_RESPONSE_EVENTS``).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Priority, Visibility
from moderation.deadlines import due_after
from moderation.enquiry_models import Enquiry, EnquiryKind, EnquiryStatus
from moderation.events import record_event
from moderation.models import Case, Post
from moderation.outbox import outbox_add
from moderation.services import case_close, clean_text, conflict, require_perm
from policy import roles as routing
from policy import services as policy
from policy.dates import say_date
from policy.worktime import OfficeHours

FOI_WORKING_DAYS = 20
NAME_MAX = 200
TEXT_MAX = 120
LONG_MAX = 4000
REPLY_KINDS = {
    "reply": EventKind.ENQUIRY_REPLIED,
    "holding": EventKind.ENQUIRY_HOLDING_REPLY,
    "signpost": EventKind.ENQUIRY_SIGNPOSTED,
}
# who asked must be named for these kinds (Hart: "an identified person")
NAMED_KINDS = (EnquiryKind.FOI, EnquiryKind.CONSULTATION)


# --- deadlines --------------------------------------------------------------------------------------


def statutory_calendar(bank_holidays: str) -> OfficeHours:
    """Working days as the Freedom of Information Act counts them: Monday to Friday, less the bank
    holidays of the policy's part of the UK ("ENG", "SCT", "NIR"; "NONE" skips none). The team's own
    closure days do not stop the legal clock."""
    none = bank_holidays in ("", "NONE")
    return OfficeHours(country="" if none else "GB", subdiv="" if none else bank_holidays)


def working_days_after(start: date, days: int, hours: OfficeHours) -> date:
    """The ``days``-th working day after ``start`` (the day of receipt is day 0, the next working day day 1)."""
    current = start
    for _ in range(days):
        current = hours.next_working_day(current)
    return current


def one_calendar_month_after(start: date) -> date:
    """The same day next month, or that month's last day when it has none (31 January → 28/29 February)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _bank_holidays_of(case: Case) -> str:
    version = case.policy_version if case.policy_version_id else policy.current()
    return version.bank_holidays


def due_on_for(enquiry: Enquiry) -> date | None:
    """The enquiry's legal deadline: FOI 20 working days (plus the days paused), subject access one month."""
    if enquiry.kind == EnquiryKind.FOI:
        hours = statutory_calendar(_bank_holidays_of(enquiry.case))
        return working_days_after(enquiry.received_on, FOI_WORKING_DAYS + enquiry.paused_working_days, hours)
    if enquiry.kind == EnquiryKind.SUBJECT_ACCESS:
        return one_calendar_month_after(enquiry.received_on)
    return None


def _one_line(value: str) -> str:
    """A name or reference on one line (it goes into an email's subject): runs of spaces and line ends
    become one space."""
    return " ".join(clean_text(value or "").split())


# --- recording --------------------------------------------------------------------------------------


def _validate(
    *, kind: str, received_on: date | None, requester_name: str, correspondence_address: str, description: str, case
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in EnquiryKind.values:
        errors["kind"] = "Choose what kind of enquiry it is."
    if received_on is None:
        errors["received_on"] = "Give the date the request was received."
    elif received_on > timezone.localdate(clock.now()):
        errors["received_on"] = "The date received cannot be in the future."
    elif case is not None and received_on < timezone.localdate(case.recorded_at) - timedelta(days=366):
        errors["received_on"] = "The date received is more than a year before the case was recorded."
    if len(requester_name) > NAME_MAX:
        errors["requester_name"] = f"The name must be {NAME_MAX} characters or fewer."
    if len(correspondence_address) > LONG_MAX:
        errors["correspondence_address"] = f"The address must be {LONG_MAX:,} characters or fewer."
    if len(description) > LONG_MAX:
        errors["description"] = f"The description must be {LONG_MAX:,} characters or fewer."
    if kind == EnquiryKind.FOI:
        if not requester_name:
            errors["requester_name"] = (
                "A Freedom of Information request is accepted only from an identified person: give their name."
            )
        if not correspondence_address:
            errors["correspondence_address"] = (
                "A Freedom of Information request needs an address for correspondence: give an email or postal address."
            )
        if not description:
            errors["description"] = (
                "A Freedom of Information request needs a clear description of the information requested."
            )
    elif kind == EnquiryKind.CONSULTATION and not requester_name:
        errors["requester_name"] = "Consultation comments are accepted only from an identified person: give their name."
    return errors


def enquiry_record(
    *,
    actor: AbstractBaseUser,
    case: Case,
    kind: str,
    received_on: date | None,
    requester_name: str = "",
    correspondence_address: str = "",
    description: str = "",
) -> Enquiry:
    """Turn a case into an enquiry of ``kind``, with its deadline and its timeline event."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record enquiries")
    requester_name = _one_line(requester_name)
    correspondence_address = clean_text(correspondence_address or "").strip()
    description = clean_text(description or "").strip()
    errors = _validate(
        kind=kind,
        received_on=received_on,
        requester_name=requester_name,
        correspondence_address=correspondence_address,
        description=description,
        case=case,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if Enquiry.objects.filter(case=case).exists():
            raise conflict("This case is already an enquiry.")
        enquiry = Enquiry(
            case=case,
            kind=kind,
            received_on=received_on,
            requester_name=requester_name,
            correspondence_address=correspondence_address,
            description=description,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        enquiry.due_on = due_on_for(enquiry)
        enquiry.save()
        record_event(
            case=case,
            kind=EventKind.ENQUIRY_RECORDED,
            actor=actor,
            subject=enquiry,
            after={
                "kind": kind,
                "received_on": received_on.isoformat(),
                "due_on": enquiry.due_on.isoformat() if enquiry.due_on else None,
            },
        )
    return enquiry


def enquiry_record_from_post(
    *,
    actor: AbstractBaseUser,
    post: Post,
    kind: str,
    received_on: date | None,
    requester_name: str = "",
    correspondence_address: str = "",
    description: str = "",
) -> Enquiry:
    """Record a post as an enquiry: its case if it has one, otherwise a new case for it (no rule broken)."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record enquiries")
    require_perm(actor, routing.PERM_RECORD_CASE, "record cases")
    fields = {
        "kind": kind,
        "received_on": received_on,
        "requester_name": requester_name,
        "correspondence_address": correspondence_address,
        "description": description,
    }
    if post.case_id is not None:
        return enquiry_record(actor=actor, case=post.case, **fields)
    errors = _validate(
        kind=kind,
        received_on=received_on,
        requester_name=_one_line(requester_name),
        correspondence_address=clean_text(correspondence_address or "").strip(),
        description=clean_text(description or "").strip(),
        case=None,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("account", "channel").get(pk=post.pk)
        if post.case_id is not None:
            raise conflict("This post was recorded in a case meanwhile: open the case to record the enquiry.")
        version = policy.current()
        now = clock.now()
        case = Case(
            account=post.account,
            channel=post.channel,
            reason=f"{EnquiryKind(kind).label} received on {post.channel}.",
            priority=Priority.NORMAL,
            recorded_by=actor,
            recorded_at=now,
            response_due_at=due_after(now, version.first_response_working_days),
            policy_version=version if version.pk else None,
        )
        case.save()
        post.case = case
        post.save(update_fields=["case"])
        record_event(
            case=case,
            kind=EventKind.CASE_RECORDED,
            actor=actor,
            subject=case,
            after={"account": str(post.account), "rules": [], "posts": [post.pk], "enquiry": kind},
            note=case.reason,
        )
        return enquiry_record(actor=actor, case=case, **fields)


# --- the clock: clarify, reply, signpost ----------------------------------------------------------


def _locked(enquiry: Enquiry) -> Enquiry:
    return Enquiry.objects.select_for_update(of=("self",)).select_related("case__policy_version").get(pk=enquiry.pk)


def _require_open(enquiry: Enquiry) -> None:
    if enquiry.status == EnquiryStatus.ANSWERED:
        raise conflict("This enquiry has been answered: nothing more can be recorded on it.")


def _step_checked(enquiry: Enquiry, field: str, day: date | None, note: str, *, missing: str, noun: str) -> str:
    """A step's date (given, not in the future, not before receipt) and its note (cleaned, not too
    long), refused together with a message on each field; returns the cleaned note."""
    note = clean_text(note or "").strip()
    errors = {}
    if day is None:
        errors[field] = missing
    elif day > timezone.localdate(clock.now()):
        errors[field] = f"{noun} cannot be in the future."
    elif day < enquiry.received_on:
        errors[field] = f"{noun} cannot be before the request was received."
    if len(note) > LONG_MAX:
        errors["note"] = f"The note must be {LONG_MAX:,} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return note


def enquiry_ask_to_clarify(
    *, actor: AbstractBaseUser, enquiry: Enquiry, asked_on: date | None, note: str = ""
) -> Enquiry:
    """Ask the requester to clarify: the clock pauses from ``asked_on`` until they reply."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record enquiries")
    note = _step_checked(
        enquiry, "asked_on", asked_on, note, missing="Give the date you asked them to clarify.", noun="The date asked"
    )
    with transaction.atomic():
        enquiry = _locked(enquiry)
        _require_open(enquiry)
        if enquiry.clarification_asked_on is not None:
            raise conflict("The clock is already paused: record their reply first.")
        enquiry.clarification_asked_on = asked_on
        enquiry.status = EnquiryStatus.CLARIFYING
        enquiry.save(update_fields=["clarification_asked_on", "status"])
        record_event(
            case=enquiry.case_id,
            kind=EventKind.ENQUIRY_CLARIFICATION_ASKED,
            actor=actor,
            subject=enquiry,
            after={"asked_on": asked_on.isoformat()},
            note=note,
        )
    return enquiry


def enquiry_clarified(*, actor: AbstractBaseUser, enquiry: Enquiry, replied_on: date | None, note: str = "") -> Enquiry:
    """They clarified: the clock restarts, and the deadline moves by the working days it was paused."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record enquiries")
    note = clean_text(note or "").strip()
    with transaction.atomic():
        enquiry = _locked(enquiry)
        _require_open(enquiry)
        asked_on = enquiry.clarification_asked_on
        if asked_on is None:
            raise conflict("The clock is not paused: nobody was asked to clarify.")
        errors = {}
        if replied_on is None:
            errors["replied_on"] = "Give the date they replied."
        elif replied_on > timezone.localdate(clock.now()):
            errors["replied_on"] = "The date they replied cannot be in the future."
        elif replied_on < asked_on:
            errors["replied_on"] = f"The date they replied cannot be before you asked ({say_date(asked_on)})."
        if len(note) > LONG_MAX:
            errors["note"] = f"The note must be {LONG_MAX:,} characters or fewer."
        if errors:
            raise ValidationError(errors)
        hours = statutory_calendar(_bank_holidays_of(enquiry.case))
        paused = hours.working_days_in(asked_on + timedelta(days=1), replied_on)
        before = enquiry.due_on
        enquiry.paused_working_days += paused
        enquiry.clarification_asked_on = None
        enquiry.status = EnquiryStatus.HANDED_ON if enquiry.handed_on_at else EnquiryStatus.OPEN
        enquiry.due_on = due_on_for(enquiry)
        enquiry.save(update_fields=["paused_working_days", "clarification_asked_on", "status", "due_on"])
        record_event(
            case=enquiry.case_id,
            kind=EventKind.ENQUIRY_CLARIFIED,
            actor=actor,
            subject=enquiry,
            before={"due_on": before.isoformat() if before else None},
            after={
                "replied_on": replied_on.isoformat(),
                "paused_working_days": paused,
                "due_on": enquiry.due_on.isoformat() if enquiry.due_on else None,
            },
            note=note,
        )
    return enquiry


def enquiry_reply_record(
    *,
    actor: AbstractBaseUser,
    enquiry: Enquiry,
    reply: str,
    text: str = "",
    full_answer_by: date | None = None,
    url: str = "",
) -> Enquiry:
    """Record a reply, a holding reply ("we'll answer fully by …") or a signpost: it stops the
    first-response clock. A signpost on a complaint is the signposting Hart's policy asks for."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record replies to enquiries")
    text = clean_text(text or "").strip()
    errors = {}
    if reply not in REPLY_KINDS:
        errors["reply"] = "Choose a reply, a holding reply or a signpost."
    if len(text) > LONG_MAX:
        errors["text"] = f"The reply must be {LONG_MAX:,} characters or fewer."
    if reply == "holding":
        if full_answer_by is None:
            errors["full_answer_by"] = "A holding reply says when they will get a full answer: give the date."
        elif full_answer_by < timezone.localdate(clock.now()):
            errors["full_answer_by"] = "The date of the full answer cannot be in the past."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enquiry = _locked(enquiry)
        _require_open(enquiry)
        after: dict = {"reply": reply}
        if text:
            after["text"] = text
        if url:
            after["url"] = url
        if reply == "holding":
            after["full_answer_by"] = full_answer_by.isoformat()
        if reply == "signpost" and enquiry.signposted_at is None:
            enquiry.signposted_at = clock.now()
            enquiry.save(update_fields=["signposted_at"])
        record_event(case=enquiry.case_id, kind=REPLY_KINDS[reply], actor=actor, subject=enquiry, after=after)
    return enquiry


# --- handing on and the answer ---------------------------------------------------------------------


def enquiry_hand_on(
    *, actor: AbstractBaseUser, enquiry: Enquiry, team: str, email: str = "", reference: str = "", note: str = ""
) -> Enquiry:
    """Hand the enquiry on to the team that owns it; its email, if given, is told once this commits."""
    require_perm(actor, routing.PERM_MODERATE_POST, "hand enquiries on")
    team = _one_line(team)
    email = clean_text(email or "").strip()
    reference = _one_line(reference)
    note = clean_text(note or "").strip()
    errors = {}
    if not team:
        errors["team"] = "Name the team it is handed on to."
    elif len(team) > TEXT_MAX:
        errors["team"] = f"The team's name must be {TEXT_MAX} characters or fewer."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter the team's email address in the correct format, like foi@example.gov.uk."
    if len(reference) > TEXT_MAX:
        errors["reference"] = f"The reference must be {TEXT_MAX} characters or fewer."
    if len(note) > LONG_MAX:
        errors["note"] = f"The note must be {LONG_MAX:,} characters or fewer."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enquiry = _locked(enquiry)
        _require_open(enquiry)
        now = clock.now()
        enquiry.handed_to_team = team
        enquiry.handed_to_email = email
        enquiry.handed_reference = reference
        enquiry.handed_on_at = now
        if enquiry.status == EnquiryStatus.OPEN:
            enquiry.status = EnquiryStatus.HANDED_ON
        enquiry.save(update_fields=["handed_to_team", "handed_to_email", "handed_reference", "handed_on_at", "status"])
        event = record_event(
            case=enquiry.case_id,
            kind=EventKind.ENQUIRY_HANDED_ON,
            actor=actor,
            subject=enquiry,
            after={"team": team, "email": email, "reference": reference},
            note=note,
        )
        if email:
            outbox_add(
                key=f"enquiry-handed-on-{event.pk}",
                kind="enquiry_handed_on",
                subject=_handed_on_subject(enquiry),
                body=_handed_on_body(enquiry, note),
                recipients=[email],
                case_id=enquiry.case_id,
            )
    return enquiry


def _handed_on_subject(enquiry: Enquiry) -> str:
    reference = f" (your reference {enquiry.handed_reference})" if enquiry.handed_reference else ""
    return f"{enquiry.get_kind_display()} handed on to {enquiry.handed_to_team}{reference}"


def _handed_on_body(enquiry: Enquiry, note: str) -> str:
    version = policy.current()
    lines = [
        f"{version.organisation_name}'s social media team has handed on a {enquiry.get_kind_display().lower()} "
        f"to {enquiry.handed_to_team}.",
        "",
        f"Received: {say_date(enquiry.received_on)}",
    ]
    if enquiry.due_on:
        lines.append(f"Answer due by: {say_date(enquiry.due_on)}")
    if enquiry.handed_reference:
        lines.append(f"Reference: {enquiry.handed_reference}")
    if enquiry.requester_name:
        lines.append(f"From: {enquiry.requester_name}")
    if enquiry.correspondence_address:
        lines.append(f"Address for correspondence: {enquiry.correspondence_address}")
    if enquiry.description:
        lines += ["", "What is asked for:", enquiry.description]
    if note:
        lines += ["", note]
    lines += ["", f"Our case number: {enquiry.case_id}. Please tell the team when it is answered."]
    return "\n".join(lines)


def enquiry_answered(
    *, actor: AbstractBaseUser, enquiry: Enquiry, answered_on: date | None, note: str = "", close_case: bool = False
) -> Enquiry:
    """The owning team answered (handed on or not): the enquiry is closed with the date of its answer.

    ``close_case``: the case closes with it, in the same transaction, when nothing else keeps it open
    (``answered_case_close``: its outcome is what was done on the case, "Enquiry answered" when no
    moderation action was taken). What kept it open, if anything, is left on the returned enquiry as
    ``case_kept_open`` (empty when it closed or was not asked to)."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record enquiries")
    note = _step_checked(
        enquiry, "answered_on", answered_on, note, missing="Give the date it was answered.", noun="The date answered"
    )
    with transaction.atomic():
        enquiry = _locked(enquiry)
        _require_open(enquiry)
        enquiry.answered_on = answered_on
        enquiry.status = EnquiryStatus.ANSWERED
        enquiry.clarification_asked_on = None
        enquiry.save(update_fields=["answered_on", "status", "clarification_asked_on"])
        record_event(
            case=enquiry.case_id,
            kind=EventKind.ENQUIRY_ANSWERED,
            actor=actor,
            subject=enquiry,
            after={
                "answered_on": answered_on.isoformat(),
                "due_on": enquiry.due_on.isoformat() if enquiry.due_on else None,
                "late": bool(enquiry.due_on and answered_on > enquiry.due_on),
            },
            note=note,
        )
        enquiry.case_kept_open = answered_case_close(actor=actor, case=enquiry.case) if close_case else ""
    return enquiry


# Moderation actions on the case, the most serious first: the outcome a case closes with.
ACTION_OUTCOMES = (
    ((EventKind.BLOCK_APPROVED, EventKind.BLOCK_IMMEDIATE), CaseOutcome.BLOCKED),
    ((EventKind.CHANNEL_BAN,), CaseOutcome.BANNED_FROM_CHANNEL),
    ((EventKind.WARNING_SENT,), CaseOutcome.WARNED),
)


def answered_outcome(case: Case) -> str:
    """The outcome of an answered enquiry's case: the most serious moderation action taken on it (a
    block, a ban, a warning sent, a post still hidden or deleted), else "Enquiry answered"."""
    actions = [kind for group, _ in ACTION_OUTCOMES for kind in group]
    kinds = set(case.events.filter(kind__in=actions).values_list("kind", flat=True))
    for group, outcome in ACTION_OUTCOMES:
        if kinds & set(group):
            return outcome
    if case.posts.filter(visibility__in=[Visibility.HIDDEN, Visibility.DELETED]).exists():
        return CaseOutcome.POST_REMOVED
    return CaseOutcome.ENQUIRY_ANSWERED


def answered_case_close(*, actor: AbstractBaseUser, case: Case) -> str:
    """Close an answered enquiry's case (``case_close``, its event) unless something keeps it open.
    Returns what kept it open, or "" (closed, or already closed). In the caller's transaction."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.CLOSED:
        return ""
    if not routing.holds(actor, routing.PERM_MANAGE_CASE):
        return "Your role does not close cases: ask a colleague to close it."
    if case.signoffs.filter(status="pending").exists():
        return "A sign-off on the case waits for a decision: close the case once it is decided."
    if case.safeguarding_at is not None and case.safeguarding_decided_at is None:
        return "It is a safeguarding case waiting for a lead's decision: close it once they have recorded it."
    case_close(actor=actor, case=case, outcome=answered_outcome(case), note="Closed with the enquiry's answer.")
    return ""


# --- saved replies ---------------------------------------------------------------------------------

SAVED_REPLIES = {
    EnquiryKind.FOI: (
        "foi_url",
        "Thank you for your request. We can handle it under the Freedom of Information Act if you send us "
        "your name, an address for correspondence and a clear description of the information you want. "
        "You can find out how on our Freedom of Information page: {url}",
    ),
    EnquiryKind.SUBJECT_ACCESS: (
        "privacy_notice_url",
        "Please don't share personal details here. You can ask for the personal information we hold about "
        "you (a subject access request) as our privacy notice explains: {url}",
    ),
    EnquiryKind.COMPLAINT: (
        "complaints_url",
        "We're sorry to hear this. Social media is not a replacement for our formal complaints procedure: "
        "please make your complaint through our feedback and complaints page, so it is handled properly: {url}",
    ),
    EnquiryKind.CONSULTATION: (
        "contact_url",
        "Thank you for your comments. We take consultation comments on social media from an identified "
        "person; the formal way to respond is here: {url}",
    ),
    EnquiryKind.SERVICE_REQUEST: (
        "contact_url",
        "Thank you. The quickest way to get this sorted is through our website, where the right team will "
        "pick it up: {url}",
    ),
    EnquiryKind.QUESTION: (
        "contact_url",
        "Thank you for your question. You can find the answer, or the best way to reach the right team, here: {url}",
    ),
}
URL_LABELS = {
    "foi_url": "Freedom of information page URL",
    "privacy_notice_url": "Privacy notice URL",
    "complaints_url": "Complaints page URL",
    "contact_url": "Contact page URL",
}


def saved_reply(kind: str, version=None) -> dict:
    """The reply to copy for an enquiry of ``kind``, from the policy's signposting URLs.

    ``{"text": …, "url": …}``, or ``{"missing": "Complaints page URL"}`` when the policy has no such
    page (a subject access reply falls back to the contact page).
    """
    version = version or policy.current()
    field, template = SAVED_REPLIES[EnquiryKind(kind)]
    url = getattr(version, field, "")
    if not url and field == "privacy_notice_url":
        url = version.contact_url
    if not url:
        return {"missing": URL_LABELS[field]}
    return {"text": template.format(url=url), "url": url}


def describe(kind: str, after: dict) -> str:
    """The timeline's line for an enquiry event."""

    def day(key: str) -> str:
        try:
            return say_date(date.fromisoformat(after[key]))
        except (KeyError, TypeError, ValueError):
            return ""

    if kind == EventKind.ENQUIRY_RECORDED:
        label = EnquiryKind(after["kind"]).label if after.get("kind") in EnquiryKind.values else "Enquiry"
        due = f", answer due by {day('due_on')}" if after.get("due_on") else ""
        return f"{label}, received {day('received_on')}{due}"
    if kind == EventKind.ENQUIRY_HANDED_ON:
        parts = [f"To {after.get('team', '')}"]
        if after.get("reference"):
            parts.append(f"reference {after['reference']}")
        if after.get("email"):
            parts.append(f"emailed to {after['email']}")
        return ", ".join(parts)
    if kind == EventKind.ENQUIRY_HOLDING_REPLY:
        return f"Full answer promised by {day('full_answer_by')}"
    if kind == EventKind.ENQUIRY_CLARIFIED:
        return f"Paused {after.get('paused_working_days', 0)} working day(s); answer now due by {day('due_on')}"
    if kind == EventKind.ENQUIRY_ANSWERED:
        return f"Answered {day('answered_on')}" + (" (after its deadline)" if after.get("late") else "")
    if kind == EventKind.ENQUIRY_SIGNPOSTED and after.get("url"):
        return f"To {after['url']}"
    return ""
