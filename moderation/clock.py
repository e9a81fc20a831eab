"""The one clock every service reads, so tests and the demo data can move time.

``clock.now()`` is ``django.utils.timezone.now()`` unless moved:
- ``travel_to(moment)`` freezes it in this context (this thread or task) only;
- ``shifted(delta)`` moves it for every thread of the process (end-to-end tests, where the live
  server answers from another thread). Nothing else in the code base calls ``timezone.now()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)
_offset = timedelta(0)


def now() -> datetime:
    return (_frozen.get() or timezone.now()) + _offset


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


@contextmanager
def shifted(delta: timedelta) -> Iterator[None]:
    """Move ``now()`` by ``delta`` for the whole process inside the block (tests only)."""
    global _offset
    previous, _offset = _offset, _offset + delta
    try:
        yield
    finally:
        _offset = previous
