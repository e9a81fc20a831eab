"""CSV import as an officer meets it (issue 10, item 13): what the pages say when rows have problems."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from moderation import csvfiles, imports
from tests.moderation.test_csv_import import export, row, upload


@pytest.fixture
def mapped(officer, channel):
    """An uploaded export whose columns are matched (as in test_csv_import)."""

    def make(data: bytes, **kwargs):
        csv_import = imports.import_upload(actor=officer, file=upload(data), source_name="Hootsuite export")
        columns = {**csvfiles.guess_columns(csv_import.headings), **kwargs.pop("columns", {})}
        return imports.import_match_columns(
            actor=officer, csv_import=csv_import, columns=columns, channel=kwargs.pop("channel", None)
        )

    return make


def detail(client, csv_import) -> str:
    return client.get(reverse("moderation:import_detail", args=[csv_import.pk])).text


class TestPreviewWithProblems:
    def test_a_preview_with_problems_does_not_say_ready_nor_offer_the_import_first(self, client, officer, mapped):
        csv_import = mapped(export(row(1), row(2, when="not a date"), row(3)))
        client.force_login(officer)
        page = detail(client, csv_import)
        assert "Ready to import" not in page
        assert "1 row has a problem" in page
        # the primary (green) button is to upload a corrected file, not the import that would be refused
        primary = re.findall(r'class="govuk-button"[^>]*>([^<]+)<', page)
        assert primary == ["Upload a corrected file"]
        assert "Import 3 rows" not in page

    def test_a_clean_preview_is_ready_and_offers_the_import(self, client, officer, mapped):
        csv_import = mapped(export(row(1), row(2)))
        client.force_login(officer)
        page = detail(client, csv_import)
        assert "Ready to import" in page
        assert "Import 2 rows" in page
