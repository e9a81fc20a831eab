"""In Chromium: a safeguarding case from recording to referral on a Saturday night (issue 12).

The officer records a self-harm post under the house rule marked safeguarding at 23:10 on a Saturday;
the safeguarding lead, and only she, is emailed at once; the officer's page holds back the warning and
block and does not show the post's text; the lead finds the case on top of the queue with its red tag,
reads the post, is told clearly what is missing from the referral, records it, and the ladder opens
again. Every page and error state passes axe-core's WCAG 2.0/2.1/2.2 A and AA rules at 1280 and 320
pixels wide.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from moderation import clock
from moderation.constants import EventKind, SafeguardingAgency
from moderation.models import Case, CaseEvent, HouseRule, SafeguardingReferral
from policy.roles import RESTRICTED_TEXT
from tests import factories
from tests.e2e.conftest import check_accessibility, sign_in

SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 10, tzinfo=ZoneInfo("Europe/London"))
PASSWORD = "a-Long-pass-2026"
POST = "nobody would notice if I wasn't here anymore, I've been saving my tablets"
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 320, "height": 800}


def at_both_sizes(page: Page, name: str) -> None:
    """axe at 320 and 1280 pixels wide, and no sideways scrolling at 320; the page is left at 1280."""
    for size in (NARROW, WIDE):
        page.set_viewport_size(size)
        check_accessibility(page, f"{name} at {size['width']} px")
        if size is NARROW:
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways at 320 px"


@pytest.fixture
def world(site):
    with ExitStack() as stack:
        stack.enter_context(clock.shifted(SATURDAY_NIGHT - clock.now()))
        officer = factories.OfficerFactory(
            username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD
        )
        lead = factories.SafeguardingLeadFactory(
            username="sophie", first_name="Sophie", last_name="Shah", email="sophie@council.example", password=PASSWORD
        )
        manager = factories.ManagerFactory(username="maya", email="maya@council.example")
        channel = factories.ChannelFactory(name="North Herts Council (Facebook)", handle="northhertsdc")
        rule = HouseRule.objects.create(
            code="self-harm", title="Explicit or technical detail of self-harm or suicide", safeguarding=True
        )
        ordinary = factories.OpenCaseFactory(channel=channel)  # an older case, due sooner
        yield SimpleNamespace(
            officer=officer, lead=lead, manager=manager, channel=channel, rule=rule, ordinary=ordinary
        )


def test_a_safeguarding_case_from_recording_to_referral_at_a_weekend(site, world, new_context, mailoutbox):
    # Saturday 23:10: the officer records the post under the safeguarding rule.
    officer = new_context().new_page()
    sign_in(officer, site.url, "olivia", PASSWORD)
    officer.goto(f"{site.url}/cases/new/")
    officer.get_by_label("Channel", exact=True).select_option(label="North Herts Council (Facebook)")
    officer.get_by_label("Account handle").fill("@quiet_one_17")
    officer.get_by_label("Post text").fill(POST)
    officer.get_by_label("Date and time of the post").fill("05/12/2026 22:58")
    officer.get_by_label("Explicit or technical detail of self-harm or suicide").check()
    officer.get_by_label("Why it is unacceptable").fill("Reply to our wellbeing post: a risk to the author.")
    officer.get_by_role("button", name="Record the case").click()
    case = Case.objects.get(account__handle="quiet_one_17")
    expect(officer).to_have_url(f"{site.url}/cases/{case.pk}/")

    # Marked at once, the lead alerted by email (and nobody else), the decision due in 4 clock hours.
    assert timedelta(0) <= case.safeguarding_at - SATURDAY_NIGHT < timedelta(minutes=5)
    assert case.safeguarding_due_at - case.safeguarding_at == timedelta(hours=4)
    assert [m.to for m in mailoutbox] == [["sophie@council.example"]]
    assert POST not in mailoutbox[0].body
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SAFEGUARDING_LEADS_ALERTED).count() == 1
    banner = officer.locator("#safeguarding")
    expect(banner).to_contain_text(re.compile(r"Waiting for a safeguarding lead's decision: 3h 5\dm left|4h left"))
    # The officer sees that a safeguarding case exists, not what the post says; no warning or block.
    expect(officer.locator(".app-post-text")).to_have_text(RESTRICTED_TEXT)
    expect(officer.get_by_text(POST)).to_have_count(0)
    expect(officer.get_by_role("link", name="Draft a warning")).to_have_count(0)
    expect(officer.get_by_role("link", name="Propose a block")).to_have_count(0)
    at_both_sizes(officer, "the safeguarding case as the officer")

    # The lead: the case tops the queue with a red Safeguarding tag, timed in hours.
    lead = new_context().new_page()
    sign_in(lead, site.url, "sophie", PASSWORD)
    lead.goto(f"{site.url}/cases/")
    first_row = lead.locator("tbody tr").first
    expect(first_row).to_contain_text("Safeguarding")
    expect(first_row).to_contain_text("@quiet_one_17")
    expect(first_row).to_contain_text("for the safeguarding lead")
    at_both_sizes(lead, "the queue with a safeguarding case")

    first_row.get_by_role("link", name="@quiet_one_17").click()
    expect(lead.locator(".app-post-text")).to_have_text(POST)
    lead.get_by_role("link", name="Record the safeguarding decision").click()
    expect(lead.get_by_label("Who made the referral")).to_have_value("Sophie Shah")
    expect(lead.get_by_label("Time referred")).to_have_value(re.compile(r"^23:1\d$"))
    at_both_sizes(lead, "the referral form")

    # A referral without its reference: a clear message, nothing stored.
    lead.get_by_label("Local authority children's services").check()
    lead.get_by_role("button", name="Record the decision").click()
    summary = lead.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the reference the agency gave")
    assert not SafeguardingReferral.objects.exists()
    at_both_sizes(lead, "the referral form with an error")

    lead.get_by_label("Reference").fill("MASH-2026-0042")
    lead.get_by_label("What was the person signposted to? (optional)").fill("Samaritans 116 123")
    lead.get_by_role("button", name="Record the decision").click()
    expect(lead.locator(".govuk-notification-banner--success, .govuk-notification-banner").first).to_contain_text(
        "Safeguarding decision recorded"
    )
    expect(lead.locator("#safeguarding")).to_contain_text("MASH-2026-0042")
    expect(lead.locator("#safeguarding")).to_contain_text("Samaritans 116 123")
    at_both_sizes(lead, "the case after the referral")

    referral = SafeguardingReferral.objects.get(case=case)
    assert (referral.agency, referral.referred_by) == (SafeguardingAgency.LA_CHILDREN, "Sophie Shah")
    assert timedelta(0) <= referral.referred_at - SATURDAY_NIGHT < timedelta(minutes=10)  # Saturday night
    # The ladder is offered again to the officer; the text stays for the leads.
    officer.reload()
    expect(officer.get_by_role("link", name="Draft a warning")).to_be_visible()
    expect(officer.locator(".app-post-text")).to_have_text(RESTRICTED_TEXT)
