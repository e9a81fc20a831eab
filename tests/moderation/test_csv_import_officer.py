"""CSV import as an officer meets it (issue 10, item 13): what the pages say when rows have problems."""

from __future__ import annotations

import logging
import re

import pytest
from django.urls import reverse

from moderation import csvfiles, imports
from moderation.models import Post
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


class TestProblemRowsShowThePost:
    LONG = "The bins on Walsworth Road have not been collected for three weeks and the foxes are at them"

    def test_the_preview_shows_the_author_and_shortened_text_of_a_problem_row(self, client, officer, mapped):
        csv_import = mapped(export(row(1), row(2, when="not a date", author="@fox_watch", text=self.LONG)))
        client.force_login(officer)
        page = detail(client, csv_import)
        problem_row = page.split('id="row-3"')[1].split("</tr>")[0]
        assert "@fox_watch" in problem_row
        assert "The bins on Walsworth Road" in problem_row
        assert self.LONG not in problem_row  # shortened
        assert "…" in problem_row

    def test_the_problems_of_a_refused_import_show_the_post(
        self, client, officer, mapped, django_capture_on_commit_callbacks
    ):
        csv_import = mapped(export(row(1), row(2, when="not a date", author="@fox_watch", text=self.LONG)))
        with django_capture_on_commit_callbacks(execute=True):
            imports.import_start(actor=officer, csv_import=csv_import)
        csv_import.refresh_from_db()
        assert csv_import.status == "failed"
        [problem] = csv_import.problems
        assert problem["author"] == "@fox_watch"
        assert problem["text"].startswith("The bins on Walsworth Road")
        assert problem["text"].endswith("…")
        client.force_login(officer)
        page = detail(client, csv_import)
        table = page.split('id="problems"')[1]
        assert "@fox_watch" in table
        assert "The bins on Walsworth Road" in table

    def test_a_repeated_id_with_other_text_shows_that_rows_post(self, mapped):
        csv_import = mapped(export(row(1), row(1, author="@someone_else", text="Another post")))
        preview = imports.import_preview(csv_import)
        [problem] = preview.rows[1].problems
        assert (problem.author, problem.text) == ("@someone_else", "Another post")


class TestChannelsNameTheirPlatform:
    HEADER_NO_CHANNEL = "Message ID,Date,Author,Author Name,Message,Permalink,Type"

    def test_channels_sharing_a_name_are_offered_and_shown_with_their_platform(self, client, officer, mapped):
        from moderation.constants import Platform
        from tests import factories

        factories.ChannelFactory(name="North Herts Council", handle="nhc", platform=Platform.FACEBOOK)
        instagram = factories.ChannelFactory(name="North Herts Council", handle="nhc", platform=Platform.INSTAGRAM)
        essex = factories.ChannelFactory(name="Essex news", handle="essexnews", platform=Platform.X)
        data = export(
            "c1,01/03/2025 14:05,@resident,A Resident,Hello,https://instagram.com/p/1,Comment",
            header=self.HEADER_NO_CHANNEL,
        )
        csv_import = mapped(data, channel=instagram)
        client.force_login(officer)
        columns = client.get(reverse("moderation:import_columns", args=[csv_import.pk])).text
        assert "North Herts Council (Facebook)" in columns
        assert "North Herts Council (Instagram)" in columns
        assert "Essex news (X (Twitter))" in columns  # the x in Essex is not the platform
        page = detail(client, csv_import)
        assert page.count("North Herts Council (Instagram)") == 2  # the preview row and the columns summary
        assert "North Herts Council<br>" not in page
        assert essex.pk


