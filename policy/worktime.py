"""Working-time arithmetic for response deadlines.

UK public-body comms teams measure response targets in *working* time:
office hours (by default Monday to Friday, 09:00-17:00 Europe/London),
skipping the bank holidays of England and Wales (or Scotland, or Northern Ireland, or none), an
organisation's own closure days (a Christmas shutdown), and counting the extra working days it
opens on.  The organisation's policy (``policy.models.PolicyVersion``) builds its
:class:`OfficeHours`.  This module answers two questions:

* :func:`add_working_days` - when is a deadline ``n`` working days after an
  instant?  One "day" is the length of one office day, so Monday 10:00 plus one
  day is Tuesday 10:00 and Monday 09:00 plus one day is Monday 17:00.
* :func:`working_time_between` - how much office time lies between two
  instants (negative when the end is before the start, e.g. "time left" on an
  overdue case).

All arithmetic is done on local wall-clock time in the office's time zone and
converted to UTC at the end, so BST/GMT changes are handled correctly.  Inputs
must be timezone-aware; outputs are aware datetimes in UTC.
(Custom office hours that include the 01:00-02:00 changeover hour are counted
by wall clock too, i.e. that night is neither shortened nor lengthened.)

The module is pure Python (no Django imports) so it can be tested on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT",
    "DEFAULT_OFFICE_HOURS",
    "OfficeHours",
    "add_working_days",
    "bank_holidays",
    "working_time_between",
    "working_time_between_by_day",
]

_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


@lru_cache(maxsize=256)
def bank_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """Return the public holidays of ``country``/``subdiv`` in ``year`` (cached per year)."""
    return frozenset(holidays.country_holidays(country, subdiv=subdiv or None, years=year))


@dataclass(frozen=True)
class OfficeHours:
    """Office opening hours: daily ``start``-``end`` on ``weekdays`` (Mon=0) in ``tz``, minus holidays.

    ``country``/``subdiv`` name whose public holidays are skipped (``subdiv`` "ENG" England and Wales,
    "SCT" Scotland, "NIR" Northern Ireland; an empty ``country`` skips none). ``closures`` are extra
    days the office is shut; ``extra_working_days`` are days it opens though the week or the
    holidays would say not (an extra working day wins over a closure on the same date).
    """

    start: time = time(9)
    end: time = time(17)
    weekdays: frozenset[int] = field(default=frozenset({0, 1, 2, 3, 4}))
    tz: str = "Europe/London"
    country: str = "GB"
    subdiv: str = "ENG"
    closures: frozenset[date] = field(default=frozenset())
    extra_working_days: frozenset[date] = field(default=frozenset())

    def __post_init__(self) -> None:
        # Accept any iterables but store frozensets (keeps the instance hashable).
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "closures", frozenset(self.closures))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("OfficeHours.start/end must be naive wall-clock times")
        if not self.start < self.end:
            raise ValueError("OfficeHours.start must be before OfficeHours.end")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("OfficeHours.weekdays must be a non-empty subset of 0..6 (Monday=0)")
        ZoneInfo(self.tz)  # fail fast on an unknown zone name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def day_length(self) -> timedelta:
        """Length of one office day (wall-clock), e.g. 8 hours for 09:00-17:00."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def holidays_in(self, year: int) -> frozenset[date]:
        """The public holidays skipped in ``year`` (none when no country is set)."""
        return bank_holidays(self.country, self.subdiv, year) if self.country else frozenset()

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is an office weekday, not a holiday and not a closure, or an extra working day."""
        if d in self.extra_working_days:
            return True
        return d.weekday() in self.weekdays and d not in self.holidays_in(d.year) and d not in self.closures

    def working_days_in(self, first: date, last: date) -> int:
        """How many working days from ``first`` to ``last`` inclusive (0 when ``last`` is before ``first``).

        Arithmetic, not a walk: the office weekdays in whole weeks and the days left over, less the
        holidays and closures in range that fall on an office weekday (unless made extra working
        days), plus the extra working days in range on other weekdays. Its cost grows with the
        number of years spanned, not of days.
        """
        if last < first:
            return 0
        span = (last - first).days + 1
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.weekdays)
        count += sum(1 for offset in range(rest) if (first.weekday() + offset) % 7 in self.weekdays)
        shut: set[date] = set(self.closures)
        for year in range(first.year, last.year + 1):
            shut |= self.holidays_in(year)
        count -= sum(
            1 for d in shut if first <= d <= last and d.weekday() in self.weekdays and d not in self.extra_working_days
        )
        # an extra working day on an office weekday was never taken off; on another day it is added
        count += sum(1 for d in self.extra_working_days if first <= d <= last and d.weekday() not in self.weekdays)
        return count

    def opening(self, d: date) -> datetime:
        """Naive local wall-clock opening time on ``d``."""
        return datetime.combine(d, self.start)

    def closing(self, d: date) -> datetime:
        """Naive local wall-clock closing time on ``d``."""
        return datetime.combine(d, self.end)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d


DEFAULT_OFFICE_HOURS = OfficeHours()
DEFAULT = DEFAULT_OFFICE_HOURS


def _to_local_naive(value: datetime, hours: OfficeHours, name: str) -> datetime:
    """Convert an aware datetime to naive wall-clock time in the office zone; refuse naive input."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(hours.zone).replace(tzinfo=None)


