"""In Chromium, with axe: crisis mode switched on and off by a manager, a pre-election period on and
off (issue 12, Hart's policy), at a desktop width and at 320 px with no sideways scrolling."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from moderation import clock
from moderation.constants import Priority
from moderation.models import ElectionPeriod
from tests import factories
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

PASSWORD = "correct-horse-battery-staple-42"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_manager_switches_crisis_mode_on_and_off(site, new_context):
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    normal = factories.OpenCaseFactory(
        priority=Priority.NORMAL, response_due_at=clock.now() + timedelta(hours=1), account__handle="early_normal"
    )
    urgent = factories.OpenCaseFactory(
        priority=Priority.URGENT, response_due_at=clock.now() + timedelta(days=2), account__handle="later_urgent"
    )
    page = new_context().new_page()
    sign_in(page, site.url, manager.username, PASSWORD)
    page.goto(f"{site.url}/cases/")
    page.get_by_role("link", name="Crisis mode").click()
    expect(page.get_by_role("heading", name="Crisis mode", level=1)).to_be_visible()
    check_accessibility(page, "crisis mode, off")

    page.get_by_role("button", name="Switch crisis mode on").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what has happened")
    check_accessibility(page, "crisis mode, no reason given")

    page.get_by_label("What has happened?").fill("Flooding in Hitchin: urgent service updates only")
    page.get_by_role("button", name="Switch crisis mode on").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Crisis mode is on")

    page.goto(f"{site.url}/cases/")
    banner = page.get_by_role("region", name="In force now")
    expect(banner).to_contain_text("Crisis mode")
    expect(banner).to_contain_text("Flooding in Hitchin")
    rows = page.locator("#main-content table tbody tr")
    expect(rows.first).to_contain_text(urgent.account.handle)
    expect(rows.nth(1)).to_contain_text(normal.account.handle)
    check_accessibility(page, "the queue in crisis mode")
    screenshot(page, "crisis-mode-queue")
    page.set_viewport_size({"width": 320, "height": 800})
    no_sideways_scroll(page)
    check_accessibility(page, "the queue in crisis mode at 320 px")
    screenshot(page, "crisis-mode-queue-320")
    page.set_viewport_size({"width": 1280, "height": 900})

    banner.get_by_role("link", name="Switch crisis mode off").click()
    page.get_by_label("Anything the team should know (optional)").fill("Water receding; back to normal.")
    page.get_by_role("button", name="Switch crisis mode off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Crisis mode is off")
    expect(page.get_by_role("region", name="In force now")).to_have_count(0)
    expect(page.get_by_role("table")).to_contain_text("Flooding in Hitchin")
    check_accessibility(page, "crisis mode, with one earlier crisis")


def test_a_pre_election_period_on_and_off(site, new_context):
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    today = timezone.localdate(clock.now())
    period = ElectionPeriod.objects.create(
        name="District council elections, 6 May 2027", starts_on=today, ends_on=today + timedelta(days=30)
    )
    page = new_context().new_page()
    sign_in(page, site.url, officer.username, PASSWORD)
    page.goto(f"{site.url}/cases/new/")
    banner = page.get_by_role("region", name="In force now")
    expect(banner).to_contain_text("Pre-election period")
    expect(banner).to_contain_text("District council elections, 6 May 2027")
    expect(page.get_by_text("A pre-election period is on: party-political rules come first.")).to_be_visible()
    check_accessibility(page, "recording a case in a pre-election period")
    page.set_viewport_size({"width": 320, "height": 800})
    no_sideways_scroll(page)
    screenshot(page, "pre-election-period-320")

    period.delete()  # as in the admin: the next page no longer says so
    page.goto(f"{site.url}/cases/")
    expect(page.get_by_role("region", name="In force now")).to_have_count(0)
