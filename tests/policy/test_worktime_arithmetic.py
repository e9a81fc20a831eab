"""Working time is counted arithmetically (whole weeks, then the holidays in range), and agrees with the
day-by-day walk over random ranges and random calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from policy.worktime import OfficeHours, add_working_days, working_time_between, working_time_between_by_day

LONDON = ZoneInfo("Europe/London")
instants = st.datetimes(  # hypothesis takes naive bounds and adds the zone
    min_value=datetime(2019, 1, 1),  # noqa: DTZ001
    max_value=datetime(2031, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))


@st.composite
def calendars(draw) -> OfficeHours:
    start_hour = draw(st.integers(0, 22))
    end_hour = draw(st.integers(start_hour + 1, 23))
    country, subdiv = draw(st.sampled_from([("GB", "ENG"), ("GB", "SCT"), ("GB", "NIR"), ("", "")]))
    return OfficeHours(
        start=time(start_hour, draw(st.sampled_from([0, 30]))),
        end=time(end_hour, draw(st.sampled_from([0, 45]))),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        country=country,
        subdiv=subdiv,
        closures=draw(st.frozensets(days, max_size=12)),
        extra_working_days=draw(st.frozensets(days, max_size=6)),
    )


@settings(max_examples=400, deadline=None)
@given(hours=calendars(), start=instants, end=instants)
def test_arithmetic_agrees_with_the_day_by_day_walk(hours, start, end):
    assert working_time_between(start, end, hours=hours) == working_time_between_by_day(start, end, hours=hours)


@settings(max_examples=200, deadline=None)
@given(hours=calendars(), first=days, length=st.integers(-3, 2_000))
def test_working_days_in_counts_what_is_working_day_says(hours, first, length):
    last = first + timedelta(days=length)
    walked = sum(hours.is_working_day(first + timedelta(days=n)) for n in range(length + 1))
    assert hours.working_days_in(first, last) == walked


def test_a_scottish_calendar_does_not_work_on_st_andrews_day():
    scotland = OfficeHours(subdiv="SCT")
    england = OfficeHours(subdiv="ENG")
    st_andrews = date(2026, 11, 30)  # a Monday
    assert not scotland.is_working_day(st_andrews)
    assert england.is_working_day(st_andrews)
    friday = datetime(2026, 11, 27, 10, tzinfo=LONDON)
    assert add_working_days(friday, 1, hours=scotland) == datetime(2026, 12, 1, 10, tzinfo=LONDON)


def test_a_christmas_shutdown_and_a_saturday_opening():
    shutdown = frozenset(date(2026, 12, d) for d in (29, 30, 31))
    hours = OfficeHours(closures=shutdown, extra_working_days={date(2026, 12, 19)})
    assert not hours.is_working_day(date(2026, 12, 29))
    assert hours.is_working_day(date(2026, 12, 19))  # a Saturday
    # Thu 24 Dec 17:00 → next working day is Mon 4 Jan (25, 28 bank holidays; 29–31 shut; 1 Jan holiday)
    christmas_eve = datetime(2026, 12, 24, 17, tzinfo=LONDON)
    assert add_working_days(christmas_eve, 1, hours=hours) == datetime(2027, 1, 4, 17, tzinfo=LONDON)
    assert hours.working_days_in(date(2026, 12, 19), date(2026, 12, 31)) == 5  # Sat 19, Mon 21–Thu 24