def _to_utc(local: datetime, hours: OfficeHours) -> datetime:
    """Interpret naive wall-clock ``local`` in the office zone and return it in UTC."""
    return local.replace(tzinfo=hours.zone).astimezone(UTC)


def _scaled_day(days: int | float | Decimal, hours: OfficeHours) -> timedelta:
    """``days`` x office-day length, validated and rounded to the microsecond."""
    if isinstance(days, bool) or not isinstance(days, int | float | Decimal):
        raise TypeError(f"days must be an int, float or Decimal, got {type(days).__name__}")
    if isinstance(days, Decimal):
        if not days.is_finite():
            raise ValueError(f"days must be finite, got {days}")
    elif isinstance(days, float) and not math.isfinite(days):
        raise ValueError(f"days must be finite, got {days}")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    micros = Decimal(hours.day_length // _ONE_MICROSECOND) * Decimal(days)
    return timedelta(microseconds=int(micros.to_integral_value(rounding=ROUND_HALF_EVEN)))


def _normalise(local: datetime, hours: OfficeHours) -> datetime:
    """Move a wall-clock time forward to the nearest moment inside office hours.

    Times inside ``[opening, closing]`` are kept (closing time itself included);
    before opening on a working day snaps to opening; after closing or on a
    non-working day snaps to the next working day's opening.
    """
    d = local.date()
    if hours.is_working_day(d):
        if local < hours.opening(d):
            return hours.opening(d)
        if local <= hours.closing(d):
            return local
    return hours.opening(hours.next_working_day(d))


def add_working_days(
    start: datetime,
    days: int | float | Decimal,
    *,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
) -> datetime:
    """Return the instant ``days`` office days of working time after ``start``, in UTC.

    One day is one office day's length (8 hours for 09:00-17:00); fractions are
    allowed.  ``start`` is first normalised into office hours (see
    :func:`_normalise`).  A deadline landing exactly on closing time stays there
    (Mon 09:00 + 1 -> Mon 17:00).  ``days=0`` returns the normalised start.

    Raises ``ValueError`` for a naive ``start`` or negative/non-finite ``days``.
    """
    remaining = _scaled_day(days, hours)
    cursor = _normalise(_to_local_naive(start, hours, "start"), hours)
    while True:
        available = hours.closing(cursor.date()) - cursor
        if remaining <= available:
            return _to_utc(cursor + remaining, hours)
        remaining -= available
        cursor = hours.opening(hours.next_working_day(cursor.date()))


def working_time_between(
    start: datetime,
    end: datetime,
    *,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
) -> timedelta:
    """Office time between two aware instants; negative if ``end`` is before ``start``.

    Inverse of :func:`add_working_days`:
    ``working_time_between(s, add_working_days(s, n)) == n * hours.day_length``.
    """
    local_start = _to_local_naive(start, hours, "start")
    local_end = _to_local_naive(end, hours, "end")
    if end < start:  # compare the aware instants: wall-clock order is ambiguous in the autumn "fold"
        return -working_time_between(end, start, hours=hours)
    return _office_time_within(local_start, local_end, hours)


def _office_time_on(d: date, local_start: datetime, local_end: datetime, hours: OfficeHours) -> timedelta:
    """Office time on day ``d`` that lies between the two wall-clock times."""
    if not hours.is_working_day(d):
        return timedelta(0)
    overlap = min(hours.closing(d), local_end) - max(hours.opening(d), local_start)
    return max(overlap, timedelta(0))


def _office_time_within(local_start: datetime, local_end: datetime, hours: OfficeHours) -> timedelta:
    """Office time between two wall-clock times, ``local_start`` first: the two end days, and the
    whole working days between them counted arithmetically (:meth:`OfficeHours.working_days_in`)."""
    first, last = local_start.date(), local_end.date()
    if first == last:
        return _office_time_on(first, local_start, local_end, hours)
    whole_days = hours.working_days_in(first + _ONE_DAY, last - _ONE_DAY)
    return (
        _office_time_on(first, local_start, local_end, hours)
        + whole_days * hours.day_length
        + _office_time_on(last, local_start, local_end, hours)
    )


def working_time_between_by_day(
    start: datetime,
    end: datetime,
    *,
    hours: OfficeHours = DEFAULT_OFFICE_HOURS,
) -> timedelta:
    """The same as :func:`working_time_between`, walking day by day: the reference its tests compare
    the arithmetic with."""
    local_start = _to_local_naive(start, hours, "start")
    local_end = _to_local_naive(end, hours, "end")
    if end < start:
        return -working_time_between_by_day(end, start, hours=hours)
    total = timedelta(0)
    d = local_start.date()
    while d <= local_end.date():
        total += _office_time_on(d, local_start, local_end, hours)
        d += _ONE_DAY
    return total
