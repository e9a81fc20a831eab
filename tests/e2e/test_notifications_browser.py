"""In Chromium, with axe: a manager opens "Your notifications" from the identity bar, sees what they were
told and where it went, and chooses a daily digest (issue 12), at a desktop width and at 320 px with no
sideways scrolling."""

from __future__ import annotations

from django.db import transaction
from playwright.sync_api import expect

from escalation import services
from escalation.models import NotificationChoice, NotificationPreference
from tests import factories
from tests.e2e.conftest import check_accessibility, sign_in

PASSWORD = "correct-horse-battery-staple-42"


def test_a_manager_chooses_a_daily_digest(site, new_context):
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    officer = factories.OfficerFactory(username="olivia")
    case = factories.OpenCaseFactory(recorded_by=officer)
    with transaction.atomic():
        warning = services.warning_draft(actor=officer, case=case)
        services.warning_submit(actor=officer, warning=warning)

    page = new_context().new_page()
    sign_in(page, site.url, manager.username, PASSWORD)
    page.goto(f"{site.url}/cases/")
    page.get_by_role("link", name="Your notifications").click()
    expect(page.get_by_role("heading", name="Your notifications", level=1)).to_be_visible()
    expect(page.get_by_label("An email for each event")).to_be_checked()
    expect(page.get_by_role("table")).to_contain_text("Waiting for your decision")
    check_accessibility(page, "your notifications")

    page.get_by_label("One email a day listing them (a daily digest)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Saved")
    expect(page.get_by_label("One email a day listing them (a daily digest)")).to_be_checked()
    assert NotificationPreference.objects.get(user=manager).choice == NotificationChoice.DIGEST
    check_accessibility(page, "your notifications, saved")

    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    check_accessibility(page, "your notifications at 320 px")
