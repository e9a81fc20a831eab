"""An administrator publishes a policy version in the admin, in the browser, and a page follows it."""

from playwright.sync_api import expect

from policy.models import PolicyVersion
from tests import factories
from tests.e2e.conftest import screenshot, sign_in


def test_an_administrator_publishes_a_new_version_and_the_workspace_follows(site, page):
    factories.UserFactory(username="ada", password="a-Long-pass-2026", is_superuser=True, is_staff=True)
    sign_in(page, site.url, "ada", "a-Long-pass-2026")
    page.goto(f"{site.url}/admin/policy/policyversion/add/")
    expect(page.get_by_label("Organisation name")).to_have_value("North Hertfordshire District Council")
    page.get_by_label("Organisation name").fill("Hart District Council")
    page.get_by_label("Saturday").first.check()
    page.get_by_label("Reason").fill("We now open on Saturdays.")
    screenshot(page, "policy-admin-new-version")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    version = PolicyVersion.objects.order_by("-number").first()
    assert (version.number, version.organisation_name, 5 in version.working_weekdays) == (
        2,
        "Hart District Council",
        True,
    )
    page.goto(f"{site.url}/accessibility/")
    expect(page.get_by_text("It is run by Hart District Council.")).to_be_visible()
