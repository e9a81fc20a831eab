"""The navigation's counts (things waiting for the user) cached per user, never stale (issue 13).

Every page shows the open flags and the decisions waiting for the user; counting them costs three
queries a page. They are kept in Django's cache under a key that holds a *generation*: every write
that can change a count (``changed()``: each timeline event the services write, flags raised or
settled, a role given or taken) moves the generation on, and again once its transaction has
committed, so the next page load, in any tab, any process, counts again. A count is never read from before the
latest committed change; at worst it is counted once more than needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION = "nav:generation"
TTL = 300  # seconds: a bound on what an unforeseen write could leave, not the mechanism


def generation() -> int:
    found = cache.get(GENERATION)
    if found is None:
        # a fresh start (or an evicted key) never reuses a number an older entry was stored under
        cache.add(GENERATION, time.time_ns(), None)
        found = cache.get(GENERATION)
    return found


def _move_on() -> None:
    try:
        try:
            cache.incr(GENERATION)
        except ValueError:  # not there: any new number will do, as long as it was never used
            cache.set(GENERATION, time.time_ns(), None)
    except Exception:  # an unreachable cache must not undo a decision: counts may lag for up to TTL
        logger.warning("cache unreachable: the navigation counts were not moved on", exc_info=True)


def changed() -> None:
    """A count may have changed: every user's cached counts are out of date.

    The generation moves on at once (what this transaction reads next is counted afresh) and again
    once the transaction has committed: a page that counted in between, before the change was
    visible, stored its count under a generation that is then already past."""
    _move_on()
    transaction.on_commit(_move_on)


def cached(user_id: int, build: Callable[[], Any]) -> Any:
    """``build()``'s value for ``user_id``, from the cache while nothing has changed since."""
    try:
        key = f"nav:{user_id}:{generation()}"
        found = cache.get(key)
    except Exception:  # an unreachable cache must not stop a page: count afresh
        logger.warning("cache unreachable: the navigation counts are counted afresh", exc_info=True)
        return build()
    if found is None:
        found = build()
        try:
            cache.set(key, found, TTL)
        except Exception:
            logger.warning("cache unreachable: the navigation counts were not kept", exc_info=True)
    return found
