"""Who decides what: the routing table of the escalation process, in one place (NHDC defaults).

| decision                   | signed off by                                       | informed          |
|----------------------------|-----------------------------------------------------|-------------------|
| written warning            | Communications Manager or the case's Service Director | —               |
| block                      | Communications Manager                              | Managing Director |
| immediate block (extreme)  | Communications Manager acts now                     | Managing Director |
| misinformation channel ban | any communications officer acts now                 | Managing Director |
| appeal / block reversal    | Managing Director                                   | case timeline     |
| police report              | Communications Manager records it                   | Managing Director |

Roles are Django groups; what a role may do is a permission, granted to the groups by the
migration ``escalation/migrations/0002_roles``. Code asks permissions, never group names.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from escalation.constants import SignOffKind
from policy.titles import titles

OFFICER = "Communications officer"
MANAGER = "Communications manager"
SERVICE_DIRECTOR = "Service director"
MANAGING_DIRECTOR = "Managing director"
ROLES = (OFFICER, MANAGER, SERVICE_DIRECTOR, MANAGING_DIRECTOR)

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
    ),
    SERVICE_DIRECTOR: (PERM_SIGNOFF_WARNING_AREA,),
    MANAGING_DIRECTOR: (PERM_ACKNOWLEDGE_BLOCK, PERM_DECIDE_APPEAL),
}


def signoff_decided_by(kind: str) -> str:
    """Who is asked to decide a sign-off of ``kind``: the role named in the inbox and the chase email,
    in the policy's titles (read now: a new policy version renames them)."""
    t = titles()
    if kind == SignOffKind.WARNING:
        return f"{t.manager} or the case's {t.director}" if directors_sign_off_warnings() else t.manager
    if kind == SignOffKind.BLOCK:
        return t.manager
    return t.head


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
        return (
            directors_sign_off_warnings()
            and service_area_id is not None
            and holds(user, PERM_SIGNOFF_WARNING_AREA)
            and user.service_areas.filter(pk=service_area_id).exists()
        )
    if kind == SignOffKind.BLOCK:
        return holds(user, PERM_APPROVE_BLOCK)
    if kind == SignOffKind.APPEAL:
        return holds(user, PERM_DECIDE_APPEAL)
    return False


# Roles that read every case; a Service Director reads the cases of their own service areas.
CASE_READERS = (
    PERM_RECORD_CASE,
    PERM_SIGNOFF_WARNING_ANY,
    PERM_APPROVE_BLOCK,
    PERM_ACKNOWLEDGE_BLOCK,
    PERM_DECIDE_APPEAL,
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
        condition = holders(PERM_APPROVE_BLOCK)
    else:
        condition = holders(PERM_DECIDE_APPEAL)
    return users.filter(condition).distinct()


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
