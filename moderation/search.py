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

from moderation.models import Post, SocialAccount

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

    Each part is a set the database builds once from its index (``IN (SELECT …)``), not a test per
    case; the rows' order and limit stay the list's own. ``safeguarding_text`` False: a safeguarding
    case's posts are not searched by their text (only its leads read it).
    """
    value = clean(value)
    if not value:
        return Q()
    posts = posts_matching(value).filter(case__isnull=False)
    if not safeguarding_text:  # the reader may not read a safeguarding case's text: nor find it by it
        posts = posts.filter(case__safeguarding_at__isnull=True)
    found = Q(account_id__in=accounts_matching(value).values("pk")) | Q(pk__in=posts.values("case_id"))
    number = case_reference(value)
    if number is not None:
        found |= Q(pk=number)
    return found


class CappedPaginator(Paginator):
    """A paginator that stops counting at ``COUNT_CAP + 1`` rows (``SELECT count(*) FROM (… LIMIT
    1001)``): ``capped`` says there are more than ``COUNT_CAP``; the pages then go as far as the
    first ``COUNT_CAP``."""

    cap = COUNT_CAP

    @cached_property
    def found(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap
