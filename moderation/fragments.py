"""Page fragments that depend only on what they are given and on a few slow-changing tables,
rendered once and kept in the cache (issue 13: the queue's filter form cost a quarter of its
rendering and three queries a page, for choice lists that change a few times a year).

A fragment's key holds a *generation* that any save or delete of a channel, house rule or service
area moves on (signals connected in ``moderation.apps``), so the next page renders it afresh. The
fragments hold no decision and nothing about a case: only choice lists and what the person typed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from moderation.generations import Generation

GENERATION = Generation("fragments:generation", "the cached fragments")
TTL = 3600  # seconds: a bound on what an unforeseen write (a bulk update) could leave


def changed(**kwargs) -> None:
    """A choice list may have changed: every fragment is rendered afresh on its next use. Moved on
    at once and again once the transaction commits: a page rendered in between, before the change
    was visible, kept its fragment under a generation that is then already past."""
    GENERATION.changed()


def cached(name: str, parts: list, render: Callable[[], str]) -> SafeString:
    """``render()``'s HTML for ``name`` and ``parts`` (what the fragment shows: the form's values),
    from the cache while no choice list has changed since."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return mark_safe(GENERATION.cached(f"{name}:{digest}", render, TTL))  # noqa: S308 - our templates escape
