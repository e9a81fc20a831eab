"""Unit tests for moderation.worktime (pure Python: no Django, no database).

Dates used (England & Wales bank holidays, 2026/2027):

* Mon 12 - Fri 16 January 2026 is an ordinary working week.
* Easter 2026: Good Friday 3 April, Easter Monday 6 April.
* Christmas 2026: Fri 25 Dec, Sat 26 Dec (Boxing Day), Mon 28 Dec (substitute).
* New Year 2027: Fri 1 January.
* Easter 2027: Good Friday 26 March, Easter Monday 29 March.
* Christmas 2027: Mon 27 Dec and Tue 28 Dec (substitutes for Sat/Sun).
* BST starts Sun 29 March 2026 / Sun 28 March 2027 (01:00 UTC);
  GMT resumes Sun 25 October 2026 / Sun 31 October 2027 (01:00 UTC).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from policy.worktime import (
    DEFAULT,
    DEFAULT_OFFICE_HOURS,
    OfficeHours,
    add_working_days,
    bank_holidays,
    working_time_between,
)

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
OFFICE_DAY = timedelta(hours=8)


def ldn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """An aware Europe/London wall-clock datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def assert_utc(result: datetime, expected: datetime) -> None:
    assert result == expected, f"{result.astimezone(LONDON):%a %d %b %Y %H:%M %Z} != expected"
    assert result.tzinfo is UTC


