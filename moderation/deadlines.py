"""Working-day deadlines with the organisation's office hours (settings) and England's bank holidays."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache

from django.conf import settings

from moderation.constants import EventKind
from policy.worktime import OfficeHours, add_working_days, working_time_between

# What meets a case's first-response target (``Case.response_due_at``): acting on it. Closing it
# stops the clock too. Sign-offs and the Managing Director's acknowledgement have their own clocks,
# stopped by the decision and the acknowledgement.
FIRST_RESPONSE_EVENTS = (
    EventKind.POST_HIDDEN,
    EventKind.POST_DELETED,
    EventKind.WARNING_DRAFTED,
    EventKind.BLOCK_PROPOSED,
    EventKind.BLOCK_IMMEDIATE,
    EventKind.CHANNEL_BAN,
    EventKind.CASE_CLOSED,
)


@lru_cache(maxsize=8)
def _office_hours(start: str, end: str, tz: str) -> OfficeHours:
    return OfficeHours(start=time.fromisoformat(start), end=time.fromisoformat(end), tz=tz)


def office_hours() -> OfficeHours:
    return _office_hours(settings.OFFICE_HOURS_START, settings.OFFICE_HOURS_END, settings.TIME_ZONE)


def due_after(start: datetime, working_days: float) -> datetime:
    """``working_days`` of office time after ``start`` (UTC)."""
    return add_working_days(start, working_days, hours=office_hours())


def working_time_left(now: datetime, due: datetime) -> timedelta:
    """Office time from ``now`` to ``due``; negative when overdue."""
    return working_time_between(now, due, hours=office_hours())
