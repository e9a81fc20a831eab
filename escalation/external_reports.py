"""Reports to the platform or to another agency (HMCTS, Hart, HMPPS): a recorded action with a reference.

The police have their own record and notice (``services.police_report_record``); a safeguarding
referral has its own (``moderation.safeguarding``, where present). This is the rest: the platform's own
reporting tools, and bodies such as Ofcom or Action Fraud.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from escalation import routing
from escalation.models import ExternalReport, ReportedTo
from moderation import clock
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import Case
from moderation.services import clean_text, require_perm
from policy.dates import say_date

EVENT_KIND = {ReportedTo.PLATFORM: EventKind.PLATFORM_REPORTED, ReportedTo.AGENCY: EventKind.AGENCY_REPORTED}
TEXT_MAX = 120
NOTE_MAX = 2000


def external_report_record(
    *,
    actor: AbstractBaseUser,
    case: Case,
    reported_to: str,
    recipient: str,
    reference: str = "",
    reported_on: date | None,
    note: str = "",
) -> ExternalReport:
    """Record that the post or account was reported to the platform or another agency, with its event."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record reports to a platform or agency")
    recipient = clean_text(recipient or "").strip()
    reference = clean_text(reference or "").strip()
    note = clean_text(note or "").strip()
    errors = {}
    if reported_to not in ReportedTo.values:
        errors["reported_to"] = "Choose the platform or another agency."
    if not recipient:
        errors["recipient"] = "Name the platform or agency it was reported to."
    elif len(recipient) > TEXT_MAX:
        errors["recipient"] = f"The name must be {TEXT_MAX} characters or fewer."
    if len(reference) > TEXT_MAX:
        errors["reference"] = f"The reference must be {TEXT_MAX} characters or fewer."
    if len(note) > NOTE_MAX:
        errors["note"] = f"The note must be {NOTE_MAX:,} characters or fewer."
    if reported_on is None:
        errors["reported_on"] = "Give the date it was reported."
    elif reported_on > timezone.localdate(clock.now()):
        errors["reported_on"] = "The date reported cannot be in the future."
    elif reported_on < timezone.localdate(case.recorded_at) - timedelta(days=366):
        errors["reported_on"] = "The date reported is more than a year before the case was recorded."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        report = ExternalReport.objects.create(
            case=case,
            reported_to=reported_to,
            recipient=recipient,
            reference=reference,
            reported_on=reported_on,
            note=note,
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        record_event(
            case=case,
            kind=EVENT_KIND[ReportedTo(reported_to)],
            actor=actor,
            subject=report,
            after={"recipient": recipient, "reference": reference, "reported_on": reported_on.isoformat()},
            note=note,
        )
    return report


def describe(after: dict) -> str:
    """The timeline's line for a report: "Facebook, reference 123, reported 2 December 2026"."""
    parts = [after.get("recipient", "")]
    if after.get("reference"):
        parts.append(f"reference {after['reference']}")
    if after.get("reported_on"):
        try:
            parts.append(f"reported {say_date(date.fromisoformat(after['reported_on']))}")
        except ValueError:
            pass
    return ", ".join(part for part in parts if part)
