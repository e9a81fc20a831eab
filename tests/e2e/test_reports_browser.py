"""In Chromium: the reports page as a manager (issue 14): axe, reflow and target sizes at 1280 px, 200 %
zoom and 320 px, with figures and with a bad date; the chart is an image with its text alternative; the
CSV, XLSX and ODS downloads arrive with the page's figures. Screenshots for docs/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from escalation.reports import last_full_month, local_midnight
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import audit

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-staple-42"


def test_the_reports_page_and_its_downloads(site, new_context):
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor")
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    first, last = last_full_month(clock.now().date())
    start = local_midnight(first)
    channel = factories.ChannelFactory(name="Council Facebook page")
    for n in range(6):
        when = start + timedelta(days=n * 4, hours=10)
        case = factories.OpenCaseFactory(
            channel=channel, recorded_by=officer, recorded_at=when, response_due_at=when + timedelta(days=1)
        )
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.POST_HIDDEN if n % 2 else EventKind.POST_DELETED,
            actor_label="Olivia Okafor",
            at=when + timedelta(hours=2),
            subject_type="case",
            subject_id=case.pk,
        )
    page = new_context().new_page()
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()

    expect(page.get_by_role("heading", name=re.compile(r"^Figures from"))).to_contain_text(f"{last:%-d %B %Y}")
    expect(page.locator('[data-figure="cases_opened"] td')).to_have_text("6")
    expect(page.locator('[data-figure="posts_deleted"] td')).to_have_text("3")
    chart = page.get_by_role("img", name="Cases opened per month")
    expect(chart).to_be_visible()
    audit(page, "the reports page")
    screenshot(page, "reports")
    page.set_viewport_size({"width": 320, "height": 800})
    screenshot(page, "reports-320px")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^CSV.*figures")).click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert ["Volumes", "Cases opened", "6"] in rows
    for name in ("Excel", "OpenDocument"):
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile(rf"^{name}")).click()
        assert download.value.path().stat().st_size > 1000

    # a date that is not a date: the error summary and the field, checked the same way
    page.get_by_role("group", name="From").get_by_label("Day").fill("31")
    page.get_by_role("group", name="From").get_by_label("Month").fill("2")
    page.get_by_role("button", name="Show the figures").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The start date must be a real date")
    audit(page, "the reports page with a bad date")


def test_a_statement_of_reasons_on_the_case_page(site, new_context):
    """A hidden post's statement: opened, its fields and the message to send, checked with axe, reflow and
    target sizes at every size."""
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    case = factories.OpenCaseFactory(recorded_by=officer, reason="Called a resident an idiot.")
    post = case.posts.get()
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.POST_HIDDEN,
        actor=officer,
        actor_label="Olivia Okafor",
        subject_type="post",
        subject_id=post.pk,
    )
    page = new_context().new_page()
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site.url}/cases/{case.pk}/#statements")
    page.get_by_text(f"Post {post.pk} hidden").click()
    message = page.get_by_label("Plain-language version to send to the account owner")
    expect(message).to_be_visible()
    expect(message).to_have_value(re.compile(r"we hid your post"))
    audit(page, "a statement of reasons on the case page")