# --------------------------------------------------------------------------- add_working_days


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # within office hours
        pytest.param(ldn(2026, 1, 12, 10), 1, ldn(2026, 1, 13, 10), id="mon-10:00+1=tue-10:00"),
        pytest.param(ldn(2026, 1, 12, 9), 1, ldn(2026, 1, 12, 17), id="mon-09:00+1=mon-17:00"),
        pytest.param(ldn(2026, 1, 12, 16, 30), 1, ldn(2026, 1, 13, 16, 30), id="mon-16:30+1"),
        pytest.param(ldn(2026, 1, 12, 17), 1, ldn(2026, 1, 13, 17), id="mon-17:00(closing)+1"),
        pytest.param(ldn(2026, 1, 14, 12, 15), 1, ldn(2026, 1, 15, 12, 15), id="wed-12:15+1"),
        # before opening
        pytest.param(ldn(2026, 1, 12, 7, 30), 1, ldn(2026, 1, 12, 17), id="mon-07:30+1"),
        pytest.param(ldn(2026, 1, 12, 0, 0), 1, ldn(2026, 1, 12, 17), id="mon-midnight+1"),
        pytest.param(ldn(2026, 1, 13, 8, 59), 0.5, ldn(2026, 1, 13, 13), id="tue-08:59+0.5"),
        # after closing
        pytest.param(ldn(2026, 1, 12, 17, 1), 1, ldn(2026, 1, 13, 17), id="mon-17:01+1"),
        pytest.param(ldn(2026, 1, 12, 18), 1, ldn(2026, 1, 13, 17), id="mon-18:00+1"),
        pytest.param(ldn(2026, 1, 12, 23, 59), 0.5, ldn(2026, 1, 13, 13), id="mon-23:59+0.5"),
        # weekend
        pytest.param(ldn(2026, 1, 17, 12), 1, ldn(2026, 1, 19, 17), id="sat+1=mon-17:00"),
        pytest.param(ldn(2026, 1, 18, 11), 0.5, ldn(2026, 1, 19, 13), id="sun+0.5=mon-13:00"),
        # Friday rollover
        pytest.param(ldn(2026, 1, 16, 16), 1, ldn(2026, 1, 19, 16), id="fri-16:00+1=mon-16:00"),
        pytest.param(ldn(2026, 1, 16, 17), 1, ldn(2026, 1, 19, 17), id="fri-17:00+1=mon-17:00"),
        pytest.param(ldn(2026, 1, 16, 17, 30), 1, ldn(2026, 1, 19, 17), id="fri-17:30+1=mon-17:00"),
        pytest.param(ldn(2026, 1, 16, 9), 1, ldn(2026, 1, 16, 17), id="fri-09:00+1=fri-17:00"),
        # Friday rollover onto a bank-holiday Monday
        pytest.param(ldn(2026, 5, 1, 16), 1, ldn(2026, 5, 5, 16), id="fri+1-over-may-day"),
        pytest.param(ldn(2026, 5, 22, 16), 1, ldn(2026, 5, 26, 16), id="fri+1-over-spring-bh"),
        pytest.param(ldn(2026, 8, 28, 16), 1, ldn(2026, 9, 1, 16), id="fri+1-over-summer-bh"),
        # Easter 2026
        pytest.param(ldn(2026, 4, 2, 15), 1, ldn(2026, 4, 7, 15), id="easter26-thu-15:00+1=tue"),
        pytest.param(ldn(2026, 4, 3, 10), 1, ldn(2026, 4, 7, 17), id="easter26-good-friday+1"),
        pytest.param(ldn(2026, 4, 6, 12), 0.5, ldn(2026, 4, 7, 13), id="easter26-easter-monday+0.5"),
        pytest.param(ldn(2026, 4, 1, 10), 2, ldn(2026, 4, 7, 10), id="easter26-wed+2=tue"),
        # Christmas 2026 / New Year 2027
        pytest.param(ldn(2026, 12, 24, 11), 1, ldn(2026, 12, 29, 11), id="xmas26-thu-24+1=tue-29"),
        pytest.param(ldn(2026, 12, 23, 14), 2, ldn(2026, 12, 29, 14), id="xmas26-wed-23+2=tue-29"),
        pytest.param(ldn(2026, 12, 26, 10), 1, ldn(2026, 12, 29, 17), id="xmas26-boxing-day+1"),
        pytest.param(ldn(2026, 12, 31, 10), 1, ldn(2027, 1, 4, 10), id="newyear27-thu-31+1=mon-4"),
        # Christmas 2027 (both bank holidays substituted onto Mon 27 / Tue 28)
        pytest.param(ldn(2027, 12, 24, 11), 1, ldn(2027, 12, 29, 11), id="xmas27-fri-24+1=wed-29"),
        pytest.param(ldn(2027, 12, 23, 16), 2, ldn(2027, 12, 29, 16), id="xmas27-thu-23+2=wed-29"),
        # multi-day (2 working days is the HMCTS response target)
        pytest.param(ldn(2026, 1, 12, 10), 2, ldn(2026, 1, 14, 10), id="mon+2=wed"),
        pytest.param(ldn(2026, 1, 15, 10), 2, ldn(2026, 1, 19, 10), id="thu+2=mon"),
        pytest.param(ldn(2026, 1, 16, 16, 45), 2, ldn(2026, 1, 20, 16, 45), id="fri+2=tue"),
        pytest.param(ldn(2026, 1, 12, 10), 5, ldn(2026, 1, 19, 10), id="mon+5=next-mon"),
        pytest.param(ldn(2026, 1, 12, 9), 5, ldn(2026, 1, 16, 17), id="mon-09:00+5=fri-17:00"),
        pytest.param(ldn(2026, 3, 23, 10), 10, ldn(2026, 4, 8, 10), id="+10-over-dst-and-easter"),
        pytest.param(ldn(2026, 1, 12, 10), 20, ldn(2026, 2, 9, 10), id="+20=four-weeks"),
        # fractional days (int, float and Decimal)
        pytest.param(ldn(2026, 1, 12, 9), 0.5, ldn(2026, 1, 12, 13), id="mon-09:00+0.5"),
        pytest.param(ldn(2026, 1, 12, 14), 0.5, ldn(2026, 1, 13, 10), id="mon-14:00+0.5=tue-10:00"),
        pytest.param(ldn(2026, 1, 12, 9), 1.25, ldn(2026, 1, 13, 11), id="mon-09:00+1.25"),
        pytest.param(ldn(2026, 1, 12, 9), 1 / 3, ldn(2026, 1, 12, 11, 40), id="mon-09:00+1/3"),
        pytest.param(ldn(2026, 1, 12, 9), Decimal("0.125"), ldn(2026, 1, 12, 10), id="decimal-0.125"),
        pytest.param(ldn(2026, 1, 12, 10), Decimal("2.5"), ldn(2026, 1, 14, 14), id="decimal-2.5"),
        pytest.param(ldn(2026, 1, 16, 16), 0.25, ldn(2026, 1, 19, 10), id="fri-16:00+0.25=mon-10:00"),
        # zero: the normalised start
        pytest.param(ldn(2026, 1, 12, 10, 7), 0, ldn(2026, 1, 12, 10, 7), id="zero-inside-hours"),
        pytest.param(ldn(2026, 1, 12, 7), 0, ldn(2026, 1, 12, 9), id="zero-before-opening"),
        pytest.param(ldn(2026, 1, 12, 17), 0, ldn(2026, 1, 12, 17), id="zero-at-closing"),
        pytest.param(ldn(2026, 1, 12, 17, 1), 0, ldn(2026, 1, 13, 9), id="zero-after-closing"),
        pytest.param(ldn(2026, 1, 17, 12), 0.0, ldn(2026, 1, 19, 9), id="zero-float-saturday"),
        pytest.param(ldn(2026, 4, 3, 12), Decimal(0), ldn(2026, 4, 7, 9), id="zero-decimal-good-friday"),
    ],
)
def test_add_working_days(start: datetime, days: int | float | Decimal, expected: datetime) -> None:
    assert_utc(add_working_days(start, days), expected)


@pytest.mark.parametrize(
    ("start", "days", "expected_utc"),
    [
        # Spring forward 2026 (Sun 29 March): GMT Friday -> BST Monday.
        pytest.param(ldn(2026, 3, 27, 10), 1, utc(2026, 3, 30, 9), id="spring26-fri-10:00gmt+1"),
        pytest.param(ldn(2026, 3, 27, 16), 0.5, utc(2026, 3, 30, 11), id="spring26-fri-16:00gmt+0.5"),
        pytest.param(ldn(2026, 3, 27, 9), 1, utc(2026, 3, 27, 17), id="spring26-fri-same-day-gmt"),
        pytest.param(ldn(2026, 3, 29, 1, 30), 0, utc(2026, 3, 30, 8), id="spring26-sunday-in-gap+0"),
        # Fall back 2026 (Sun 25 October): BST Friday -> GMT Monday.
        pytest.param(ldn(2026, 10, 23, 10), 1, utc(2026, 10, 26, 10), id="autumn26-fri-10:00bst+1"),
        pytest.param(ldn(2026, 10, 23, 15), 0.5, utc(2026, 10, 26, 11), id="autumn26-fri-15:00bst+0.5"),
        pytest.param(ldn(2026, 10, 23, 9), 1, utc(2026, 10, 23, 16), id="autumn26-fri-same-day-bst"),
        pytest.param(utc(2026, 10, 23, 9), 1, utc(2026, 10, 26, 10), id="autumn26-utc-input"),
        pytest.param(utc(2026, 10, 25, 0, 30), 1, utc(2026, 10, 26, 17), id="autumn26-in-fold+1"),
        pytest.param(utc(2026, 10, 25, 1, 30), 1, utc(2026, 10, 26, 17), id="autumn26-after-fold+1"),
        # 2027: spring forward on Easter Sunday (Good Friday 26 Mar, Easter Monday 29 Mar).
        pytest.param(ldn(2027, 3, 25, 15), 1, utc(2027, 3, 30, 14), id="spring27-easter-thu-gmt+1"),
        pytest.param(ldn(2027, 10, 29, 10), 1, utc(2027, 11, 1, 10), id="autumn27-fri-bst+1"),
        # Summer-time start and summer-time deadline: one hour behind London wall clock.
        pytest.param(ldn(2026, 7, 13, 10), 2, utc(2026, 7, 15, 9), id="summer-mon-bst+2"),
        pytest.param(ldn(2026, 1, 12, 10), 2, utc(2026, 1, 14, 10), id="winter-mon-gmt+2"),
    ],
)
def test_add_working_days_dst_utc_output(start: datetime, days: float, expected_utc: datetime) -> None:
    assert_utc(add_working_days(start, days), expected_utc)


