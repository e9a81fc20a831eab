"""Cache generations (issue 13): a number kept in Django's cache that a change moves on, so that
every entry kept under the old number is never read again. The navigation's counts
(``moderation.navcache``), the filter's fields (``moderation.fragments``) and the queue's results
(``moderation.casecache``) are each kept under one.

An unreachable cache never stops a page or undoes a decision: the value is built afresh, and a
generation that could not be moved on leaves entries that end with their time to live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


class Generation:
    """One generation, under ``key`` in the cache; ``what`` names what it keeps, for the log."""

    def __init__(self, key: str, what: str) -> None:
        self.key, self.what = key, what

    def current(self) -> int:
        found = cache.get(self.key)
        if found is None:
            # a fresh start (or an evicted key) never reuses a number an older entry was stored under
            cache.add(self.key, time.time_ns(), None)
            found = cache.get(self.key)
        return found

    def move_on(self) -> None:
        try:
            try:
                cache.incr(self.key)
            except ValueError:  # not there: any new number will do, as long as it was never used
                cache.set(self.key, time.time_ns(), None)
        except Exception:
            logger.warning("cache unreachable: %s were not moved on", self.what, exc_info=True)

    def changed(self) -> None:
        """Moved on at once (what this transaction reads next is built afresh) and again once the
        transaction has committed: what was built in between, before the change was visible, was
        kept under a generation that is then already past."""
        self.move_on()
        transaction.on_commit(self.move_on)

    def cached(self, parts: str, build: Callable[[], Any], ttl: int) -> Any:
        """``build()``'s value for ``parts`` (the rest of the key), from the cache while this
        generation has not moved on."""
        try:
            key = f"{self.key}:{self.current()}:{parts}"
            found = cache.get(key)
        except Exception:
            logger.warning("cache unreachable: %s are built afresh", self.what, exc_info=True)
            return build()
        if found is None:
            found = build()
            try:
                cache.set(key, found, ttl)
            except Exception:
                logger.warning("cache unreachable: %s were not kept", self.what, exc_info=True)
        return found
