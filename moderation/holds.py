"""Legal holds (issue 14): while one is on an account or a case, nothing about it is erased on request
or purged by retention.

A manager (``policy.roles.PERM_LEGAL_HOLD``) places a hold with a reason and lifts it with one. Each is
one transaction writing the timeline: a case's hold an event on the case; an account's hold an event
on each of the account's cases (a ``SocialAccount`` has no timeline of its own, as for subject access
exports), and the account row keeps who placed the hold in force, when and why.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from moderation import clock
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import Case, SocialAccount
from moderation.services import clean_text, require_perm
from policy import roles

MAX_REASON = 2000


def _reason(value: str, what: str) -> str:
    value = clean_text(value or "").strip()
    if not value:
        raise ValidationError({"reason": f"Enter why the legal hold is {what}"})
    if len(value) > MAX_REASON:
        raise ValidationError({"reason": f"The reason must be {MAX_REASON:,} characters or fewer"})
    return value


def _set(row, *, actor, reason: str | None) -> dict:
    before = {"legal_hold": row.legal_hold_at is not None, "reason": row.legal_hold_reason}
    row.legal_hold_reason = reason or ""
    row.legal_hold_at = clock.now() if reason else None
    row.legal_hold_by = actor if reason else None
    # the reason was checked above; the ``*_legal_hold_is_stamped`` check constraints hold the three together
    row.save(update_fields=["legal_hold_reason", "legal_hold_at", "legal_hold_by"])
    return before


@transaction.atomic
def case_legal_hold_place(*, actor: AbstractBaseUser, case: Case, reason: str) -> Case:
    """Put ``case`` on legal hold with ``reason``; one LEGAL_HOLD_PLACED event. Already on hold: returns
    quietly. Raises PermissionDenied, ValidationError (no reason)."""
    require_perm(actor, roles.PERM_LEGAL_HOLD, "place a legal hold")
    reason = _reason(reason, "placed")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.legal_hold_at is not None:
        return case
    before = _set(case, actor=actor, reason=reason)
    record_event(
        case=case, kind=EventKind.LEGAL_HOLD_PLACED, actor=actor, subject=case, before=before,
        after={"legal_hold": True}, note=reason,
    )  # fmt: skip
    return case


@transaction.atomic
def case_legal_hold_lift(*, actor: AbstractBaseUser, case: Case, reason: str) -> Case:
    """Lift ``case``'s legal hold, saying why; one LEGAL_HOLD_LIFTED event. Not on hold: returns
    quietly. Raises PermissionDenied, ValidationError (no reason)."""
    require_perm(actor, roles.PERM_LEGAL_HOLD, "lift a legal hold")
    reason = _reason(reason, "lifted")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.legal_hold_at is None:
        return case
    before = _set(case, actor=actor, reason=None)
    record_event(
        case=case, kind=EventKind.LEGAL_HOLD_LIFTED, actor=actor, subject=case, before=before,
        after={"legal_hold": False}, note=reason,
    )  # fmt: skip
    return case


def _account_events(account: SocialAccount, *, kind: EventKind, actor, before: dict, after: dict, note: str):
    for case in Case.objects.filter(account=account).only("pk").order_by("pk"):
        record_event(case=case, kind=kind, actor=actor, subject=account, before=before, after=after, note=note)


@transaction.atomic
def account_legal_hold_place(*, actor: AbstractBaseUser, account: SocialAccount, reason: str) -> SocialAccount:
    """Put ``account`` (and so all its records) on legal hold with ``reason``; one LEGAL_HOLD_PLACED event
    on each of its cases. Already on hold: returns quietly. Raises PermissionDenied, ValidationError."""
    require_perm(actor, roles.PERM_LEGAL_HOLD, "place a legal hold")
    reason = _reason(reason, "placed")
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    if account.legal_hold_at is not None:
        return account
    before = _set(account, actor=actor, reason=reason)
    _account_events(
        account, kind=EventKind.LEGAL_HOLD_PLACED, actor=actor, before=before,
        after={"legal_hold": True, "on": "account"}, note=reason,
    )  # fmt: skip
    return account


@transaction.atomic
def account_legal_hold_lift(*, actor: AbstractBaseUser, account: SocialAccount, reason: str) -> SocialAccount:
    """Lift ``account``'s legal hold, saying why; one LEGAL_HOLD_LIFTED event on each of its cases. Not
    on hold: returns quietly. Raises PermissionDenied, ValidationError."""
    require_perm(actor, roles.PERM_LEGAL_HOLD, "lift a legal hold")
    reason = _reason(reason, "lifted")
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    if account.legal_hold_at is None:
        return account
    before = _set(account, actor=actor, reason=None)
    _account_events(
        account, kind=EventKind.LEGAL_HOLD_LIFTED, actor=actor, before=before,
        after={"legal_hold": False, "on": "account"}, note=reason,
    )  # fmt: skip
    return account