def test_add_working_days_accepts_any_aware_timezone() -> None:
    # 05:00 EST == 10:00 UTC == 10:00 GMT on Mon 12 Jan 2026.
    start = datetime(2026, 1, 12, 5, tzinfo=ZoneInfo("America/New_York"))
    assert_utc(add_working_days(start, 1), utc(2026, 1, 13, 10))
    fixed = datetime(2026, 7, 13, 11, tzinfo=timezone(timedelta(hours=2)))  # 09:00 UTC == 10:00 BST
    assert_utc(add_working_days(fixed, 1), utc(2026, 7, 14, 9))


def test_default_hours_argument_is_keyword_only_and_equivalent() -> None:
    start = ldn(2026, 4, 2, 15)
    assert add_working_days(start, 1, hours=DEFAULT) == add_working_days(start, 1) == ldn(2026, 4, 7, 15)
    with pytest.raises(TypeError):
        add_working_days(start, 1, DEFAULT)  # type: ignore[misc]


@pytest.mark.parametrize("days", [-1, -0.5, Decimal("-0.01"), -100])
def test_add_working_days_refuses_negative(days: int | float | Decimal) -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(ldn(2026, 1, 12, 10), days)


@pytest.mark.parametrize("days", [float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity")])
def test_add_working_days_refuses_non_finite(days: float | Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        add_working_days(ldn(2026, 1, 12, 10), days)


@pytest.mark.parametrize("days", [True, "1", None])
def test_add_working_days_refuses_non_numbers(days: object) -> None:
    with pytest.raises(TypeError, match="days must be"):
        add_working_days(ldn(2026, 1, 12, 10), days)  # type: ignore[arg-type]


def test_add_working_days_refuses_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2026, 1, 12, 10), 1)  # noqa: DTZ001


# --------------------------------------------------------------------------- working_time_between


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(ldn(2026, 1, 12, 10), ldn(2026, 1, 12, 10), timedelta(0), id="same-instant"),
        pytest.param(ldn(2026, 1, 12, 10), ldn(2026, 1, 12, 12, 30), 2.5 * H, id="same-day"),
        pytest.param(ldn(2026, 1, 12, 8), ldn(2026, 1, 12, 18), 8 * H, id="whole-day-outside-hours"),
        pytest.param(ldn(2026, 1, 12, 18), ldn(2026, 1, 12, 23), timedelta(0), id="evening-only"),
        pytest.param(ldn(2026, 1, 12, 16), ldn(2026, 1, 13, 10), 2 * H, id="overnight"),
        pytest.param(ldn(2026, 1, 16, 16), ldn(2026, 1, 19, 10), 2 * H, id="across-weekend"),
        pytest.param(ldn(2026, 1, 17, 9), ldn(2026, 1, 18, 17), timedelta(0), id="weekend-only"),
        pytest.param(ldn(2026, 1, 12, 10), ldn(2026, 1, 19, 10), 40 * H, id="one-week"),
        pytest.param(ldn(2026, 4, 2, 15), ldn(2026, 4, 7, 15), 8 * H, id="easter-2026"),
        pytest.param(ldn(2026, 12, 24, 11), ldn(2026, 12, 29, 11), 8 * H, id="christmas-2026"),
        pytest.param(ldn(2027, 12, 24, 11), ldn(2027, 12, 29, 11), 8 * H, id="christmas-2027"),
        pytest.param(ldn(2026, 3, 27, 10), ldn(2026, 3, 30, 10), 8 * H, id="across-spring-dst"),
        pytest.param(ldn(2026, 10, 23, 10), ldn(2026, 10, 26, 10), 8 * H, id="across-autumn-dst"),
        pytest.param(utc(2026, 7, 13, 9), utc(2026, 7, 13, 15), 6 * H, id="utc-inputs-in-bst"),
        # negative: end before start (e.g. an overdue deadline)
        pytest.param(ldn(2026, 1, 12, 12, 30), ldn(2026, 1, 12, 10), -2.5 * H, id="negative-same-day"),
        pytest.param(ldn(2026, 1, 19, 10), ldn(2026, 1, 16, 16), -2 * H, id="negative-across-weekend"),
        pytest.param(ldn(2026, 4, 7, 15), ldn(2026, 4, 2, 15), -8 * H, id="negative-easter"),
        pytest.param(ldn(2026, 1, 12, 20), ldn(2026, 1, 12, 19), timedelta(0), id="negative-outside-hours"),
    ],
)
def test_working_time_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert working_time_between(start, end) == expected


