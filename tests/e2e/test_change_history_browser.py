"""An administrator changes a house rule in the admin, in the browser, and reads who changed which
field, before and after, in the change history."""

from playwright.sync_api import expect

from moderation.models import HouseRule
from tests import factories
from tests.e2e.conftest import screenshot, sign_in


def test_an_administrator_changes_a_house_rule_and_reads_the_change_history(site, page):
    factories.UserFactory(
        username="ada",
        first_name="Ada",
        last_name="Admin",
        password="a-Long-pass-2026",
        is_superuser=True,
        is_staff=True,
    )
    rule = HouseRule.objects.get(code="spam")
    sign_in(page, site.url, "ada", "a-Long-pass-2026")
    page.goto(f"{site.url}/admin/moderation/houserule/{rule.pk}/change/")
    page.get_by_label("Title").fill("Spam and repeated adverts")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.goto(f"{site.url}/admin/auditlog/logentry/")
    newest = page.locator("#result_list tbody tr").first
    expect(newest).to_contain_text("Spam and repeated adverts")
    newest.get_by_role("link").first.click()  # its time: the entry itself
    expect(page.get_by_text("ada (Ada Admin)")).to_be_visible()
    expect(page.get_by_role("cell", name="Spam and repeated adverts")).to_be_visible()
    screenshot(page, "admin-change-history-entry")
