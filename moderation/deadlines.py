"""Working-day deadlines in the working calendar of the organisation's policy (``policy.services.current``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from moderation.constants import FIRST_RESPONSE_EVENTS  # noqa: F401 - what meets the target; read here by callers
from policy import services as policy
from policy.worktime import OfficeHours, add_working_days, working_time_between


def office_hours() -> OfficeHours:
    return policy.current().office_hours


def due_after(start: datetime, working_days: float | Decimal, *, urgent: bool = False) -> datetime:
    """``working_days`` of office time after ``start`` (UTC). An urgent case is timed in the policy's
    emergency-cover calendar when it has one (Hart watches weekends and bank holidays)."""
    version = policy.current()
    hours = (version.emergency_hours if urgent else None) or version.office_hours
    return add_working_days(start, working_days, hours=hours)


def working_time_left(now: datetime, due: datetime) -> timedelta:
    """Office time from ``now`` to ``due``; negative when overdue."""
    return working_time_between(now, due, hours=office_hours())
