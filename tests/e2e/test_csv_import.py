"""An officer imports a social-media tool's export in the browser: upload, match columns, preview, import."""

from __future__ import annotations

from playwright.sync_api import expect

from moderation.constants import FlagKind, ImportStatus, Platform
from moderation.models import CsvImport, FlagRule, Post
from tests import factories
from tests.e2e.conftest import ROOT, check_accessibility, screenshot, sign_in

SAMPLE = ROOT / "docs" / "samples" / "social-inbox-export.csv"
PASSWORD = "a-Long-pass-2026"


def test_officer_imports_an_export_and_its_flagged_posts_reach_the_queue(site, page):
    factories.OfficerFactory(username="olivia", password=PASSWORD, first_name="Olivia", last_name="Okafor")
    factories.ChannelFactory(platform=Platform.FACEBOOK, handle="northhertsdc", name="North Herts Council (Facebook)")
    factories.ChannelFactory(platform=Platform.INSTAGRAM, handle="northhertsdc", name="North Herts Council (Instagram)")
    factories.ChannelFactory(platform=Platform.X, handle="north_herts", name="North Herts Council (X)")
    FlagRule.objects.create(
        name="Obscenities and insults", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=factories.rule("abusive")
    )
    sign_in(page, site.url, "olivia", PASSWORD)

    page.get_by_role("link", name="Import posts").click()
    expect(page.get_by_role("heading", name="Import posts")).to_be_visible()
    check_accessibility(page, "imports")
    page.get_by_role("link", name="Upload a CSV file").click()

    # Nothing chosen: the errors say what is missing.
    page.get_by_role("button", name="Upload and continue").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Choose the CSV file to upload")).to_be_visible()
    check_accessibility(page, "upload with errors")

    page.get_by_label("Name of the source").fill("Social inbox export")
    page.get_by_label("CSV file").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Upload and continue").click()

    # The columns, guessed from the headings, each with an example from the file.
    expect(page.get_by_role("heading", name="Match the columns")).to_be_visible()
    expect(page.get_by_label("Posted")).to_have_value("Date")
    expect(page.get_by_label("Platform (optional)")).to_have_value("Network")
    check_accessibility(page, "match the columns")
    screenshot(page, "12-import-columns")
    page.get_by_role("button", name="Save and preview").click()

    # The preview: every row, what it becomes; nothing stored yet.
    expect(page.get_by_text("All 15 rows, as they would be imported now")).to_be_visible()
    expect(page.locator("#row-9")).to_contain_text("New direct message")
    expect(page.locator("#row-7")).to_contain_text("North Herts Council (X)")
    assert Post.objects.count() == 0
    check_accessibility(page, "import preview")
    screenshot(page, "13-import-preview")
    page.get_by_role("button", name="Import 15 rows").click()

    expect(page.get_by_role("heading", name="Import complete")).to_be_visible()
    check_accessibility(page, "import complete")
    screenshot(page, "14-import-complete")
    assert CsvImport.objects.get().status == ImportStatus.COMPLETED
    assert Post.objects.count() == 15

    page.get_by_role("link", name="See flagged posts").click()
    expect(page.get_by_text("The people running this council are idiots")).to_be_visible()
