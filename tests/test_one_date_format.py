"""Issue 10, item 6: dates are printed one way everywhere, "2 December 2027" (and "2 December 2027,
09:05" with a time), never "02 December 2027" nor "2 Dec 2027". The format lives in one place
(``config/formats/en_GB/formats.py``); templates print dates with the ``london``, ``london_date`` and
``london_time`` filters, Python with ``policy.dates``; no template, email or module names another."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats

from moderation import clock
from policy import dates
from tests import factories

ROOT = Path(settings.BASE_DIR)
LONDON = ZoneInfo("Europe/London")
# 09:05 in London on 2 December 2027 (GMT), and 00:30 on 1 July 2027 (BST: 23:30 UTC the day before)
DECEMBER = datetime(2027, 12, 2, 9, 5, tzinfo=LONDON)
SUMMER_NIGHT = datetime(2027, 7, 1, 0, 30, tzinfo=LONDON)

# a date filter given its own format ('c', the machine-readable ISO 8601 of a <time datetime>, aside)
TEMPLATE_FORMAT = re.compile(r"""\|\s*(?:date|time|london\w*)\s*:\s*(["'])(?!c\1)[^"']*\1""")
# display formats in Python: strftime's names of months and days, and Django's format characters
# (the numeric 27/03/2026 14:05 a form is prefilled with is what people type, not a display format)
PYTHON_FORMAT = re.compile(r"""%-?[bBaA]|["'][^"'\n]*\b[jdD] [FMNbE] [Yy]\b[^"'\n]*["']""")


def templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))


def python_modules() -> list[Path]:
    found = []
    for app in ("config", "escalation", "moderation", "policy"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.is_relative_to(ROOT / "config" / "formats"):
                continue
            found.append(path)
    return sorted(found)


def test_no_template_names_a_date_format_of_its_own():
    assert templates(), "no templates found"
    offending = [
        f"{path.relative_to(ROOT)}:{n}: {match.group(0)}"
        for path in templates()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for match in TEMPLATE_FORMAT.finditer(line)
    ]
    assert offending == []


def test_no_module_prints_a_date_in_a_format_of_its_own():
    offending = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in python_modules()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if PYTHON_FORMAT.search(line) and "strptime" not in line
    ]
    assert offending == []


def test_the_one_format_is_the_settings():
    assert formats.get_format("DATE_FORMAT") == "j F Y"
    assert formats.get_format("DATETIME_FORMAT") == "j F Y, H:i"
    assert dates.say_date(DECEMBER) == "2 December 2027"
    assert dates.say_datetime(DECEMBER) == "2 December 2027, 09:05"
    assert dates.say_date(date(2027, 12, 2)) == "2 December 2027"
    assert dates.say_datetime(None) == "—"
    # read on the London clock, not UTC's (30 June 23:30 UTC)
    assert dates.say_datetime(SUMMER_NIGHT.astimezone(ZoneInfo("UTC"))) == "1 July 2027, 00:30"


@pytest.mark.django_db
def test_the_pages_print_dates_one_way(client, officer):
    with clock.travel_to(DECEMBER):
        warning = factories.SentWarningFactory()
        block = factories.ActiveBlockFactory(case=warning.case)
    client.force_login(officer)

    pages = [
        unescape(client.get(reverse("escalation:warning_detail", args=[warning.pk])).content.decode()),
        unescape(client.get(reverse("moderation:account_detail", args=[block.account_id])).content.decode()),
        unescape(client.get(reverse("escalation:block_detail", args=[block.pk])).content.decode()),
    ]

    warning_page, account_page, block_page = pages
    assert "Sent</dt><dd class=\"govuk-summary-list__value\">2 December 2027, 09:05" in warning_page
    assert "since 2 December 2027" in account_page
    assert "2 December 2027" in block_page
    for page in pages:
        assert not re.search(r"\b0\d (January|February|March|April|May|June|July|August|September|October|"
                             r"November|December) \d{4}", page)
        assert not re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", page)


@pytest.mark.django_db
def test_an_email_prints_dates_the_same_way():
    with clock.travel_to(DECEMBER):
        block = factories.ActiveBlockFactory()
    text = render_to_string(
        "escalation/email/overdue_chase.txt",
        {"blocks": [{"block": block, "url": "/"}], "block_count": 1, "signoff_count": 0, "organisation": "NHDC"},
    )
    assert "started on 2 December 2027, 09:05" in text