class TestNulCharactersAreCounted:
    def test_the_reader_counts_the_nul_characters_it_removes(self):
        table = csvfiles.read_table(export(row(1, text="Bins\x00 not\x00 collected"), row(2)))
        assert table.rows[0][4] == "Bins not collected"
        assert table.nul_count == 2
        assert csvfiles.read_table(export(row(1))).nul_count == 0

    def test_the_preview_says_how_many_were_removed(self, client, officer, mapped):
        csv_import = mapped(export(row(1, text="Bins\x00 not\x00 collected"), row(2, text="\x00Hello")))
        assert imports.import_preview(csv_import).nul_count == 3
        client.force_login(officer)
        page = detail(client, csv_import)
        assert "3 NUL characters" in page
        clean = mapped(export(row(1)))
        assert "NUL character" not in detail(client, clean)


    def test_the_completed_import_keeps_the_count_and_says_so(
        self, client, officer, mapped, django_capture_on_commit_callbacks, caplog
    ):
        csv_import = mapped(export(row(1, text="Bins\x00 not\x00 collected"), row(2, text="\x00Hello")))
        assert csv_import.nul_count == 3  # counted when the file was read, kept on the import
        with caplog.at_level(logging.INFO, logger="moderation.imports"), django_capture_on_commit_callbacks(
            execute=True
        ):
            imports.import_start(actor=officer, csv_import=csv_import)
        csv_import.refresh_from_db()
        assert csv_import.status == "completed"
        assert csv_import.nul_count == 3
        assert Post.objects.get(external_id="c1").text == "Bins not collected"
        client.force_login(officer)
        page = detail(client, csv_import)
        assert "Import complete" in page
        notice = page.split('id="nul-characters-removed"')[1].split("</div>")[0]
        assert "3 NUL characters were removed from the file" in notice
        [event] = [r.getMessage() for r in caplog.records if r.name == "moderation.imports"]
        assert event == f"CSV import {csv_import.pk} completed: 2 new, 0 already stored, 0 repeated, 0 flagged; " + (
            "3 NUL characters were removed from the file."
        )

    def test_a_completed_import_without_nul_characters_says_nothing_of_them(
        self, client, officer, mapped, django_capture_on_commit_callbacks
    ):
        csv_import = mapped(export(row(1, text="\x00one"), row(2)))
        rows_only = mapped(export(row(3), row(4)))
        with django_capture_on_commit_callbacks(execute=True):
            imports.import_start(actor=officer, csv_import=rows_only)
        rows_only.refresh_from_db()
        assert (rows_only.status, rows_only.nul_count) == ("completed", 0)
        client.force_login(officer)
        assert "NUL character" not in detail(client, rows_only)
        assert imports.nul_characters_removed(csv_import) == "1 NUL character was removed from the file"


class TestGuessingTheAuthorsHandle:
    def test_from_handle_is_the_handle_and_from_the_name(self):
        headings = ["Id", "Date", "From", "From Handle", "Message", "Profile"]
        examples = {"From": "Gary Pattinson", "From Handle": "@garyp"}
        guessed = csvfiles.guess_columns(headings, examples)
        assert guessed["author_handle"] == "From Handle"
        assert guessed["author_display_name"] == "From"
        # the headings alone say as much: the specific heading beats the generic one
        assert csvfiles.guess_columns(headings)["author_handle"] == "From Handle"

    def test_a_column_of_handle_like_values_is_preferred(self):
        headings = ["Author", "Username", "Date"]
        guessed = csvfiles.guess_columns(headings, {"Author": "Gary Pattinson", "Username": "garyp"})
        assert guessed["author_handle"] == "Username"
        assert guessed["author_display_name"] == "Author"
        # a lone name-like column is still the handle (it is needed); nothing better is there
        assert csvfiles.guess_columns(["From", "Date"], {"From": "Gary Pattinson"})["author_handle"] == "From"

    def test_the_upload_guesses_from_the_values_too(self, officer, channel):
        data = export(
            "c1,01/03/2025 14:05,Gary Pattinson,@garyp,Hello,northhertsdc",
            header="Id,Date,From,Sender,Message,Profile",
        )
        csv_import = imports.import_upload(actor=officer, file=upload(data), source_name="Sprout export")
        assert csv_import.columns["author_handle"] == "Sender"
        assert csv_import.columns["author_display_name"] == "From"
        preview_source = imports.import_match_columns(
            actor=officer, csv_import=csv_import, columns=csv_import.columns, channel=None
        )
        [previewed] = imports.import_preview(preview_source).rows
        assert previewed.item.handle == "garyp"
        assert previewed.item.author_display_name == "Gary Pattinson"


