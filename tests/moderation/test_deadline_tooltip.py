"""The deadline's tooltip prints its date in the product's one format ("2 December 2027, 09:05")."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from moderation import clock
from moderation.templatetags.workspace import london, time_left

LONDON = ZoneInfo("Europe/London")
DUE = datetime(2027, 12, 2, 9, 5, tzinfo=LONDON)  # a Thursday
pytestmark = pytest.mark.django_db  # the time left is counted in the policy's calendar


@pytest.mark.parametrize("day", [1, 6], ids=["before", "overdue"])
def test_the_tooltip_has_no_leading_zero(day):
    now = datetime(2027, 12, day, 10, 0, tzinfo=LONDON)
    with clock.travel_to(now):
        html = time_left(DUE)
    assert 'title="Due 2 December 2027, 09:05 ' in html
    assert "02 Dec" not in html


def test_the_tooltip_uses_the_same_format_as_the_pages():
    with clock.travel_to(datetime(2027, 12, 1, 10, 0, tzinfo=LONDON)):
        html = time_left(DUE)
    assert f"Due {london(DUE)} " in html


def test_the_admins_dates_have_no_leading_zero():
    from escalation.admin import _when

    assert _when(DUE) == "2 December 2027, 09:05"
    assert _when(None) == "—"
