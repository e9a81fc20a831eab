"""In Chromium (issue 14): a manager places a legal hold on an account, is refused erasure while it is on,
lifts it and erases the account's personal data. Each page passes axe, reflow and target sizes, in its
ordinary and its error state."""

from __future__ import annotations

import pytest

from escalation import services
from moderation import flags
from moderation.models import Post
from tests import factories
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import audit

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-staple-42"
TEXT = "You lot are useless idiots, I'm Sam Smith."


def sign_in(page, site, user) -> None:
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_erasure_refused_under_legal_hold_then_done(site, new_context):
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    account = factories.SocialAccountFactory(handle="angry_resident", display_name="Sam Smith")
    case = factories.OpenCaseFactory(account=account, recorded_by=factories.OfficerFactory(username="olivia"), posts=[])
    factories.PostFactory(case=case, channel=case.channel, account=account, text=TEXT)
    page = new_context().new_page()
    sign_in(page, site, manager)

    # a legal hold, placed from the account page (the empty form first: its error state)
    page.goto(f"{site.url}/accounts/{account.pk}/")
    page.get_by_role("link", name="Place a legal hold").click()
    page.get_by_role("button", name="Place the legal hold").click()
    assert page.get_by_text("There is a problem").is_visible()
    audit(page, "place a legal hold, with an error")
    page.get_by_label("Why is the legal hold needed?").fill("Claim K00XX123 in the county court")
    page.get_by_role("button", name="Place the legal hold").click()
    assert page.get_by_text("The legal hold on @angry_resident is on").is_visible()
    audit(page, "the account page with a legal hold")

    # erasure refused while it is on: the page says why and offers no button
    page.get_by_role("link", name="Erase personal data").click()
    assert page.get_by_text("cannot be erased while a legal hold is on").is_visible()
    assert page.get_by_text("Claim K00XX123 in the county court").is_visible()
    assert page.get_by_role("button", name="Erase personal data").count() == 0
    audit(page, "erasure refused under legal hold")
    assert Post.objects.get(case=case).text == TEXT

    # lifted, then erased
    page.goto(f"{site.url}/accounts/{account.pk}/legal-hold/")
    page.get_by_label("Why can the legal hold be lifted?").fill("The claim was settled")
    page.get_by_role("button", name="Lift the legal hold").click()
    page.get_by_role("link", name="Erase personal data").click()
    audit(page, "erase personal data")
    page.get_by_role("button", name="Erase personal data").click()
    assert page.get_by_text("There is a problem").is_visible()
    audit(page, "erase personal data, not confirmed")
    page.get_by_label("The account owner asked us to erase their personal data").check()
    page.get_by_role("button", name="Erase personal data").click()
    assert page.get_by_text("The personal data of @angry_resident is erased").is_visible()
    assert Post.objects.get(case=case).text == flags.ERASED_TEXT
    page.goto(f"{site.url}/cases/{case.pk}/")
    assert page.get_by_text("Personal data erased on request").first.is_visible()
    assert page.get_by_text("Sam Smith").count() == 0


def test_erasure_refused_while_an_appeal_waits_for_its_decision(site, new_context):
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    account = factories.SocialAccountFactory(handle="angry_resident", display_name="Sam Smith")
    case = factories.OpenCaseFactory(account=account, recorded_by=factories.OfficerFactory(username="olivia"), posts=[])
    block = factories.AppealEligibleBlockFactory(case=case)
    appeal = services.appeal_record(actor=manager, block=block, grounds="A year has passed.")
    page = new_context().new_page()
    sign_in(page, site, manager)

    page.goto(f"{site.url}/accounts/{account.pk}/")
    page.get_by_role("link", name="Erase personal data").click()
    assert page.get_by_text("cannot be erased while an appeal is waiting for a decision").is_visible()
    assert page.get_by_text(f"against the block on case {case.pk} is waiting for a decision").is_visible()
    assert page.get_by_role("button", name="Erase personal data").count() == 0
    audit(page, "erasure refused while an appeal waits")
    screenshot(page, "erasure-refused-appeal-waiting")
    appeal.refresh_from_db()
    assert appeal.grounds == "A year has passed."
