"""Who decides what: the routing table of the escalation process, in one place (NHDC defaults).

| decision                   | signed off by                                       | informed          |
|----------------------------|-----------------------------------------------------|-------------------|
| written warning            | Communications Manager or the case's Service Director | —               |
| block                      | Communications Manager (policy ``block_approval``)  | Managing Director |
| immediate block (extreme)  | Communications Manager acts now (``immediate_block``) | Managing Director |
| misinformation channel ban | any communications officer acts now                 | Managing Director |
| appeal / block reversal    | Managing Director                                   | case timeline     |
| police report              | Communications Manager records it                   | Managing Director |

Roles are Django groups; what a role may do is a permission, granted to the groups by the
migration ``escalation/migrations/0002_roles``. Code asks permissions, never group names. The roles,
the permissions and ``holds`` live in the base layer (``policy.roles``); they are imported here so that
``routing.X`` reads as before in ``escalation``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from escalation.constants import SignOffKind
from policy.roles import (  # noqa: F401 (the roles and permissions, read here as routing.X too)
    APPEAL_READERS,
    CASE_READERS,
    GRANTABLE_ROLES,
    MANAGER,
    MANAGING_DIRECTOR,
    OFFICER,
    PERM_ACKNOWLEDGE_BLOCK,
    PERM_APPROVE_BLOCK,
    PERM_CHANNEL_BAN,
    PERM_DECIDE_APPEAL,
    PERM_DECLARE_CRISIS,
    PERM_DRAFT_WARNING,
    PERM_ERASE,
    PERM_IMMEDIATE_BLOCK,
    PERM_IMPORT_POSTS,
    PERM_LEGAL_HOLD,
    PERM_MANAGE_CASE,
    PERM_MODERATE_POST,
    PERM_PROPOSE_BLOCK,
    PERM_READ_REPORTS,
    PERM_RECORD_APPEAL,
    PERM_RECORD_CASE,
    PERM_REPORT_POLICE,
    PERM_SAFEGUARDING_LEAD,
    PERM_SIGNOFF_WARNING_ANY,
    PERM_SIGNOFF_WARNING_AREA,
    REPORTER_WITHHELD,
    RESTRICTED_TEXT,
    ROLE_PERMISSIONS,
    ROLES,
    SAFEGUARDING_LEAD,
    SERVICE_DIRECTOR,
    can_read_accounts,
    can_read_appeals,
    can_read_case,
    can_read_case_text,
    can_read_reporter,
    case_text_for,
    holders_of,
    holds,
    is_safeguarding_lead,
    readable_case_ids,
    reads_every_case,
    require_case_reader,
)
from policy.titles import titles


def signoff_decided_by(kind: str) -> str:
    """Who is asked to decide a sign-off of ``kind``: the role named in the inbox and the chase email,
    in the policy's titles (read now: a new policy version renames them)."""
    t = titles()
    if kind == SignOffKind.WARNING:
        return f"{t.manager} or the case's {t.director}" if directors_sign_off_warnings() else t.manager
    if kind == SignOffKind.BLOCK:
        approval = block_approval()
        if approval == "head":
            return t.head
        return f"{t.manager} or the case's {t.director}" if approval == "manager_or_director" else t.manager
    return t.head


def block_approval() -> str:
    """Who approves a proposed block under the active policy (``policy.models.BlockApproval``):
    "manager" (NHDC), "manager_or_director" or "head"."""
    from policy.services import current

    return current().block_approval


def _directs_area(user, service_area_id: int | None) -> bool:
    """Whether ``user`` is a service director of the area ``service_area_id``."""
    return (
        service_area_id is not None
        and holds(user, PERM_SIGNOFF_WARNING_AREA)
        and user.service_areas.filter(pk=service_area_id).exists()
    )


def may_approve_blocks(user) -> bool:
    """Whether ``user``'s role approves some blocks under the policy (their decisions inbox lists them)."""
    approval = block_approval()
    if approval == "head":
        return holds(user, PERM_DECIDE_APPEAL)
    if approval == "manager_or_director" and holds(user, PERM_SIGNOFF_WARNING_AREA):
        return True
    return holds(user, PERM_APPROVE_BLOCK)