def test_working_time_between_overdue_deadline_is_negative() -> None:
    received = ldn(2026, 1, 15, 11)  # Thursday
    deadline = add_working_days(received, 2)
    assert deadline == ldn(2026, 1, 19, 11)
    assert working_time_between(ldn(2026, 1, 16, 11), deadline) == 8 * H  # Friday: one day left
    assert working_time_between(ldn(2026, 1, 20, 9, 30), deadline) == -6.5 * H  # Tuesday: overdue


@pytest.mark.parametrize("naive_arg", ["start", "end"])
def test_working_time_between_refuses_naive(naive_arg: str) -> None:
    args = {"start": ldn(2026, 1, 12, 10), "end": ldn(2026, 1, 13, 10)}
    args[naive_arg] = args[naive_arg].replace(tzinfo=None)
    with pytest.raises(ValueError, match=f"{naive_arg} must be a timezone-aware"):
        working_time_between(**args)


@pytest.mark.parametrize(
    "start",
    [
        ldn(2026, 1, 12, 10),
        ldn(2026, 1, 16, 16, 20),
        ldn(2026, 1, 17, 12),
        ldn(2026, 3, 27, 15),
        ldn(2026, 4, 2, 15),
        ldn(2026, 10, 23, 7),
        ldn(2026, 12, 24, 11),
        ldn(2027, 12, 23, 17, 30),
    ],
)
@pytest.mark.parametrize("days", [0, 0.5, 1, 2, Decimal("3.75"), 10])
def test_working_time_between_inverts_add_working_days(start: datetime, days: float | Decimal) -> None:
    deadline = add_working_days(start, days)
    expected = timedelta(hours=float(8 * Decimal(str(days))))
    assert working_time_between(start, deadline) == expected
    assert working_time_between(deadline, start) == -expected


# --------------------------------------------------------------------------- OfficeHours


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 12), True),  # ordinary Monday
        (date(2026, 1, 17), False),  # Saturday
        (date(2026, 1, 18), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 4, 2), True),  # Maundy Thursday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday (England)
        (date(2026, 4, 7), True),
        (date(2026, 5, 4), False),  # Early May bank holiday
        (date(2026, 8, 31), False),  # Summer bank holiday (England)
        (date(2026, 8, 3), True),  # Scottish summer bank holiday is not an English one
        (date(2026, 11, 30), True),  # St Andrew's Day is Scotland only
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), False),
        (date(2026, 12, 28), False),  # Boxing Day (substitute)
        (date(2026, 12, 29), True),
        (date(2027, 12, 27), False),  # Christmas Day (substitute)
        (date(2027, 12, 28), False),  # Boxing Day (substitute)
        (date(2027, 12, 29), True),
    ],
)
def test_is_working_day_default(day: date, expected: bool) -> None:
    assert DEFAULT_OFFICE_HOURS.is_working_day(day) is expected


def test_default_office_hours_values() -> None:
    hours = OfficeHours()
    assert hours == DEFAULT == DEFAULT_OFFICE_HOURS
    assert (hours.start, hours.end, hours.tz, hours.country, hours.subdiv) == (
        time(9),
        time(17),
        "Europe/London",
        "GB",
        "ENG",
    )
    assert hours.weekdays == frozenset({0, 1, 2, 3, 4})
    assert hours.day_length == OFFICE_DAY


