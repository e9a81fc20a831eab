"""In Chromium: the Managing Director decides an appeal on the workspace's appeal page, and anyone
reads the accessibility statement (issue 16, items 3 and 8).

Each page and error state is checked with axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules
(``wcag2a``, ``wcag2aa``, ``wcag21aa``, ``wcag22aa``) at 1280 and 320 pixels wide, failing on a
violation of any impact. The pictures go to docs/screenshots/ (the clock is fixed, so they hold
the same dates from run to run).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from escalation.constants import AppealStatus, BlockStatus
from escalation.models import Appeal
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories
from tests.e2e.conftest import screenshot, sign_in

START = datetime(2026, 12, 7, 10, 15, tzinfo=ZoneInfo("Europe/London"))  # a Monday, in office hours
PASSWORD = "a-Long-pass-2026"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 320, "height": 800}


def check_wcag(page: Page, name: str, *, preload: bool = True) -> None:
    """axe-core with the WCAG A and AA rules up to 2.2: no violation, whatever its impact.

    ``preload=False`` for the Django admin: its stylesheets ``@import`` others, which axe would copy
    into ``<style>`` elements that the CSP (rightly) blocks; only css-orientation-lock needs them.
    """
    result = page.evaluate(
        """async ([tags, preload]) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], preload: preload})""",
        [WCAG_TAGS, preload],
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not bad, f"WCAG violations on {name} at {page.viewport_size['width']} px:\n" + "\n".join(bad)


def at_both_sizes(page: Page, name: str, *, preload: bool = True) -> None:
    """axe at 1280 and at 320 pixels wide; the page is left at 1280."""
    for size in (NARROW, WIDE):
        page.set_viewport_size(size)
        check_wcag(page, name, preload=preload)


def sideways_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: it reflows)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def right_edge(page: Page, selector: str) -> float:
    return page.evaluate(
        "(sel) => Math.max(...[...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect().right))",
        selector,
    )


@pytest.fixture
def world(site):
    with ExitStack() as stack:
        stack.enter_context(clock.shifted(START - clock.now()))
        officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor")
        md = factories.ManagingDirectorFactory(
            username="martha", first_name="Martha", last_name="Marsh", password=PASSWORD
        )
        account = factories.SocialAccountFactory(handle="binrage77", display_name="Gary Pike")
        appeal = factories.UnderReviewAppealFactory(
            block__account=account,
            block__case__account=account,
            block__reason="Threats to the waste crews after a written warning.",
            block__md_acknowledged_by=md,
            block__md_acknowledged_at=clock.now(),
            recorded_by=officer,
            received_via="Email",
            grounds="It has been over a year and I have not posted anything like that since.",
        )
        yield SimpleNamespace(officer=officer, md=md, appeal=appeal)


def test_the_managing_director_decides_an_appeal_on_the_workspace_page(site, world, new_context):
    appeal = world.appeal
    page = new_context().new_page()
    sign_in(page, site.url, "martha", PASSWORD)
    expect(page).to_have_url(f"{site.url}/decisions/")

    # From the decisions inbox to the appeal's page.
    page.locator("#appeals").get_by_role("link", name="Appeal against the").click()
    expect(page).to_have_url(f"{site.url}/appeals/{appeal.pk}/")
    expect(page.get_by_role("heading", name="Your decision")).to_be_visible()
    at_both_sizes(page, "the appeal page")

    # Without a reason: an error summary, focused, and an error by the field; nothing is decided.
    page.get_by_label("Overturn: lift the block").check()
    page.get_by_role("button", name="Record the decision").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Give the reason for the decision")).to_be_visible()
    expect(page.locator("#id_reason-error")).to_contain_text("Give the reason for the decision")
    expect(page).to_have_title(re.compile(rf"^Error: Appeal {appeal.pk}: @binrage77 – Moderation Casework – "))
    expect(page.get_by_label("Overturn: lift the block")).to_be_checked()
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.UNDER_REVIEW
    at_both_sizes(page, "the appeal page with an error")

    # At 320 px the form itself fits the screen: radios, reason, button.
    page.set_viewport_size(NARROW)
    assert right_edge(page, "form[novalidate] .govuk-radios__item, #id_reason, form[novalidate] .govuk-button") <= 320
    page.locator("#id_reason").scroll_into_view_if_needed()
    screenshot(page, "appeal-decision-error-320px")
    page.set_viewport_size(WIDE)
    screenshot(page, "appeal-decision-error")

    # The summary's link takes the focus to the field; she gives the reason and decides.
    summary.get_by_role("link", name="Give the reason for the decision").click()
    expect(page.locator("#id_reason")).to_be_focused()
    page.keyboard.type("A year without incident, and the grounds are credible.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Appeal overturned: the block is lifted.")
    expect(page.get_by_role("heading", name="Decision: overturned")).to_be_visible()
    expect(page.get_by_role("heading", name="Your decision")).to_have_count(0)
    at_both_sizes(page, "the decided appeal")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (
        AppealStatus.OVERTURNED,
        world.md,
        "A year without incident, and the grounds are credible.",
    )
    assert appeal.block.status == BlockStatus.LIFTED
    decided = CaseEvent.objects.filter(case_id=appeal.block.case_id, kind=EventKind.APPEAL_OVERTURNED)
    assert decided.count() == 1

    # The footer links the statement.
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page).to_have_url(f"{site.url}/accessibility/")
    expect(page.get_by_role("heading", name="Accessibility statement for Moderation Casework")).to_be_visible()


def test_the_admin_appeal_page_only_points_to_the_workspace(site, world, new_context):
    """The Managing Director in the admin: no decision buttons, a link to the workspace page; the
    history and timeline tables scroll in their own containers at 320 px instead of being cut off;
    the appeal page and the list pass axe's WCAG rules too."""
    md = world.md
    md.is_staff = True
    md.save(update_fields=["is_staff"])
    page = new_context().new_page()
    sign_in(page, site.url, "martha", PASSWORD)
    page.goto(f"{site.url}/admin/escalation/appeal/{world.appeal.pk}/change/")
    expect(page.get_by_role("button", name="Uphold: the block stays")).to_have_count(0)
    at_both_sizes(page, "the admin's appeal page", preload=False)
    link = page.get_by_role("link", name=f"Decide appeal {world.appeal.pk} in the workspace")
    expect(link).to_be_visible()
    assert page.evaluate("(el) => getComputedStyle(el).textDecorationLine", link.element_handle()) == "underline"
    expect(page.get_by_role("table", name="The account's whole history, newest first")).to_be_visible()
    page.set_viewport_size(NARROW)
    # each table's container stays inside the window and scrolls its table
    for container in page.locator(".mc-table-scroll").all():
        box = container.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 320
    wider = page.evaluate(
        "() => [...document.querySelectorAll('.mc-table-scroll')].some(c => c.scrollWidth > c.clientWidth)"
    )
    assert wider, "at 320 px the tables are wider than the screen, so their containers must scroll"
    page.set_viewport_size(WIDE)
    link.click()
    expect(page).to_have_url(f"{site.url}/appeals/{world.appeal.pk}/")

    # the admin's filter links are at least 24 px tall (2.5.8)
    page.goto(f"{site.url}/admin/escalation/appeal/")
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#changelist-filter li a')].map(a => a.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 24
    at_both_sizes(page, "the admin's list of appeals", preload=False)
    expect(page.get_by_role("link", name="Accessibility statement")).to_be_visible()


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_the_accessibility_statement(site, world, new_context, signed_in):
    page = new_context().new_page()
    if signed_in:
        sign_in(page, site.url, "martha", PASSWORD)
    page.goto(f"{site.url}/accessibility/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement for Moderation Casework")
    expect(page.get_by_text("This service is partially compliant with the")).to_be_visible()
    at_both_sizes(page, "the accessibility statement")
    page.set_viewport_size(NARROW)
    assert sideways_overflow(page) == 0
    if not signed_in:
        screenshot(page, "accessibility-statement-320px")
        page.set_viewport_size(WIDE)
        screenshot(page, "accessibility-statement")
