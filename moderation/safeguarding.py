"""Safeguarding cases (Cafcass, HMPPS, Hart): marking a case, alerting its leads, recording the lead's
decision, and the hold on the ordinary ladder until that decision.

- A case is **marked** when it is recorded under a house rule marked safeguarding (``case_record``
  calls ``safeguarding_mark`` in its own transaction), or by any member of the team at any point, with
  a reason (``case_mark_safeguarding``). Marking is for good: a case is never unmarked.
- Marking **alerts every active safeguarding lead at once**, by email, whatever the hour or the day:
  one outbox row per lead (``safeguarding-alert:<case>:<user>``), sent when the transaction commits
  (``moderation.outbox``), and one timeline event naming the leads.
- The lead's decision is due ``PolicyVersion.safeguarding_response_hours`` **clock hours** after the
  marking (every hour of every day: not the working calendar).
- Until a lead **records the decision** (``safeguarding_referral_record``: a referral to an agency with
  its reference, who referred and when, or no referral with the reason; what the person was signposted
  to), the ordinary ladder (warnings, blocks, channel bans) is refused: ``require_no_safeguarding_hold``.
- From the marking on, only safeguarding leads read the posts' text and the case's reason
  (``policy.roles.can_read_case_text``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from moderation import clock, intake
from moderation.constants import EventKind, SafeguardingAgency
from moderation.events import actor_label, record_event
from moderation.models import Case, HouseRule, SafeguardingReferral
from policy import roles as routing
from policy import services as policy

ALERT_KIND = "safeguarding_alert"
MAX_SIGNPOST = 2000
MAX_REASON = 4000


def _text(value: str) -> str:
    return intake.free_text(value or "").strip()


def safeguarding_leads():
    """The active safeguarding leads (superusers configure and never lead: ``routing.holds``)."""
    return routing.holders_of(routing.PERM_SAFEGUARDING_LEAD).filter(is_superuser=False).order_by("pk")


def require_no_safeguarding_hold(case: Case, action: str) -> None:
    """Refuse an ordinary ladder step on a safeguarding case no lead has decided yet (conflict)."""
    fresh = Case.objects.filter(pk=case.pk).values("safeguarding_at", "safeguarding_decided_at").first()
    if fresh and fresh["safeguarding_at"] is not None and fresh["safeguarding_decided_at"] is None:
        raise ValidationError(
            f"This is a safeguarding case: you cannot {action} until a safeguarding lead has recorded their decision.",
            code="conflict",
        )


def safeguarding_mark(*, actor: AbstractBaseUser, case: Case, reason: str, now: datetime | None = None) -> bool:
    """Mark ``case`` (locked by the caller, in its transaction) safeguarding: stamp it, write the
    event, alert the leads. Returns False when it already was (nothing changes)."""
    if case.safeguarding_at is not None:
        return False
    now = now or clock.now()
    hours = policy.current().safeguarding_response_hours
    case.safeguarding_at = now
    case.safeguarding_by = actor
    case.safeguarding_reason = reason
    case.safeguarding_due_at = now + timedelta(hours=hours)
    case.save(update_fields=["safeguarding_at", "safeguarding_by", "safeguarding_reason", "safeguarding_due_at"])
    record_event(
        case=case,
        kind=EventKind.SAFEGUARDING_MARKED,
        actor=actor,
        subject=case,
        before={"safeguarding": False},
        after={"safeguarding": True, "decision_due_at": case.safeguarding_due_at.isoformat(), "hours": hours},
        note=reason,
    )
    _alert_leads(case, actor=actor)
    return True


def _alert_leads(case: Case, *, actor: AbstractBaseUser) -> None:
    """One email to each active lead with an address, written now and sent when the transaction
    commits (any hour, any day), and one timeline event naming who was alerted. The email holds no
    post text: it names the case and links to it."""
    from moderation.outbox import outbox_add  # outbox imports services, which import this module

    leads = [lead for lead in safeguarding_leads() if lead.email]
    version = policy.current()
    context = {
        "case": case,
        "organisation": version.organisation_name,
        "marked_by": actor_label(actor),
        "path": reverse("moderation:case_detail", args=[case.pk]),
        "hours": version.safeguarding_response_hours,
    }
    subject, _, body = render_to_string("moderation/email/safeguarding_alert.txt", context).strip().partition("\n")
    for lead in leads:
        outbox_add(
            key=f"safeguarding-alert:{case.pk}:{lead.pk}",
            kind=ALERT_KIND,
            subject=subject.strip(),
            body=body.strip() + "\n",
            recipients=[lead.email],
            case_id=case.pk,
        )
    record_event(
        case=case,
        kind=EventKind.SAFEGUARDING_LEADS_ALERTED,
        actor=None,
        subject=case,
        after={"leads": [actor_label(lead) for lead in leads], "emails": [lead.email for lead in leads]},
        note=(
            "Alerted by email: " + ", ".join(actor_label(lead) for lead in leads)
            if leads
            else "No safeguarding lead with an email address to alert: name one in the admin."
        ),
    )


def safeguarding_rules(rules: list[HouseRule]) -> list[HouseRule]:
    return [rule for rule in rules if rule.safeguarding]


@transaction.atomic
def case_mark_safeguarding(*, actor: AbstractBaseUser, case: Case, reason: str) -> Case:
    """Any member of the team marks a case safeguarding, at any point, with a reason (open or closed:
    a concern found later still goes to the leads). Already marked: returned as it is.
    Raises PermissionDenied, ValidationError."""
    if not routing.holds(actor, routing.PERM_RECORD_CASE):
        raise PermissionDenied("Your role does not allow you to mark a case as safeguarding.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.safeguarding_at is not None:
        return case
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why this is a safeguarding concern (do not copy the post's text)."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason to {MAX_REASON} characters or fewer."})
    safeguarding_mark(actor=actor, case=case, reason=reason)
    return case


@transaction.atomic
def safeguarding_referral_record(
    *,
    actor: AbstractBaseUser,
    case: Case,
    agency: str,
    reference: str = "",
    referred_by: str = "",
    referred_at: datetime | None = None,
    no_referral_reason: str = "",
    signposted_to: str = "",
) -> SafeguardingReferral:
    """A safeguarding lead records their decision on a safeguarding case: the referral (agency,
    reference, who referred and when; when defaults to now) or that none is needed (with the reason),
    and what the person was signposted to. The first decision lifts the hold on the ordinary ladder and
    stops the safeguarding clock; a later one (a second agency) is added to the case.
    Raises PermissionDenied (not a lead), ValidationError (field errors; conflict when not marked)."""
    if not routing.is_safeguarding_lead(actor):
        raise PermissionDenied("Only a safeguarding lead records the safeguarding decision.")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.safeguarding_at is None:
        raise ValidationError("This case is not a safeguarding case: mark it first.", code="conflict")
    now = clock.now()
    errors: dict[str, str] = {}
    reference, referred_by = _text(reference), _text(referred_by)
    no_referral_reason, signposted_to = _text(no_referral_reason), _text(signposted_to)
    if agency not in SafeguardingAgency.values:
        errors["agency"] = "Choose where the case was referred, or that no referral is needed."
    elif agency == SafeguardingAgency.NONE:
        if not no_referral_reason:
            errors["no_referral_reason"] = "Say why no referral is needed."
        reference, referred_by, referred_at = "", "", None
    else:
        if not reference:
            errors["reference"] = "Enter the reference the agency gave (an incident, crime or referral number)."
        elif len(reference) > 100:
            errors["reference"] = "The reference must be 100 characters or fewer."
        if not referred_by:
            errors["referred_by"] = "Enter who made the referral."
        elif len(referred_by) > 200:
            errors["referred_by"] = "The name must be 200 characters or fewer."
        referred_at = referred_at or now
        if referred_at > now + timedelta(minutes=5):
            errors["referred_at"] = "The referral cannot be in the future."
        elif referred_at < case.recorded_at - timedelta(days=1):
            errors["referred_at"] = "The referral cannot be before the case was recorded."
        no_referral_reason = ""
    if len(signposted_to) > MAX_SIGNPOST:
        errors["signposted_to"] = f"Keep what the person was signposted to to {MAX_SIGNPOST} characters or fewer."
    if len(no_referral_reason) > MAX_REASON:
        errors["no_referral_reason"] = f"Keep the reason to {MAX_REASON} characters or fewer."
    if errors:
        raise ValidationError(errors)
    referral = SafeguardingReferral(
        case=case,
        agency=agency,
        reference=reference,
        referred_by=referred_by,
        referred_at=referred_at,
        no_referral_reason=no_referral_reason,
        signposted_to=signposted_to,
        recorded_by=actor,
        recorded_at=now,
    )
    referral.full_clean()
    referral.save()
    first = case.safeguarding_decided_at is None
    if first:
        case.safeguarding_decided_at = now
        case.save(update_fields=["safeguarding_decided_at"])
    record_event(
        case=case,
        kind=EventKind.SAFEGUARDING_REFERRAL,
        actor=actor,
        subject=referral,
        before={"decided": not first},
        after={
            "agency": agency,
            "reference": reference,
            "referred_by": referred_by,
            "referred_at": referred_at.isoformat() if referred_at else None,
            "signposted_to": signposted_to,
            "on_time": now <= case.safeguarding_due_at,
        },
        note=no_referral_reason or str(referral),
    )
    return referral
