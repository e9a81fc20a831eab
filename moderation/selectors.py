"""Reads for the workspace pages, shaped for the page: joins, prefetches and annotations.

Every selector here costs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery

from moderation.constants import FlagStatus
from moderation.deadlines import FIRST_RESPONSE_EVENTS
from moderation.models import CaseEvent, Flag


def first_response_events() -> QuerySet[CaseEvent]:
    """The events of a case (``OuterRef("pk")``) that meet its first-response target."""
    return CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=FIRST_RESPONSE_EVENTS)


def first_response_at() -> Subquery:
    """When a case (``OuterRef("pk")``) was first acted on, or None: annotate it as ``responded_at``.

    The one first-response rule of every list of cases (the queue, the admin's): acting on the case
    (``FIRST_RESPONSE_EVENTS``) meets its target; ``moderation/includes/response_clock.html`` shows it.
    """
    return Subquery(first_response_events().order_by("at", "id").values("at")[:1])


def team_members():
    from policy import roles as routing

    app_label, codename = routing.PERM_RECORD_CASE.split(".")
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        )
        .distinct()
        .order_by("first_name", "username")
    )


def integration_for_token(token: str):
    """The active integration whose token this is, or None (one query; only the hash is compared)."""
    from moderation.models import Integration
    from moderation.services import token_hash

    if not token or len(token) > 200:
        return None
    return Integration.objects.filter(token_hash=token_hash(token), is_active=True).first()


def flag_queue() -> QuerySet[Flag]:
    """Open flags, newest first, with the post, its channel and author, and the rule and its house rule."""
    return (
        Flag.objects.filter(status=FlagStatus.OPEN)
        .select_related("post__channel", "post__account", "post__case", "rule__house_rule")
        .order_by("-created_at", "-id")
    )
