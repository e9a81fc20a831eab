"""Safeguarding pages (issue 12): mark a case as safeguarding (any member of the team), and record a
safeguarding lead's decision (the referral). They read through the case and change state only through
``moderation.safeguarding``'s services; a refusal comes back as form errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from escalation import routing
from escalation.forms import SafeguardingMarkForm, SafeguardingReferralForm
from moderation import safeguarding
from moderation.forms import apply_service_errors
from moderation.models import Case


def _case(pk: int) -> Case:
    return get_object_or_404(Case.objects.select_related("account", "channel", "safeguarding_by"), pk=pk)


@login_required
def safeguarding_mark(request, case_pk: int):
    """Mark the case as safeguarding, with a reason; the leads are alerted at once."""
    if not routing.holds(request.user, routing.PERM_RECORD_CASE):
        raise PermissionDenied("Your role does not allow you to mark a case as safeguarding.")
    case = _case(case_pk)
    if case.safeguarding_at is not None:
        messages.info(request, f"Case {case.pk} is already a safeguarding case.")
        return redirect("moderation:case_detail", case.pk)
    form = SafeguardingMarkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            safeguarding.case_mark_safeguarding(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            leads = safeguarding.safeguarding_leads().exclude(email="").count()
            messages.success(
                request,
                f"Case {case.pk} is now a safeguarding case. "
                + (
                    f"{leads} safeguarding lead{'s' if leads != 1 else ''} alerted by email."
                    if leads
                    else "No safeguarding lead has an email address: tell one now."
                ),
            )
            return redirect("moderation:case_detail", case.pk)
    return render(request, "escalation/safeguarding_mark.html", {"case": case, "form": form})


@login_required
def safeguarding_referral(request, case_pk: int):
    """A safeguarding lead records the decision: the referral made, or none needed and why."""
    if not routing.is_safeguarding_lead(request.user):
        raise PermissionDenied("Only a safeguarding lead records the safeguarding decision.")
    case = _case(case_pk)
    if case.safeguarding_at is None:
        messages.error(request, f"Case {case.pk} is not a safeguarding case: mark it first.")
        return redirect("moderation:case_detail", case.pk)
    form = SafeguardingReferralForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = safeguarding.safeguarding_referral_record(
                actor=request.user,
                case=case,
                agency=data["agency"],
                reference=data["reference"],
                referred_by=data["referred_by"],
                referred_at=form.referred_at(),
                no_referral_reason=data["no_referral_reason"],
                signposted_to=data["signposted_to"],
            )
        except ValidationError as error:
            apply_service_errors(form, error, aliases={"referred_at": "referred_on"})
        else:
            messages.success(request, f"Safeguarding decision recorded on case {case.pk}: {referral}.")
            return redirect("moderation:case_detail", case.pk)
    referrals = list(case.safeguarding_referrals.select_related("recorded_by"))
    return render(
        request,
        "escalation/safeguarding_referral.html",
        {"case": case, "form": form, "referrals": referrals},
    )
