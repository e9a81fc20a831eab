
from tests import factories
from tests.e2e.conftest import check_accessibility, sign_in


def test_sign_in_lands_an_officer_on_the_queue(site, page):
    factories.OfficerFactory(username="olivia", password="a-Long-pass-2026", first_name="Olivia", last_name="Okafor")
    page.goto(f"{site.url}/cases/")
    assert "/sign-in/" in page.url
    check_accessibility(page, "sign-in")
    sign_in(page, site.url, "olivia", "wrong")
    assert page.get_by_text("There is a problem").is_visible()
    check_accessibility(page, "sign-in with errors")
    sign_in(page, site.url, "olivia", "a-Long-pass-2026")
    assert page.url.endswith("/cases/")
    assert page.get_by_role("heading", name="Cases").is_visible()
    assert page.get_by_text("Olivia Okafor").is_visible()
    check_accessibility(page, "queue")
