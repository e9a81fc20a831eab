"""Page fragments that depend only on what they are given and on a few slow-changing tables,
rendered once and kept in the cache (issue 13: the queue's filter form cost a quarter of its
rendering and three queries a page, for choice lists that change a few times a year).

A fragment's key holds a *generation* that any save or delete of a channel, house rule or service
area moves on (signals connected in ``moderation.apps``), so the next page renders it afresh. The
fragments hold no decision and nothing about a case: only choice lists and what the person typed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

GENERATION = "fragments:generation"
TTL = 3600  # seconds: a bound on what an unforeseen write (a bulk update) could leave


def _generation() -> int:
    found = cache.get(GENERATION)
    if found is None:
        cache.add(GENERATION, time.time_ns(), None)
        found = cache.get(GENERATION)
    return found


def changed(**kwargs) -> None:
    """A choice list may have changed: every fragment is rendered afresh on its next use. Moved on
    at once and again once the transaction commits: a page rendered in between, before the change
    was visible, kept its fragment under a generation that is then already past."""
    _move_on()
    transaction.on_commit(_move_on)


def _move_on() -> None:
    try:
        try:
            cache.incr(GENERATION)
        except ValueError:
            cache.set(GENERATION, time.time_ns(), None)
    except Exception:
        logger.warning("cache unreachable: the cached fragments were not moved on", exc_info=True)


def cached(name: str, parts: list, render: Callable[[], str]) -> SafeString:
    """``render()``'s HTML for ``name`` and ``parts`` (what the fragment shows: the form's values),
    from the cache while no choice list has changed since."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    try:
        key = f"fragment:{name}:{_generation()}:{digest}"
        found = cache.get(key)
    except Exception:
        logger.warning("cache unreachable: the fragment is rendered afresh", exc_info=True)
        return mark_safe(render())  # noqa: S308 - rendered by our templates, escaped there
    if found is None:
        found = render()
        try:
            cache.set(key, found, TTL)
        except Exception:
            logger.warning("cache unreachable: the fragment was not kept", exc_info=True)
    return mark_safe(found)  # noqa: S308 - rendered by our templates, escaped there
