"""In Chromium: approving and refusing in place on /decisions/ updates the navigation's count and the
section's count without a reload (htmx out-of-band swaps), and the menu still works afterwards."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import check_accessibility

PASSWORD = "correct-horse-battery-staple-42"


def test_in_place_decisions_update_the_counts(site, new_context):
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor")
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    signoffs = [
        factories.AwaitingSignoffWarningFactory(
            drafted_by=officer, case__account__handle=f"resident_{n}"
        ).signoffs.get()
        for n in range(3)
    ]
    page = new_context().new_page()
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site.url}/decisions/")

    decisions = page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Decisions"))
    expect(decisions).to_have_text(re.compile(r"Decisions\s+3"))
    expect(page.locator("#signoffs-count")).to_have_text("(3)")

    first = page.locator(f"#signoff-{signoffs[0].pk}")
    first.get_by_role("button", name=re.compile(r"^Approve")).click()
    expect(first).to_contain_text("signed off")
    expect(decisions).to_have_text(re.compile(r"Decisions\s+2"))
    expect(page.locator("#signoffs-count")).to_have_text("(2)")
    expect(decisions).to_have_attribute("aria-current", "page")

    second = page.locator(f"#signoff-{signoffs[1].pk}")
    second.get_by_text("Refuse", exact=False).first.click()
    second.get_by_label("Reason for refusing").fill("Too harsh; soften the second paragraph.")
    second.get_by_role("button", name="Refuse", exact=True).click()
    expect(second).to_contain_text("refused")
    expect(decisions).to_have_text(re.compile(r"Decisions\s+1"))
    expect(page.locator("#signoffs-count")).to_have_text("(1)")
    assert page.locator("template").count() == 0  # the out-of-band wrappers leave nothing behind
    check_accessibility(page, "decisions after two decisions in place")

    # the menu toggle (GOV.UK's service navigation, on a narrow screen) still holds the list
    page.set_viewport_size({"width": 360, "height": 800})
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    expect(decisions).to_be_visible()
    toggle.click()
    expect(decisions).to_be_hidden()
