"""The navigation's counts (things waiting for the user) cached per user, never stale (issue 13).

Every page shows the open flags and the decisions waiting for the user; counting them costs three
queries a page. They are kept in Django's cache under a key that holds a *generation*: every write
that can change a count (``changed()``: each timeline event the services write, flags raised or
settled, a role given or taken) moves the generation on, and again once its transaction has
committed, so the next page load, in any tab, any process, counts again. A count is never read from before the
latest committed change; at worst it is counted once more than needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moderation.generations import Generation

GENERATION = Generation("nav:generation", "the navigation counts")
TTL = 300  # seconds: a bound on what an unforeseen write could leave, not the mechanism


def changed() -> None:
    """A count may have changed: every user's cached counts are out of date.

    The generation moves on at once (what this transaction reads next is counted afresh) and again
    once the transaction has committed: a page that counted in between, before the change was
    visible, stored its count under a generation that is then already past."""
    GENERATION.changed()


def cached(user_id: int, build: Callable[[], Any]) -> Any:
    """``build()``'s value for ``user_id``, from the cache while nothing has changed since."""
    return GENERATION.cached(str(user_id), build, TTL)