def test_office_hours_is_frozen_and_hashable() -> None:
    hours = OfficeHours(weekdays={0, 1, 2})  # type: ignore[arg-type]
    assert isinstance(hours.weekdays, frozenset)
    assert hash(hours) == hash(OfficeHours(weekdays=frozenset({2, 1, 0})))
    with pytest.raises(dataclasses.FrozenInstanceError):
        hours.start = time(8)  # type: ignore[misc]


def test_bank_holidays_are_cached_per_year() -> None:
    first = bank_holidays("GB", "ENG", 2026)
    assert bank_holidays("GB", "ENG", 2026) is first
    assert date(2026, 4, 3) in first
    assert date(2027, 3, 26) not in first


@pytest.mark.parametrize(
    ("hours", "start", "days", "expected"),
    [
        pytest.param(
            OfficeHours(start=time(8, 30), end=time(16, 30)),
            ldn(2026, 1, 12, 9),
            1,
            ldn(2026, 1, 13, 9),
            id="08:30-16:30-mon-09:00+1",
        ),
        pytest.param(
            OfficeHours(start=time(8, 30), end=time(16, 30)),
            ldn(2026, 1, 12, 8),
            0.5,
            ldn(2026, 1, 12, 12, 30),
            id="08:30-16:30-before-opening+0.5",
        ),
        pytest.param(
            OfficeHours(start=time(10), end=time(14)),
            ldn(2026, 1, 12, 13),
            1,
            ldn(2026, 1, 13, 13),
            id="short-day-10:00-14:00",
        ),
        pytest.param(
            OfficeHours(start=time(10), end=time(14)),
            ldn(2026, 1, 12, 13),
            0.5,
            ldn(2026, 1, 13, 11),
            id="short-day-half-is-2h",
        ),
        pytest.param(
            OfficeHours(weekdays=frozenset({0, 1, 2, 3, 4, 5})),
            ldn(2026, 1, 16, 16),
            1,
            ldn(2026, 1, 17, 16),
            id="saturday-working-fri+1=sat",
        ),
        pytest.param(
            OfficeHours(weekdays=frozenset({0, 2, 4})),
            ldn(2026, 1, 12, 10),
            2,
            ldn(2026, 1, 16, 10),
            id="mon-wed-fri-only",
        ),
        pytest.param(
            OfficeHours(subdiv="SCT"),
            ldn(2026, 4, 2, 15),
            1,
            ldn(2026, 4, 6, 15),
            id="scotland-works-easter-monday",
        ),
        pytest.param(
            OfficeHours(subdiv="SCT"),
            ldn(2026, 12, 31, 10),
            1,
            ldn(2027, 1, 5, 10),
            id="scotland-2-january-substitute",
        ),
        pytest.param(
            OfficeHours(tz="UTC"),
            utc(2026, 7, 13, 16, 30),
            0.25,
            utc(2026, 7, 14, 10, 30),
            id="utc-office-in-summer",
        ),
        pytest.param(
            DEFAULT_OFFICE_HOURS,
            utc(2026, 7, 13, 16, 30),
            0.25,
            utc(2026, 7, 14, 10),
            id="london-office-same-instant-in-summer",
        ),
    ],
)
def test_custom_office_hours(hours: OfficeHours, start: datetime, days: float, expected: datetime) -> None:
    result = add_working_days(start, days, hours=hours)
    assert_utc(result, expected)
    assert working_time_between(start, result, hours=hours) == days * hours.day_length


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": time(17), "end": time(9)}, "before"),
        ({"start": time(9), "end": time(9)}, "before"),
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({5, 7})}, "weekdays"),
        ({"start": time(9, tzinfo=UTC)}, "naive"),
    ],
)
def test_office_hours_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OfficeHours(**kwargs)  # type: ignore[arg-type]


def test_office_hours_unknown_timezone() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        OfficeHours(tz="Europe/Atlantis")
