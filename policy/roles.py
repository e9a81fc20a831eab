"""The roles and what each may do: the one place every layer asks "may this user ...?".

Roles are Django groups; what a role may do is a permission, granted to the groups by the
migration ``escalation/migrations/0002_roles``. Code asks permissions, never group names. Who signs
off what (the routing table of the escalation process) is ``escalation.routing``, which builds on this.

This module is part of the base layer (``policy``): ``moderation``, ``escalation`` and ``config`` read
it, and it imports nothing from them (ADR 10).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

OFFICER = "Communications officer"
MANAGER = "Communications manager"
SERVICE_DIRECTOR = "Service director"
MANAGING_DIRECTOR = "Managing director"
ROLES = (OFFICER, MANAGER, SERVICE_DIRECTOR, MANAGING_DIRECTOR)
# A role held beside another (an officer or a manager is also a safeguarding lead): the organisation
# names its leads in the admin (People › a person › Groups, or the permission on its own).
SAFEGUARDING_LEAD = "Safeguarding lead"
# Every role a person can be given: in the admin, or by single sign-on's group mapping (config.oidc).
GRANTABLE_ROLES = (*ROLES, SAFEGUARDING_LEAD)

# Permissions (app_label.codename) that carry the routing table.
PERM_RECORD_CASE = "moderation.record_case"
PERM_MODERATE_POST = "moderation.moderate_post"
PERM_MANAGE_CASE = "moderation.manage_case"
PERM_IMPORT_POSTS = "moderation.import_posts"
PERM_DRAFT_WARNING = "escalation.draft_warning"
PERM_SIGNOFF_WARNING_ANY = "escalation.signoff_any_warning"  # Communications Manager
PERM_SIGNOFF_WARNING_AREA = "escalation.signoff_area_warning"  # Service Director, own areas only
PERM_PROPOSE_BLOCK = "escalation.propose_block"
PERM_APPROVE_BLOCK = "escalation.approve_block"
PERM_IMMEDIATE_BLOCK = "escalation.immediate_block"
PERM_CHANNEL_BAN = "escalation.channel_ban"
PERM_ACKNOWLEDGE_BLOCK = "escalation.acknowledge_block"
PERM_REPORT_POLICE = "escalation.report_police"
PERM_RECORD_APPEAL = "escalation.record_appeal"
PERM_DECIDE_APPEAL = "escalation.decide_appeal"
PERM_DECLARE_CRISIS = "escalation.declare_crisis"  # crisis mode on and off (Hart's crisis communications)

# Reads the text of a safeguarding case's posts, records the referral decision, is alerted at once.
PERM_SAFEGUARDING_LEAD = "moderation.lead_safeguarding"

# the reports page, its downloads and the bulk statements of reasons (managers, directors, the head)
PERM_READ_REPORTS = "escalation.read_reports"

# legal holds on accounts and cases, and erasure of an account's personal data on request (issue 14)
PERM_LEGAL_HOLD = "moderation.hold_legal"
PERM_ERASE = "moderation.erase_personal_data"

# Which permission a role's group holds (the migration grants these, the tests walk them).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    OFFICER: (
        PERM_RECORD_CASE,
        PERM_MODERATE_POST,
        PERM_MANAGE_CASE,
        PERM_IMPORT_POSTS,
        PERM_DRAFT_WARNING,
        PERM_PROPOSE_BLOCK,
        PERM_CHANNEL_BAN,
        PERM_RECORD_APPEAL,
    ),
    MANAGER: (
        PERM_RECORD_CASE,
        PERM_MODERATE_POST,
        PERM_MANAGE_CASE,
        PERM_IMPORT_POSTS,
        PERM_DRAFT_WARNING,
        PERM_PROPOSE_BLOCK,
        PERM_CHANNEL_BAN,
        PERM_RECORD_APPEAL,
        PERM_SIGNOFF_WARNING_ANY,
        PERM_APPROVE_BLOCK,
        PERM_IMMEDIATE_BLOCK,
        PERM_REPORT_POLICE,
        PERM_DECLARE_CRISIS,
        PERM_READ_REPORTS,
        PERM_LEGAL_HOLD,
        PERM_ERASE,
    ),
    SERVICE_DIRECTOR: (PERM_SIGNOFF_WARNING_AREA, PERM_READ_REPORTS),
    MANAGING_DIRECTOR: (PERM_ACKNOWLEDGE_BLOCK, PERM_DECIDE_APPEAL, PERM_READ_REPORTS),
    SAFEGUARDING_LEAD: (PERM_SAFEGUARDING_LEAD,),
}


def holds(user, perm: str) -> bool:
    """Whether ``user``'s role holds ``perm``: the one test of every casework permission.

    Django lets a superuser pass every ``has_perm``. Here a superuser configures and does not decide:
    a superuser holds no casework permission at all, even given a role (group) or a permission (the
    admin refuses both, ``config.admin.PersonChangeForm``), so one person cannot propose, approve and
    acknowledge the same block by being "admin", nor by giving themselves each role in turn.
    """
    if user is None or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return False
    return user.has_perm(perm)


# Roles that read every case; a Service Director reads the cases of their own service areas.
CASE_READERS = (
    PERM_RECORD_CASE,
    PERM_SIGNOFF_WARNING_ANY,
    PERM_APPROVE_BLOCK,
    PERM_ACKNOWLEDGE_BLOCK,
    PERM_DECIDE_APPEAL,
    PERM_SAFEGUARDING_LEAD,
)


def reads_every_case(user: AbstractBaseUser) -> bool:
    """The roles that read every case, and administrators (who read, to support and audit, but never
    decide: see ``holds``)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or any(holds(user, p) for p in CASE_READERS)


