"""In Chromium, with axe: a Freedom of Information request from a flagged post to handing it on, with
its 20-working-day deadline shown (issue 12, Hart's policy), at a desktop width and at 320 px."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from moderation import clock
from moderation.constants import FlagKind
from moderation.enquiries import statutory_calendar, working_days_after
from moderation.models import Enquiry, Flag, FlagRule, OutboxMessage
from policy import services as policy
from tests import factories
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

PASSWORD = "correct-horse-battery-staple-42"


def test_an_foi_request_from_a_post_to_handing_it_on(site, new_context):
    policy.revise(reason="Hart's FOI page.", foi_url="https://www.hart.gov.uk/freedom-of-information")
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    post = factories.PostFactory(case=None, text="Under FOI, how many fly-tipping reports did Fleet get this year?")
    rule = FlagRule.objects.create(
        name="FOI", kind=FlagKind.WORD_LIST, terms="FOI", house_rule=factories.rule("abusive")
    )
    Flag.objects.create(post=post, rule=rule, reason="matched ‘FOI’")
    # the form takes the day the post was made as the day the request was received (an hour ago: in the
    # first hour after midnight, yesterday)
    received = timezone.localdate(post.posted_at)
    due = working_days_after(received, 20, statutory_calendar(policy.current().bank_holidays))

    page = new_context().new_page()
    sign_in(page, site.url, officer.username, PASSWORD)
    page.goto(f"{site.url}/flags/")
    page.get_by_role("link", name="Record as an enquiry").click()
    expect(page.get_by_role("heading", name="Record as an enquiry", level=1)).to_be_visible()
    page.get_by_label("Freedom of Information request").check()
    page.get_by_label("What they ask for (optional)").fill("Fly-tipping reports in Fleet, 2026.")
    page.get_by_role("button", name="Record the enquiry").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("accepted only from an identified person")
    expect(summary).to_contain_text("needs an address for correspondence")
    check_accessibility(page, "an FOI request refused: no name or address")
    assert not Enquiry.objects.exists()

    page.get_by_label("Name of the person asking (optional)").fill("Sam Jones")
    page.get_by_label("Address for correspondence (optional)").fill("sam@example.org")
    page.get_by_role("button", name="Record the enquiry").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Answer due by {due:%-d %B %Y}")
    expect(page.locator("#enquiry-due")).to_contain_text(f"{due:%A %-d %B %Y}")
    expect(page.locator("#enquiry-due")).to_contain_text("20 working days from receipt")
    expect(page.get_by_text("https://www.hart.gov.uk/freedom-of-information")).to_be_visible()
    check_accessibility(page, "the case page of an FOI request")

    page.get_by_role("link", name="Hand on to the team that owns it").click()
    page.get_by_label("Team it is handed on to").fill("FOI team")
    page.get_by_label("Team's email address (optional)").fill("foi@hart.example")
    page.get_by_label("Reference (optional)").fill("FOI-2026-42")
    check_accessibility(page, "handing an FOI request on")
    page.get_by_role("button", name="Hand it on").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Handed on to FOI team")
    expect(page.locator("#main-content")).to_contain_text("FOI team, reference FOI-2026-42")
    expect(page.locator("#enquiry-due")).to_contain_text(f"{due:%A %-d %B %Y}")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    check_accessibility(page, "an FOI request handed on, at 320 px")
    assert OutboxMessage.objects.get(kind="enquiry_handed_on").recipients == ["foi@hart.example"]

    # the FOI team answered: the enquiry and, by default, the case close (nothing else was done on it)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Record the answer").click()
    expect(page.get_by_role("radio", name="Yes, close the case")).to_be_checked()
    check_accessibility(page, "recording the answer to a handed-on FOI request")
    screenshot(page, "enquiry-answer-closes-the-case")
    page.get_by_role("button", name="Record the answer").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Answered: the enquiry and the case are closed (enquiry answered)."
    )
    expect(page.locator("#main-content")).to_contain_text("Enquiry answered")


def test_a_complaint_signposted_with_its_saved_reply_stops_the_clock(site, new_context):
    """Hart: "not a replacement for our formal complaints procedure. Complaints can be made via our
    Feedback and complaints page": the saved reply signposts it, and sending it is a first response."""
    from datetime import timedelta

    policy.revise(reason="Hart's complaints page.", complaints_url="https://www.hart.gov.uk/feedback-and-complaints")
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    case = factories.OpenCaseFactory(
        recorded_at=clock.now() - timedelta(days=9),
        response_due_at=clock.now() - timedelta(days=6),
        account__handle="unhappy_resident",
    )

    page = new_context().new_page()
    sign_in(page, site.url, officer.username, PASSWORD)
    page.goto(f"{site.url}/cases/")
    row = page.locator("tbody tr", has_text="unhappy_resident")
    expect(row).to_contain_text("Overdue")

    page.goto(f"{site.url}/cases/{case.pk}/")
    page.get_by_role("link", name="Record as an enquiry").click()
    page.get_by_label("Complaint", exact=True).check()
    page.get_by_role("button", name="Record the enquiry").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    reply = page.locator(".govuk-inset-text", has_text="https://www.hart.gov.uk/feedback-and-complaints")
    expect(reply).to_be_visible()
    check_accessibility(page, "a complaint with its saved reply")

    page.get_by_role("button", name="I have sent this reply").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.locator(".moj-timeline")).to_contain_text("Signposted")
    check_accessibility(page, "a complaint signposted")

    page.goto(f"{site.url}/cases/")
    row = page.locator("tbody tr", has_text="unhappy_resident")
    expect(row).to_contain_text("Responded late")
    expect(row).not_to_contain_text("Overdue")
    assert Enquiry.objects.get(case=case).kind == "complaint"