class TestToolPrefixedIds:
    @staticmethod
    def facebook_row(post_id: str, parent: str = "") -> str:
        return f"{post_id},01/03/2025 14:05,@resident,A Resident,Bins,northhertsdc,{parent}"

    HEADER = "Message ID,Date,Author,Author Name,Message,Profile,Parent ID"

    @pytest.mark.parametrize(
        ("platform", "value", "expected"),
        [
            ("facebook", "fb_123456789_987654321", "123456789_987654321"),
            ("facebook", "FB-123456789_987654321", "123456789_987654321"),
            ("facebook", "facebook_123", "123"),
            ("facebook", "123456789_987654321", "123456789_987654321"),  # already the platform's own
            ("facebook", "fb_abc", "fb_abc"),  # not a Facebook id inside: left as it is
            ("instagram", "ig_17890000000000000", "17890000000000000"),
            ("instagram", "fb_123", "fb_123"),  # another platform's prefix: left as it is
            ("x", "tw_1234567890", "1234567890"),
            ("other", "fb_123", "fb_123"),
        ],
    )
    def test_the_platforms_own_id_is_found_inside_a_tools(self, platform, value, expected):
        assert csvfiles.platform_post_id(platform, value) == expected

    def test_a_comment_that_came_by_webhook_is_already_stored_when_exported_with_a_prefix(
        self, officer, channel, mapped, django_capture_on_commit_callbacks
    ):
        from moderation.models import Post
        from tests import factories

        factories.PostFactory(channel=channel, external_id="123456789_987654321")
        csv_import = mapped(
            export(
                self.facebook_row("fb_123456789_987654321"),
                self.facebook_row("fb_123456789_555", parent="fb_123456789_987654321"),
                header=self.HEADER,
            )
        )
        preview = imports.import_preview(csv_import)
        assert [r.status for r in preview.rows] == ["exists", "new"]
        assert preview.rows[1].item.in_reply_to == "123456789_987654321"
        with django_capture_on_commit_callbacks(execute=True):
            imports.import_start(actor=officer, csv_import=csv_import)
        csv_import.refresh_from_db()
        assert (csv_import.status, csv_import.created_count, csv_import.existing_count) == ("completed", 1, 1)
        assert set(Post.objects.values_list("external_id", flat=True)) == {"123456789_987654321", "123456789_555"}


class TestImportingTheRowsWithoutProblems:
    def test_the_preview_offers_it_beside_all_or_nothing(self, client, officer, mapped):
        csv_import = mapped(export(row(1), row(2, when="not a date"), row(3)))
        client.force_login(officer)
        page = detail(client, csv_import)
        assert "Import the rows without problems" in page
        assert 'name="rows" value="without_problems"' in page

    def test_the_clean_rows_are_imported_and_the_skipped_rows_can_be_downloaded(
        self, client, officer, mapped, django_capture_on_commit_callbacks
    ):
        from moderation.models import CsvImport, Post

        csv_import = mapped(export(row(1), row(2, when="not a date", text="Foxes"), row(3)))
        client.force_login(officer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("moderation:import_start", args=[csv_import.pk]), {"rows": "without_problems"}
            )
        clean = CsvImport.objects.exclude(pk=csv_import.pk).get()
        assert response.url == reverse("moderation:import_detail", args=[clean.pk])
        assert (clean.status, clean.row_count, clean.created_count) == ("completed", 2, 2)
        assert Post.objects.count() == 2
        csv_import.refresh_from_db()
        assert (csv_import.status, csv_import.problem_count) == ("failed", 1)
        assert [p["row"] for p in csv_import.problems] == [3]
        page = detail(client, csv_import)
        assert "Download the 1 row with problems (CSV)" in page
        assert "The 2 rows without problems were imported separately" in page
        download = client.get(reverse("moderation:import_detail", args=[csv_import.pk]), {"download": "skipped"})
        assert download["Content-Type"].startswith("text/csv")
        text = b"".join(download.streaming_content if download.streaming else [download.content]).decode("utf-8-sig")
        lines = text.strip().splitlines()
        assert lines[0].startswith("Row,Problem,Message ID,Date")
        assert len(lines) == 2
        assert lines[1].startswith("3,")
        assert "Foxes" in lines[1]
        assert "not a date" in lines[1]
        # the rows hold people's posts: the download is in the security log, once
        from config.models import SecurityEvent, SecurityEventKind

        (event,) = SecurityEvent.objects.filter(kind=SecurityEventKind.DATA_DOWNLOADED)
        assert event.detail["what"] == "import_rows_with_problems"
        assert (event.actor_id, event.detail["csv_import"]) == (officer.pk, csv_import.pk)

    def test_the_download_never_carries_a_formula(self, client, officer, mapped, django_capture_on_commit_callbacks):
        csv_import = mapped(export(row(1), row(2, when="not a date", text="=SUM(A1:A9)")))
        client.force_login(officer)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("moderation:import_start", args=[csv_import.pk]), {"rows": "without_problems"})
        download = client.get(reverse("moderation:import_detail", args=[csv_import.pk]), {"download": "skipped"})
        text = b"".join(download.streaming_content if download.streaming else [download.content]).decode("utf-8-sig")
        assert "'=SUM(A1:A9)" in text
        assert ",=SUM" not in text
        assert ',"=SUM' not in text

    def test_a_file_with_no_clean_row_is_refused(self, client, officer, mapped):
        csv_import = mapped(export(row(1, when="not a date")))
        client.force_login(officer)
        response = client.post(
            reverse("moderation:import_start", args=[csv_import.pk]), {"rows": "without_problems"}, follow=True
        )
        assert "No row is free of problems" in response.text
        csv_import.refresh_from_db()
        assert csv_import.status == "ready"
