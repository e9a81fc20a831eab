"""Reads for the workspace pages, shaped for the page: joins, prefetches and annotations.

Every selector here costs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import JSONObject

from moderation.constants import FlagStatus
from moderation.deadlines import FIRST_RESPONSE_EVENTS
from moderation.models import CaseEvent, Flag, Post, PostTextRevision


def edited_posts() -> Exists:
    """Whether a post (``OuterRef("pk")``) has another version of its text: an annotation."""
    return Exists(PostTextRevision.objects.filter(post=OuterRef("pk")))


def posts_with_versions(posts: QuerySet[Post]) -> list[Post]:
    """``posts`` as a list, each knowing whether it was edited (``post.edited``) and, when it was, its
    other text versions (``post.text_revisions``, prefetched): one more query only when some post
    was edited, none otherwise."""
    found = list(posts.annotate(edited=edited_posts()))
    attach_versions(found)
    return found


def attach_versions(posts: list[Post]) -> None:
    """Prefetch the other text versions of those ``posts`` that were edited (``post.edited``)."""
    prefetch_related_objects([post for post in posts if getattr(post, "edited", True)], "text_revisions")


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
        .annotate(post_edited=Exists(PostTextRevision.objects.filter(post=OuterRef("post_id"))))
        .order_by("-created_at", "-id")
    )


def json_rows(queryset: QuerySet, *names: str) -> ArraySubquery:
    """A correlated subquery (``queryset`` filtered on ``OuterRef``) returning its rows as a JSON
    array of ``names`` (fields, or ``relation__field`` one step away): a page reads a short list
    that hangs off the row it reads anyway in that same query (``from_json_rows`` makes the
    instances). Saves one query per list; only for lists of a few rows."""
    return ArraySubquery(queryset.values(row=JSONObject(**{name: name for name in names})))


def from_json_rows(model, rows) -> list:
    """Model instances from ``json_rows``'s rows, with each field's own Python type (dates, times);
    ``relation__field`` keys become the related instance (``report.recorded_by``)."""
    made = []
    for row in rows or []:
        own: dict = {}
        related: dict[str, dict] = {}
        for key, value in row.items():
            if "__" in key:
                relation, name = key.split("__", 1)
                related.setdefault(relation, {})[name] = value
            else:
                own[model._meta.get_field(key).attname] = model._meta.get_field(key).to_python(value)
        instance = model(**own)
        instance._state.adding = False
        instance._state.db = "default"
        for relation, values in related.items():
            other = model._meta.get_field(relation).related_model
            values = {
                other._meta.get_field(k).attname: other._meta.get_field(k).to_python(v) for k, v in values.items()
            }
            target = None
            if values.get(other._meta.pk.attname) is not None:
                target = other(**values)
                target._state.adding = False
                target._state.db = "default"
            setattr(instance, relation, target)
        made.append(instance)
    return made
