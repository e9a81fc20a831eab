from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import check_accessibility, sign_in


def test_sign_in_lands_an_officer_on_the_queue(site, page):
    factories.OfficerFactory(username="olivia", password="a-Long-pass-2026", first_name="Olivia", last_name="Okafor")
    page.goto(f"{site.url}/cases/")
    assert "/sign-in/" in page.url
    check_accessibility(page, "sign-in")
    sign_in(page, site.url, "olivia", "wrong")
    expect(page.get_by_text("There is a problem")).to_be_visible()
    check_accessibility(page, "sign-in with errors")
    sign_in(page, site.url, "olivia", "a-Long-pass-2026")
    expect(page).to_have_url(f"{site.url}/cases/")
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    expect(page.get_by_text("Olivia Okafor")).to_be_visible()
    check_accessibility(page, "queue")