def can_read_case(user: AbstractBaseUser, case) -> bool:
    """Whether ``user``'s role reaches ``case`` (the workspace's case, block, warning pages)."""
    if reads_every_case(user):
        return True
    return (
        case.service_area_id is not None
        and holds(user, PERM_SIGNOFF_WARNING_AREA)
        and user.service_areas.filter(pk=case.service_area_id).exists()
    )


def can_read_accounts(user: AbstractBaseUser) -> bool:
    """Whether ``user`` opens account pages (``/accounts/N/``: every case of the account)."""
    return holds(user, PERM_RECORD_CASE) or bool(getattr(user, "is_superuser", False) and user.is_active)


# --- Safeguarding (Cafcass, HMPPS, Hart): once a case is marked, only its leads read the posts' text

RESTRICTED_TEXT = "Safeguarding case — text restricted"


def is_safeguarding_lead(user: AbstractBaseUser) -> bool:
    return holds(user, PERM_SAFEGUARDING_LEAD)


def can_read_case_text(user: AbstractBaseUser, case) -> bool:
    """Whether ``user`` reads the text of ``case``'s posts and the reason it was recorded: everyone who
    reads the case, until it is marked safeguarding; from then on its safeguarding leads only (a
    superuser, who holds no casework permission, included)."""
    if case is None or getattr(case, "safeguarding_at", None) is None:
        return True
    return is_safeguarding_lead(user)


def case_text_for(user: AbstractBaseUser, case, text: str) -> str:
    """``text`` (a post's text, the case's reason) as ``user`` may read it."""
    return text if can_read_case_text(user, case) else RESTRICTED_TEXT


# --- Who reported the post (``Case.reported_by``): a member of the public's personal data --------------

REPORTER_WITHHELD = "Withheld: for the team working the case"


def can_read_reporter(user: AbstractBaseUser) -> bool:
    """Whether ``user`` reads who reported a post to us: the team working cases (who record and act on
    them: officers, managers) and the safeguarding leads. Not the roles that only decide or read (a
    Service Director, the Managing Director), not an administrator, never an integration, and never
    anything made for the account owner (subject access, statements of reasons): it is a third party's
    data, which their work does not need."""
    return holds(user, PERM_RECORD_CASE) or is_safeguarding_lead(user)


# Roles that open the appeal pages (the list and each appeal).
APPEAL_READERS = (PERM_RECORD_APPEAL, PERM_DECIDE_APPEAL)


def can_read_appeals(user: AbstractBaseUser) -> bool:
    from policy.services import current

    if not current().appeals:
        return False  # the policy offers no appeals: no appeal pages (Cafcass)
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(holds(user, p) for p in APPEAL_READERS)


def readable_case_ids(user: AbstractBaseUser, cases) -> set[int]:
    """Which of ``cases`` ``user`` may open (``can_read_case`` for a list, in one query at most)."""
    if reads_every_case(user):
        return {case.pk for case in cases}
    if not holds(user, PERM_SIGNOFF_WARNING_AREA):
        return set()
    areas = set(user.service_areas.values_list("pk", flat=True))
    return {case.pk for case in cases if case.service_area_id in areas}


def require_case_reader(user: AbstractBaseUser, case) -> None:
    from django.core.exceptions import PermissionDenied

    if not can_read_case(user, case):
        raise PermissionDenied("This case is outside your role's reach.")


def holders_of(perm: str):
    """The active users whose role (or own permissions) hold ``perm``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, codename = perm.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
    )
