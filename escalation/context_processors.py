"""What every workspace page needs: the organisation, the user's role and their navigation."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from escalation import routing
from escalation.periods import notices
from escalation.selectors import decisions_waiting
from moderation import navcache
from moderation.constants import FlagStatus
from moderation.models import Flag
from moderation.reach import admin_allowed
from policy import services as policy
from policy.titles import titles

DECIDER_PERMS = (
    routing.PERM_SIGNOFF_WARNING_ANY,
    routing.PERM_SIGNOFF_WARNING_AREA,
    routing.PERM_APPROVE_BLOCK,
    routing.PERM_DECIDE_APPEAL,
    routing.PERM_ACKNOWLEDGE_BLOCK,
)


def _counts(user) -> dict:
    """What waits for ``user``, and their roles: cached per user until a write changes them
    (``moderation.navcache``)."""
    counts = {"roles": list(user.groups.values_list("name", flat=True))}
    if routing.holds(user, routing.PERM_RECORD_CASE):
        counts["open_flags"] = Flag.objects.filter(status=FlagStatus.OPEN).count()
    if any(routing.holds(user, p) for p in DECIDER_PERMS):
        # sign-offs, appeals and blocks to acknowledge (/decisions/ lists the same)
        counts["waiting"] = decisions_waiting(user)
    return counts


def navigation_counts(user) -> dict:
    return navcache.cached(user.pk, lambda: _counts(user))


def navigation_for(user, current_path: str, counts: dict | None = None) -> list[dict]:
    if not user.is_authenticated:
        return []
    counts = counts if counts is not None else navigation_counts(user)
    items = []
    if routing.holds(user, routing.PERM_RECORD_CASE):
        items.append({"text": "Cases", "href": reverse("moderation:case_list")})
        items.append({"text": "Record a case", "href": reverse("moderation:case_create")})
        open_flags = counts.get("open_flags", 0)
        items.append({"text": "Flagged posts", "href": reverse("moderation:flag_list"), "count": open_flags})
    if routing.holds(user, routing.PERM_IMPORT_POSTS):
        items.append({"text": "Import posts", "href": reverse("moderation:import_list")})
    if any(routing.holds(user, p) for p in DECIDER_PERMS):
        waiting = counts.get("waiting", 0)
        items.append({"text": "Decisions", "href": reverse("escalation:decision_list"), "count": waiting})
    if policy.current().appeals and any(routing.holds(user, p) for p in routing.APPEAL_READERS):
        items.append({"text": "Appeals", "href": reverse("escalation:appeal_list")})
    if routing.holds(user, routing.PERM_READ_REPORTS):
        items.append({"text": "Reports", "href": reverse("escalation:report")})
    if admin_allowed(user):
        items.append({"text": "Admin", "href": reverse("admin:index")})
    # one current item: the longest link the page's path starts with (/cases/new/ is "Record a case")
    matching = [item for item in items if current_path.startswith(item["href"])]
    current = max(matching, key=lambda item: len(item["href"]), default=None)
    for item in items:
        item["current"] = item is current
    return items


def workspace(request) -> dict:
    user = getattr(request, "user", None)
    version = policy.current()
    role_titles = titles()
    context = {
        "organisation_name": version.organisation_name,
        "appeals_offered": version.appeals,
        "warning_lookback_months": version.warning_lookback_months,
        "policy_url": version.policy_url,
        "titles": role_titles,
        "navigation": [],
        "user_role": "",
        "can_read_accounts": False,
        "can_read_appeals": False,
    }
    # an integration's token (the API) is not a person: it has no role and no workspace
    if user is None or not user.is_authenticated or not hasattr(user, "groups") or request.path.startswith("/admin/"):
        return context
    counts = navigation_counts(user)
    roles = [role_titles.for_role(name) for name in counts["roles"] if name in routing.ROLES]
    context["user_role"] = ", ".join(roles) or ("Administrator" if user.is_superuser else "")
    # half signed in (the second step not yet passed): no navigation to pages that would only send them back
    verified = getattr(user, "is_verified", None)
    if not settings.MFA_REQUIRED or verified is None or verified():
        context["navigation"] = navigation_for(user, request.path, counts)
        if context["navigation"]:  # a person with work to do: the periods in force change it
            context["period_notices"] = notices()
            context["can_declare_crisis"] = routing.holds(user, routing.PERM_DECLARE_CRISIS)
    # one rule for links: a page links to an account or an appeal only for those who may open it
    context["can_read_accounts"] = routing.can_read_accounts(user)
    context["can_read_appeals"] = routing.can_read_appeals(user)
    return context
