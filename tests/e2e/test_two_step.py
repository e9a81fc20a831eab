"""Two-step verification in Chromium, under the real Content-Security-Policy: set up an authenticator
app on first sign-in (QR code, key, code), keep the recovery codes, then sign in again with a code."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import check_accessibility, current_code, screenshot, sign_in

pytestmark = pytest.mark.mfa
PASSWORD = "a-Long-pass-2026"


def test_first_sign_in_sets_up_an_app_then_a_code_signs_in(site, page):
    factories.OfficerFactory(username="olivia", password=PASSWORD, first_name="Olivia", last_name="Okafor")
    sign_in(page, site.url, "olivia", PASSWORD)
    page.goto(f"{site.url}/cases/")
    expect(page).to_have_url(re.compile(r"/mfa/\?next=/cases/$"))
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    # Chromium can make passkeys: the library's script (a file, allowed by the CSP) offers the button
    expect(page.get_by_role("button", name="Set up a passkey")).to_be_visible()
    check_accessibility(page, "two-step set-up")

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.locator(".app-qr svg")).to_be_visible()
    check_accessibility(page, "authenticator app set-up")
    # at 320 px (WCAG 1.4.10) the QR code and the key fit without scrolling sideways
    page.set_viewport_size({"width": 320, "height": 800})
    page.get_by_text("I cannot scan the QR code").click()
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321)
            .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, wide
    screenshot(page, "17-authenticator-app-320px")
    page.get_by_text("I cannot scan the QR code").click()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("I cannot scan the QR code").click()
    key = page.locator("#setup-key").inner_text().replace(" ", "").strip()
    import base64

    key_hex = base64.b32decode(key).hex()

    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    check_accessibility(page, "authenticator app set-up with an error")

    page.wait_for_timeout(2100)  # django-otp checks no other code for a second or two after a wrong one
    page.get_by_label("Code").fill(current_code(key_hex))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    expect(page.locator(".app-recovery-codes li")).to_have_count(10)
    check_accessibility(page, "recovery codes")
    screenshot(page, "15-recovery-codes")
    page.get_by_role("link", name="I have kept my codes: continue").click()
    expect(page).to_have_url(f"{site.url}/cases/")

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Check it is you")).to_be_visible()
    check_accessibility(page, "second step")
    screenshot(page, "16-second-step")
    page.get_by_label("Code").fill(current_code(username="olivia"))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{site.url}/cases/")
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
