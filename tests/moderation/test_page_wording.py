"""What the import pages say: one "Error: " in a page title, a column named in words, a success
banner that is announced (GOV.UK's success notification banner: ``role="alert"``, focused by its module)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from moderation import csvfiles, imports
from tests import factories
from tests.moderation.test_csv_import import export, row, upload

pytestmark = pytest.mark.django_db


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.DOTALL)[1]


def test_every_column_has_words_for_a_sentence():
    assert all(spec.noun and spec.noun == spec.noun.strip() for spec in csvfiles.FIELDS)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("posted_at", "Choose the column that holds the date posted."),
        ("author_handle", "Choose the column that holds the author's handle."),
    ],
)
def test_a_required_column_left_unchosen_is_named_in_words(key, message):
    problems = imports.mapping_problems({}, None, ["Date", "Author"])
    assert problems[key] == message
    required = [spec for spec in csvfiles.FIELDS if spec.required]
    assert {spec.key for spec in required} <= set(problems)
    for spec in required:
        assert problems[spec.key] == f"Choose the column that holds the {spec.noun}."


def test_an_empty_upload_says_error_once_in_the_title(client, officer):
    client.force_login(officer)
    html = client.post(reverse("moderation:import_upload"), {"source_name": ""}).content.decode()
    assert "There is a problem" in html
    assert title(html).startswith("Error: Upload a CSV file")
    assert title(html).count("Error:") == 1


def test_columns_left_unmatched_say_error_once_and_name_the_column(client, officer, channel):
    csv_import = imports.import_upload(actor=officer, file=upload(export(row(1))), source_name="Hootsuite")
    columns = csvfiles.guess_columns(csv_import.headings)
    client.force_login(officer)
    data = {key: heading for key, heading in columns.items() if key != "posted_at"}
    data["default_channel"] = channel.pk
    html = client.post(reverse("moderation:import_columns", args=[csv_import.pk]), data).content.decode()
    assert title(html).startswith("Error: Match the columns of export.csv")
    assert title(html).count("Error:") == 1
    assert "Choose the column that holds the date posted." in html
    assert "holds the posted" not in html


def test_a_success_banner_is_announced_and_takes_focus(client, officer, channel):
    csv_import = imports.import_upload(actor=officer, file=upload(export(row(1))), source_name="Hootsuite")
    client.force_login(officer)
    data = {**csvfiles.guess_columns(csv_import.headings), "default_channel": channel.pk}
    response = client.post(reverse("moderation:import_columns", args=[csv_import.pk]), data, follow=True)
    html = response.content.decode()
    banner = re.search(r'<div class="govuk-notification-banner govuk-notification-banner--success"[^>]*>', html)
    assert banner, "no success banner"
    assert 'role="alert"' in banner[0]
    assert 'data-module="govuk-notification-banner"' in banner[0]
    assert "Columns matched" in html


def test_an_information_banner_stays_a_region(client, officer):
    """Only success and error banners interrupt; an "Important" one is a landmark to find."""
    block = factories.ActiveBlockFactory()
    client.force_login(factories.ManagingDirectorFactory())
    client.post(reverse("escalation:block_acknowledge", args=[block.pk]))
    response = client.post(reverse("escalation:block_acknowledge", args=[block.pk]), follow=True)
    html = response.content.decode()
    assert "Already acknowledged" in html
    banner = re.search(r'<div class="govuk-notification-banner"[^>]*>', html)
    assert 'role="region"' in banner[0]
