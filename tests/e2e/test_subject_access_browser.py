"""In Chromium: a manager downloads everything about an account from its page (issue 14); the page
passes axe, reflow and target sizes with the button; the zip holds the account's JSON."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests import factories
from tests.e2e.test_accessibility import audit

pytestmark = pytest.mark.e2e

PASSWORD = "correct-horse-battery-staple-42"


def test_everything_about_an_account(site, new_context):
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    case = factories.OpenCaseFactory(recorded_by=factories.OfficerFactory(username="olivia"))
    page = new_context().new_page()
    page.goto(f"{site.url}/sign-in/")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site.url}/accounts/{case.account_id}/")
    audit(page, "the account page with the subject access button")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download everything about this account").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        data = json.loads(archive.read("account.json"))
    assert data["account"]["handle"] == case.account.handle
    assert [c["id"] for c in data["cases"]] == [case.pk]
