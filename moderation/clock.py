"""The one clock every service reads, so tests and the demo data can move time.

``clock.now()`` is ``django.utils.timezone.now()`` unless a ``travel_to`` block is active in
this context (thread or task). Nothing else in the code base calls ``timezone.now()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def now() -> datetime:
    return _frozen.get() or timezone.now()


@contextmanager
def travel_to(moment: datetime) -> Iterator[datetime]:
    """Make ``now()`` return ``moment`` inside the block (aware datetimes only)."""
    if timezone.is_naive(moment):
        raise ValueError("travel_to needs an aware datetime")
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
