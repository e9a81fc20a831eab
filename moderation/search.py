"""Searching cases by what a person remembers of them (issue 13).

* Post text: PostgreSQL full-text search in English (``threatening`` finds "threaten"), on the GIN
  index ``post_text_search_idx`` over the same ``to_tsvector('english', text)`` expression.
* Handles and display names: any part of them (``@angry`` finds ``angry_of_hitchin``), through
  Django's ``icontains``, which the trigram indexes ``account_handle_trgm_idx`` and
  ``account_name_trgm_idx`` (pg_trgm, on ``UPPER(…)``) answer without reading the table.
* A case's reference (``123``, ``Case 123``, ``#123``): that case exactly, never one whose number
  merely contains it.

A search's count is capped: past ``COUNT_CAP`` matches a list says "more than 1,000 cases" rather
than counting every match.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

from moderation.models import Case, Post, SocialAccount

CONFIG = "english"
COUNT_CAP = 1_000
REFERENCE = re.compile(r"^(?:case\s*)?#?\s*(\d{1,18})$", re.IGNORECASE)


def clean(value: str) -> str:
    """The search as typed, without NULs, surrounding space or a handle's leading @."""
    return value.replace("\x00", "").strip().lstrip("@").strip()


def text_vector() -> SearchVector:
    """The expression ``post_text_search_idx`` indexes: keep them the same or the index is not used."""
    return SearchVector("text", config=CONFIG)


def posts_matching(value: str) -> QuerySet[Post]:
    """Posts whose text matches ``value`` as a web search would (words stemmed, "quoted phrases",
    ``-word`` to exclude, ``or``)."""
    return Post.objects.annotate(search=text_vector()).filter(
        search=SearchQuery(value, config=CONFIG, search_type="websearch")
    )


def accounts_matching(value: str) -> QuerySet[SocialAccount]:
    """Accounts with ``value`` anywhere in their handle or display name (case ignored)."""
    return SocialAccount.objects.filter(Q(handle__icontains=value) | Q(display_name__icontains=value))


def case_reference(value: str) -> int | None:
    """The case number ``value`` names (``123``, ``Case 123``, ``#123``), or None."""
    found = REFERENCE.match(value.strip())
    if not found:
        return None
    number = int(found.group(1))
    return number if 0 < number < 2**63 else None


def cases_matching(value: str, *, safeguarding_text: bool = True) -> Q:
    """A filter on cases: the case named by reference, an account's handle or name, a post's text.

    The matching cases are one set (``id IN (… UNION ALL …)``) that the database builds once, each
    part from its own index: the accounts' trigram indexes, then their cases by account; the posts'
    text through ``post_case_text_search_idx`` (the posts on a case alone); the case named by its
    number. The rows' order and limit stay the list's own. (As ``OR`` of two ``IN`` tests the
    planner hashed each part and chose a sequential scan of the accounts and a scan of every post on
    a case, computing its text's vector: 2.8 s a page at a million posts.)
    ``safeguarding_text`` False: a safeguarding case's posts are not searched by their text (only its
    leads read it).
    """
    value = clean(value)
    if not value:
        return Q()
    posts = posts_matching(value).filter(case__isnull=False)
    if not safeguarding_text:  # the reader may not read a safeguarding case's text: nor find it by it
        # a small set, hashed once (``case_safeguarding_idx``), not a join to every matching post's case
        posts = posts.exclude(case_id__in=Case.objects.filter(safeguarding_at__isnull=False).values("pk"))
    parts = [posts.values("case_id")]
    number = case_reference(value)
    if number is not None:
        parts.append(Case.objects.filter(pk=number).values("pk"))
    found = (
        Case.objects.filter(account_id__in=accounts_matching(value).values("pk"))
        .values("pk")
        .union(*parts, all=True)
    )
    return Q(pk__in=found)


class CappedPaginator(Paginator):
    """A paginator for a search: the ids of its first ``COUNT_CAP + 1`` matches, in the list's
    order, read in one query (``SELECT id … LIMIT 1001``); the count and every page come from them,
    so the search runs once a page, not once to count and again for the rows. ``capped`` says there
    are more than ``COUNT_CAP``; the pages then go as far as the first ``COUNT_CAP``. A page's
    ``object_list`` is a list of case ids (``escalation.case_selectors.staged`` reads their rows)."""

    cap = COUNT_CAP

    def __init__(self, object_list, per_page, **kwargs):
        if isinstance(object_list, QuerySet):
            object_list = list(object_list.values_list("pk", flat=True)[: self.cap + 1])
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def found(self) -> int:
        return len(self.object_list)

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap
