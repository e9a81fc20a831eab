"""Working-day deadlines in the working calendar of the organisation's policy (``policy.services.current``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from moderation.constants import EventKind
from policy import services as policy
from policy.worktime import OfficeHours, add_working_days, working_time_between

# What meets a case's first-response target (``Case.response_due_at``): acting on it. Closing it
# stops the clock too, and so does answering an enquiry: a reply, a holding reply ("we'll answer fully
# by …", Hart), a signpost, or asking the requester to clarify (``moderation.enquiries``).
# Sign-offs and the Managing Director's acknowledgement have their own clocks,
# stopped by the decision and the acknowledgement.
FIRST_RESPONSE_EVENTS = (
    EventKind.POST_HIDDEN,
    EventKind.POST_DELETED,
    EventKind.WARNING_DRAFTED,
    EventKind.BLOCK_PROPOSED,
    EventKind.BLOCK_IMMEDIATE,
    EventKind.CHANNEL_BAN,
    EventKind.CASE_CLOSED,
    EventKind.ENQUIRY_REPLIED,
    EventKind.ENQUIRY_HOLDING_REPLY,
    EventKind.ENQUIRY_SIGNPOSTED,
    EventKind.ENQUIRY_CLARIFICATION_ASKED,
)


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