def immediate_block_refusal(user, case) -> str:
    """Why ``user`` may not block ``case``'s account at once under the policy (``immediate_block``), in
    the policy's titles; "" when they may. The one rule the pages, the admin and the service ask."""
    from policy.services import current

    t = titles()
    if user is None or not getattr(user, "is_active", False):
        return "Sign in to block an account."
    setting = current().immediate_block
    if setting == "nobody":
        approver = signoff_decided_by(SignOffKind.BLOCK)
        return f"Our policy lets nobody block at once: propose the block for the {approver}'s approval."
    if holds(user, PERM_IMMEDIATE_BLOCK):
        return ""
    if setting == "zero_tolerance":
        if not holds(user, PERM_PROPOSE_BLOCK):
            return f"Only the {t.manager}, or a {t.officer} under a zero-tolerance rule, may block at once."
        if any(rule.zero_tolerance for rule in case.rules.all()):
            return ""
        return (
            f"A {t.officer} may block at once only when the case cites a zero-tolerance rule: propose the block "
            f"for the {signoff_decided_by(SignOffKind.BLOCK)}'s approval."
        )
    return f"Only the {t.manager} may block at once: propose the block for approval."


def may_block_at_once(user, case) -> bool:
    return not immediate_block_refusal(user, case)


def may_ever_block_at_once(user) -> bool:
    """Whether ``user``'s role may block at once under some case (the admin's action is offered)."""
    from policy.services import current

    setting = current().immediate_block
    if setting == "nobody":
        return False
    if setting == "zero_tolerance" and holds(user, PERM_PROPOSE_BLOCK):
        return True
    return holds(user, PERM_IMMEDIATE_BLOCK)


def directors_sign_off_warnings() -> bool:
    """Whether the policy lets a case's service director sign off its warnings (NHDC), not only the
    Communications Manager."""
    from policy.models import WarningSignOff  # routing loads before the models (settings, URLconf)
    from policy.services import current

    return current().warning_signoff == WarningSignOff.MANAGER_OR_DIRECTOR


def warnings_need_signoff() -> bool:
    """Whether a written warning needs someone else's sign-off before it is sent (Cafcass: no)."""
    from policy.models import WarningSignOff
    from policy.services import current

    return current().warning_signoff != WarningSignOff.NONE


def can_decide_signoff(user: AbstractBaseUser, *, kind: str, service_area_id: int | None) -> bool:
    """True when ``user``'s role may decide a sign-off of ``kind`` on a case in ``service_area_id``."""
    if not user.is_active:
        return False
    if kind == SignOffKind.WARNING:
        if holds(user, PERM_SIGNOFF_WARNING_ANY):
            return True
        return directors_sign_off_warnings() and _directs_area(user, service_area_id)
    if kind == SignOffKind.BLOCK:
        approval = block_approval()
        if approval == "head":
            return holds(user, PERM_DECIDE_APPEAL)
        if holds(user, PERM_APPROVE_BLOCK):
            return True
        return approval == "manager_or_director" and _directs_area(user, service_area_id)
    if kind == SignOffKind.APPEAL:
        return holds(user, PERM_DECIDE_APPEAL)
    return False


def deciders_for(*, kind: str, service_area_id: int | None):
    """The active users who may decide a sign-off (for chase emails and the inbox)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    def holders(perm: str) -> Q:
        app_label, codename = perm.split(".")
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        return Q(groups__permissions=permission) | Q(user_permissions=permission)

    users = get_user_model().objects.filter(is_active=True)
    if kind == SignOffKind.WARNING:
        condition = holders(PERM_SIGNOFF_WARNING_ANY)
        if service_area_id is not None and directors_sign_off_warnings():
            condition |= holders(PERM_SIGNOFF_WARNING_AREA) & Q(service_areas=service_area_id)
    elif kind == SignOffKind.BLOCK:
        approval = block_approval()
        if approval == "head":
            condition = holders(PERM_DECIDE_APPEAL)
        else:
            condition = holders(PERM_APPROVE_BLOCK)
            if approval == "manager_or_director" and service_area_id is not None:
                condition |= holders(PERM_SIGNOFF_WARNING_AREA) & Q(service_areas=service_area_id)
    else:
        condition = holders(PERM_DECIDE_APPEAL)
    return users.filter(condition).distinct()


def who_may_decide(*, kind: str, service_area_id: int | None, authors: set[int]) -> tuple[list, list]:
    """Who else could decide a sign-off of ``kind`` on a case in ``service_area_id``.

    Returns (the active people whose role decides it, without ``authors`` — the asker and the author of
    what is asked about, who may not decide —, and an empty list: administrators configure and never
    decide, see ``holds``). Shown before a request is sent, so nobody sends one that no one else can
    decide.
    """
    order = ("first_name", "last_name", "username")
    role = list(deciders_for(kind=kind, service_area_id=service_area_id).exclude(pk__in=authors).order_by(*order))
    return role, []
