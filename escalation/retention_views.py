"""Legal holds on an account or a case, and erasure of an account's personal data (issue 14).

Both pages are for the roles holding the permission (``policy.roles.PERM_LEGAL_HOLD``,
``PERM_ERASE``: the Communications manager); anyone else gets the 403 page. They change state only
through the services (``moderation.holds``, ``escalation.retention``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from escalation import retention, routing
from escalation.forms import EraseForm, LegalHoldForm
from moderation import holds
from moderation.forms import apply_service_errors
from moderation.models import Case, SocialAccount


def _require(user, perm: str, what: str) -> None:
    if not routing.holds(user, perm):
        raise PermissionDenied(f"Only a manager can {what}.")


def _legal_hold(request, obj, *, place, lift, back: str, what: str):
    _require(request.user, routing.PERM_LEGAL_HOLD, "place or lift a legal hold")
    placing = obj.legal_hold_at is None
    form = LegalHoldForm(request.POST if request.method == "POST" else None, placing=placing)
    if request.method == "POST" and form.is_valid():
        try:
            (place if placing else lift)(request.user, obj, form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"The legal hold on {what} is on: nothing about it will be erased or purged until it is lifted."
                if placing
                else f"The legal hold on {what} is lifted.",
            )
            return redirect(back)
    return render(
        request,
        "escalation/legal_hold.html",
        {"obj": obj, "form": form, "placing": placing, "back": back, "what": what},
    )


@login_required
def account_legal_hold(request, pk: int):
    """Place or lift the legal hold on an account (all its records)."""
    account = get_object_or_404(SocialAccount.objects.select_related("legal_hold_by"), pk=pk)
    return _legal_hold(
        request,
        account,
        place=lambda actor, obj, reason: holds.account_legal_hold_place(actor=actor, account=obj, reason=reason),
        lift=lambda actor, obj, reason: holds.account_legal_hold_lift(actor=actor, account=obj, reason=reason),
        back=reverse("moderation:account_detail", args=[account.pk]),
        what=f"@{account.handle}",
    )


@login_required
def case_legal_hold(request, pk: int):
    """Place or lift the legal hold on one case."""
    case = get_object_or_404(Case.objects.select_related("legal_hold_by"), pk=pk)
    routing.require_case_reader(request.user, case)
    return _legal_hold(
        request,
        case,
        place=lambda actor, obj, reason: holds.case_legal_hold_place(actor=actor, case=obj, reason=reason),
        lift=lambda actor, obj, reason: holds.case_legal_hold_lift(actor=actor, case=obj, reason=reason),
        back=reverse("moderation:case_detail", args=[case.pk]),
        what=f"case {case.pk}",
    )


@login_required
def account_erase(request, pk: int):
    """Confirm, then erase the account's personal data; refused (saying why) while a legal hold is on or
    an appeal is waiting for its decision."""
    _require(request.user, routing.PERM_ERASE, "erase an account's personal data")
    account = get_object_or_404(SocialAccount, pk=pk)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            summary = retention.account_erase(actor=request.user, account=account)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            removed = sum(summary.values())
            messages.success(
                request,
                f"The personal data of @{account.handle} is erased: {retention.say_removed(summary)}. "
                "The decision record is kept."
                if removed
                else f"Nothing more to erase: the personal data of @{account.handle} was erased before.",
            )
            return redirect("moderation:account_detail", account.pk)
    return render(
        request,
        "escalation/account_erase.html",
        {
            "account": account,
            "form": form,
            "held": retention.holds_on(account),
            "waiting": retention.appeals_waiting(account),
        },
    )
