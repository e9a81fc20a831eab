"""Who reads which casework rows, as one rule for every surface: workspace, admin and API.

The rule is the routing table's (``routing.can_read_case``): the communications team, the
Communications Manager and the Managing Director read every case; a Service Director reads the
cases of their own service areas; anyone else reads none. Every row that belongs to a case
(posts, evidence, timeline events, warnings, sign-offs, blocks, police reports, appeals, flags)
follows its case; an account is reached through a case of it that the user reaches.

The admin is for the roles whose work needs it (``admin_allowed``): administrators configure, the
team drafts and records there, and the Communications Manager and the Managing Director may read
there (sign-offs, blocks, appeals, the audit). The admin decides nothing (ADR 8): a sign-off is
approved or refused on its page in the workspace, a block acknowledged on the block's page and an
appeal decided on the appeal's page; the admin's pages link there ("Decide in the workspace"). A
Service Director's work is in the workspace, so the admin stays shut to them even with "staff
status" ticked.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet

from policy import roles as routing


def reads_every_case(user) -> bool:
    return routing.reads_every_case(user)


def reachable_area_ids(user) -> list[int]:
    """The service areas whose cases ``user`` reads as their Service Director."""
    if not (user and user.is_active and routing.holds(user, routing.PERM_SIGNOFF_WARNING_AREA)):
        return []
    return list(user.service_areas.values_list("pk", flat=True))


def case_q(user, *, path: str = "") -> Q | None:
    """A filter on a queryset whose rows reach their case through ``path`` (``""`` for cases).

    ``None`` means everything (no filter needed).
    """
    if reads_every_case(user):
        return None
    areas = reachable_area_ids(user)
    if not areas:
        return Q(pk__in=[])
    return Q(**{f"{path}service_area__in": areas})


def restrict(queryset: QuerySet, user, *, path: str = "") -> QuerySet:
    """``queryset`` limited to the rows ``user`` reaches (``path`` leads from the row to its case)."""
    condition = case_q(user, path=path)
    return queryset if condition is None else queryset.filter(condition)


def restrict_accounts(queryset: QuerySet, user) -> QuerySet:
    """Accounts with a case ``user`` reaches."""
    condition = case_q(user)
    if condition is None:
        return queryset
    from moderation.models import Case

    return queryset.filter(pk__in=Case.objects.filter(condition).values("account_id"))


def admin_allowed(user) -> bool:
    """Whether ``user`` may open the admin at all: administrators, and the roles that read every case."""
    if not (user and user.is_active and user.is_staff):
        return False
    return reads_every_case(user)


class CaseReachAdminMixin:
    """For a casework ModelAdmin: the changelist, every object page and every action see only the
    rows the user reaches. ``case_path`` leads from the row to its case (``""`` for a case itself,
    ``None`` for accounts)."""

    case_path: str | None = "case__"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.case_path is None:
            return restrict_accounts(queryset, request.user)
        return restrict(queryset, request.user, path=self.case_path)


def install_admin_site_rule(site: admin.AdminSite) -> None:
    """The admin site opens only to ``admin_allowed`` users (the index, every model page, every action)."""

    def has_permission(request) -> bool:
        return admin_allowed(request.user)

    site.has_permission = has_permission
