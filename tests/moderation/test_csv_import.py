"""CSV import: reading exports, matching columns once per source, the preview, all-or-nothing runs, the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import clock, csvfiles, imports
from moderation.constants import FlagKind, ImportStatus, Platform, PostKind
from moderation.models import CsvImport, Flag, FlagRule, ImportSource, Post, SocialAccount
from tests import factories

HEADER = "Message ID,Date,Author,Author Name,Message,Permalink,Profile,Type"


def export(*rows: str, header: str = HEADER, bom: bool = True) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode()


def row(
    n: int,
    *,
    when: str = "01/03/2025 14:05",
    author: str = "@resident",
    text: str = "Bins not collected",
    profile: str = "northhertsdc",
    kind: str = "Comment",
) -> str:
    return f'c{n},{when},{author},A Resident,"{text}",https://facebook.com/p/{n},{profile},{kind}'


def settings_stalled() -> timedelta:
    from django.conf import settings

    return settings.CSV_IMPORT_STALLED_AFTER


def upload(data: bytes, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run(csv_import: CsvImport, actor, django_capture_on_commit_callbacks) -> CsvImport:
    """Start the import; its task runs when the transaction commits (inline in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(actor=actor, csv_import=csv_import)
    csv_import.refresh_from_db()
    return csv_import


@pytest.fixture
def mapped(officer, channel):
    """An uploaded export whose columns are matched (the source's first file)."""

    def make(data: bytes, **kwargs) -> CsvImport:
        csv_import = imports.import_upload(actor=officer, file=upload(data), source_name="Hootsuite export")
        columns = {**csvfiles.guess_columns(csv_import.headings), **kwargs.pop("columns", {})}
        return imports.import_match_columns(
            actor=officer, csv_import=csv_import, columns=columns, channel=kwargs.pop("channel", None)
        )

    return make


class TestReadingFiles:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2025-03-01T14:05:00Z", datetime(2025, 3, 1, 14, 5, tzinfo=UTC)),
            ("2025-07-01T14:05:00+01:00", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),
            ("2025-07-01 14:05", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),  # no zone: London (BST)
            ("01/03/2025 14:05", datetime(2025, 3, 1, 14, 5, tzinfo=UTC)),  # day first, GMT
            ("01/07/2025 14:05:30", datetime(2025, 7, 1, 13, 5, 30, tzinfo=UTC)),
            ("1/7/2025 2:05 pm", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),
            ("01/07/2025 14:05 UTC", datetime(2025, 7, 1, 14, 5, tzinfo=UTC)),
            ("01/07/2025 14:05 BST", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),
            ("01/07/2025 14:05 +0000", datetime(2025, 7, 1, 14, 5, tzinfo=UTC)),
            ("01/07/2025 14:05Z", datetime(2025, 7, 1, 14, 5, tzinfo=UTC)),
            ("01/07/2025 14:05 +01", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),
            ("2025-07-01T14:05:00+01", datetime(2025, 7, 1, 13, 5, tzinfo=UTC)),
            ("26/10/2025 01:30", datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),  # the hour that repeats: the first
        ],
    )
    def test_dates_in_the_formats_exports_use(self, value, expected):
        assert csvfiles.parse_export_time(value).astimezone(UTC) == expected

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("2025-03-01", "has no time"),
            ("01/03/2025", "has no time"),
            ("31/02/2025 10:00", "not a date and time we can read"),
            ("yesterday", "not a date and time we can read"),
            ("30/03/2025 01:30", "did not happen in London"),
            ("", "No date and time given"),
        ],
    )
    def test_dates_refused_say_why(self, value, message):
        with pytest.raises(ValueError, match=message):
            csvfiles.parse_export_time(value)

    def test_an_offset_with_sixty_minutes_is_refused(self):
        with pytest.raises(ValueError, match="not a date and time we can read"):
            csvfiles.parse_export_time("01/07/2025 14:05 +0060")

    def test_a_date_in_the_future_is_refused_as_a_likely_month_first_date(self):
        now = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
        with pytest.raises(ValueError, match="day first"):
            csvfiles.parse_export_time("03/12/2025 10:00", now=now)

    def test_bom_quoted_newlines_blank_lines_and_short_rows(self):
        data = export(
            'c1,01/03/2025 14:05,@a,,"first line\r\nsecond line, with a comma and ""quotes""",,p,',
            "",
            "c2,01/03/2025 14:06,@b",
        )
        table = csvfiles.read_table(data)
        assert table.headings[0] == "Message ID"  # the BOM is not part of the heading
        assert table.rows[0][4] == 'first line\r\nsecond line, with a comma and "quotes"'
        assert table.numbers == [2, 4]  # numbered as a spreadsheet numbers rows
        assert table.rows[1][-1] == ""  # padded

    def test_without_bom_semicolons_and_utf16(self):
        assert csvfiles.read_table(b"a;b\n1;2\n").rows == [["1", "2"]]
        assert csvfiles.read_table("a\tb\n1\tÉ\n".encode("utf-16")).rows == [["1", "É"]]
        assert csvfiles.read_table(b"a;b\r1;2\r3;4\r").rows == [["1", "2"], ["3", "4"]]  # lines ending in CR alone

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "empty"),
            (b"\r\n\r\n", "empty"),
            (b"a,b\r\n", "no posts under it"),
            (b"Date,date\r\n1,2\r\n", "Two columns are headed"),
            ("Author,Text\r\n@a,caf\xe9\r\n".encode("latin-1"), "not UTF-8 text: line 2"),
        ],
    )
    def test_files_refused_say_why(self, data, message):
        with pytest.raises(csvfiles.CsvFileError, match=message):
            csvfiles.read_table(data)

    def test_a_quote_never_closed_is_refused_naming_its_row_rather_than_merging_rows(self):
        unclosed = 'c2,01/03/2025 14:06,@b,B,"never closed,,p,Comment'
        with pytest.raises(csvfiles.CsvFileError, match="Row 3 of the file .*opens a quote that is not closed"):
            csvfiles.read_table(export(row(1), unclosed, row(3)))
        with pytest.raises(csvfiles.CsvFileError, match="Row 3 of the file .*opens a quote"):
            csvfiles.read_table(export(row(1), unclosed))  # the quote runs to the end of the file

    def test_a_cell_running_past_the_size_limit_is_explained(self):
        data = b'ID,Text\r\nc1,"' + b"x" * 200_000 + b"\r\n"
        with pytest.raises(csvfiles.CsvFileError, match=r"Row 2 of the file has a cell longer than 131,072 characters"):
            csvfiles.read_table(data)

    def test_zero_width_characters_and_stray_byte_order_marks_are_not_part_of_headings(self):
        table = csvfiles.read_table("\u200bID,\ufeffDate\u200b\r\nc1,x\r\n".encode())
        assert table.headings == ["ID", "Date"]

    def test_bare_cells_lose_spaces_and_invisible_characters_at_both_ends_only(self):
        assert csvfiles.bare(" \u200b @a \ufeff ") == "@a"
        long_gap = "a" + " " * 50_000 + "b"
        assert csvfiles.bare(long_gap) == long_gap

    def test_a_limit_reads_only_the_first_rows(self):
        table = csvfiles.read_table(export(row(1), row(2), row(3)), limit=2)
        assert table.numbers == [2, 3]

    def test_columns_guessed_from_usual_headings(self):
        guessed = csvfiles.guess_columns(HEADER.split(","))
        assert guessed == {
            "external_id": "Message ID",
            "posted_at": "Date",
            "author_handle": "Author",
            "author_display_name": "Author Name",
            "text": "Message",
            "url": "Permalink",
            "channel": "Profile",
            "kind": "Type",
        }


class TestUploadAndColumns:
    def test_first_file_of_a_source_waits_for_its_columns_with_a_guess(self, officer, channel):
        csv_import = imports.import_upload(actor=officer, file=upload(export(row(1), row(2))), source_name="Hootsuite")
        assert csv_import.status == ImportStatus.MAPPING
        assert csv_import.row_count == 2
        assert csv_import.columns["posted_at"] == "Date"
        assert csv_import.source.name == "Hootsuite"
        assert csv_import.file.read().startswith(b"\xef\xbb\xbfMessage ID")

    def test_columns_saved_on_the_source_and_used_for_its_next_file(self, officer, mapped):
        first = mapped(export(row(1)))
        assert first.status == ImportStatus.READY
        source = ImportSource.objects.get()
        assert source.columns["author_handle"] == "Author"
        assert source.columns_saved_by == officer
        # the next export from the tool, columns in another order: ready at once
        reordered = "Profile,Type,Author,Author Name,Message,Permalink,Message ID,Date"
        data = export("northhertsdc,Reply,@x,X,hello,https://facebook.com/p/9,c9,02/03/2025 10:00", header=reordered)
        second = imports.import_upload(actor=officer, file=upload(data), source=source)
        assert second.status == ImportStatus.READY
        assert second.columns == source.columns

    def test_a_file_lacking_a_saved_column_asks_again(self, officer, mapped):
        mapped(export(row(1)))
        data = export("c1,01/03/2025 14:05,@a", header="Message ID,Date,Author")
        csv_import = imports.import_upload(actor=officer, file=upload(data), source=ImportSource.objects.get())
        assert csv_import.status == ImportStatus.MAPPING

    def test_a_saved_channel_no_longer_active_asks_for_the_columns_again(self, officer, mapped, channel):
        data = export("c1,01/03/2025 14:05,@a,hi", header="ID,Date,Author,Text")
        mapped(data, channel=channel)
        channel.is_active = False
        channel.save()
        again = imports.import_upload(actor=officer, file=upload(data), source=ImportSource.objects.get())
        assert (again.status, again.channel) == (ImportStatus.MAPPING, None)
        assert again.columns == ImportSource.objects.get().columns  # the matched columns are kept, not guessed

    def test_source_names_are_one_source_whatever_their_case(self, officer, channel):
        first = imports.import_upload(actor=officer, file=upload(export(row(1))), source_name="Hootsuite export")
        second = imports.import_upload(actor=officer, file=upload(export(row(2))), source_name="HOOTSUITE  Export")
        assert first.source == second.source
        with pytest.raises(IntegrityError), transaction.atomic():
            ImportSource.objects.create(name="hootsuite EXPORT", created_by=officer)

    def test_the_migration_renames_sources_that_differ_only_in_case(self, officer):
        import importlib

        from django.apps import apps

        migration = importlib.import_module("moderation.migrations.0008_import_source_name_ignoring_case")
        unique = next(c for c in ImportSource._meta.constraints if c.name == "importsource_name_unique_ignoring_case")
        with connection.schema_editor() as editor:  # as before the migration (rolled back with the test)
            editor.remove_constraint(ImportSource, unique)
        for name in ("Hootsuite", "hootsuite", "HOOTSUITE", "hootsuite (2)"):
            ImportSource.objects.create(name=name, created_by=officer)
        migration.rename_sources_differing_only_in_case(apps, None)
        names = list(ImportSource.objects.order_by("pk").values_list("name", flat=True))
        assert names == ["Hootsuite", "hootsuite (3)", "HOOTSUITE (4)", "hootsuite (2)"]

    def test_columns_refused_without_what_is_needed(self, officer, channel):
        csv_import = imports.import_upload(actor=officer, file=upload(export(row(1))), source_name="Hootsuite")
        with pytest.raises(ValidationError) as refused:
            imports.import_match_columns(
                actor=officer, csv_import=csv_import, columns={"text": "Message", "posted_at": "Nope"}, channel=None
            )
        errors = refused.value.message_dict
        assert errors["posted_at"] == ["The file has no column headed “Nope”."]
        assert "author_handle" in errors
        assert "external_id" in errors
        assert "channel" in errors
        csv_import.refresh_from_db()
        assert csv_import.status == ImportStatus.MAPPING
        assert ImportSource.objects.get().columns == {}

    def test_a_channel_for_every_row_replaces_the_channel_column(self, officer, channel):
        data = export("c1,01/03/2025 14:05,@a,hi", header="ID,Date,Author,Text")
        csv_import = imports.import_upload(actor=officer, file=upload(data), source_name="One page")
        matched = imports.import_match_columns(
            actor=officer, csv_import=csv_import, columns=csvfiles.guess_columns(csv_import.headings), channel=channel
        )
        assert matched.status == ImportStatus.READY
        assert imports.import_preview(matched).rows[0].item.channel == channel

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "The file is empty."),
            (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfa", "not UTF-8"),
            (b"just one heading\r\n", "no posts under it"),
        ],
    )
    def test_unreadable_files_are_refused_and_nothing_is_kept(self, officer, data, message):
        with pytest.raises(ValidationError) as refused:
            imports.import_upload(actor=officer, file=upload(data), source_name="Hootsuite")
        assert message in refused.value.message_dict["file"][0]
        assert not CsvImport.objects.exists()

    def test_too_large_files_are_refused(self, officer, settings):
        settings.CSV_IMPORT_MAX_BYTES = 100
        with pytest.raises(ValidationError, match="larger than"):
            imports.import_upload(actor=officer, file=upload(export(row(1), row(2))), source_name="Hootsuite")

    def test_roles_without_the_permission_cannot_import(self, director):
        with pytest.raises(PermissionDenied):
            imports.import_upload(actor=director, file=upload(export(row(1))), source_name="Hootsuite")


class TestPreview:
    def test_each_row_says_what_it_will_become_or_every_problem(self, mapped, channel):
        factories.PostFactory(channel=channel, external_id="c2")
        csv_import = mapped(
            export(
                row(1),
                row(2),
                row(1),
                row(4, when="31/02/2025 10:00", author="", profile="unknownpage", kind="Tweet"),
            )
        )
        preview = imports.import_preview(csv_import)
        assert [r.status for r in preview.rows] == ["new", "exists", "repeat", "problem"]
        assert preview.rows[0].new_account is True
        assert preview.rows[0].item.posted_at == datetime(2025, 3, 1, 14, 5, tzinfo=UTC)
        assert preview.rows[2].repeat_of == 2
        problems = {p.field: (p.column, p.message) for p in preview.rows[3].problems}
        assert problems["Posted"] == (
            "Date",
            f"“31/02/2025 10:00” is not a date and time we can read: use {csvfiles.EXAMPLE_TIMES}.",
        )
        assert problems["Author's handle"] == ("Author", "No author's handle given.")
        assert problems["Channel"][1].startswith("“unknownpage” is not one of our channels")
        assert problems["Kind"][1].startswith("“Tweet” is not a kind we know")
        assert Post.objects.count() == 1  # a preview stores nothing
        assert SocialAccount.objects.count() == 1

    def test_a_repeated_post_id_with_other_content_is_a_problem_not_a_repeat(self, mapped, channel):
        # most often the column chosen as the post ID is not one (a page's ID, say): posts would be lost
        data = export(row(1), row(1, text="Another post", author="@else"), row(1, when="02/03/2025 09:00"))
        preview = imports.import_preview(mapped(data))
        assert [r.status for r in preview.rows] == ["new", "problem", "repeat"]  # only the time differs: a repeat
        problem = preview.rows[1].problems[0]
        assert (problem.field, problem.column) == ("Post ID", "Message ID")
        assert problem.message == (
            "Row 2 has the same post ID, “c1”, but a different author and text: "
            "check that the post ID column holds each post's own ID."
        )

    def test_ids_a_spreadsheet_rounded_are_a_problem(self, mapped, channel):
        data = export("1.23457E+17,01/03/2025 14:05,@a,,hi,,northhertsdc,Comment")
        problem = imports.import_preview(mapped(data)).rows[0].problems[0]
        assert (problem.field, problem.column) == ("Post ID", "Message ID")
        assert "rounded into a short number" in problem.message

    def test_zero_width_characters_around_a_cell_are_dropped(self, mapped, channel):
        data = export("\ufeffc1\u200b,01/03/2025 14:05, \u200b@a,,hi,,northhertsdc,Comment", "\u200b,\ufeff")
        preview = imports.import_preview(mapped(data))
        assert len(preview.rows) == 1  # a row of nothing but invisible characters is a blank row
        assert (preview.rows[0].item.external_id, preview.rows[0].item.handle) == ("c1", "a")

    def test_line_breaks_in_text_become_newlines_whatever_the_file_used(self, mapped, channel):
        data = b'Message ID;Date;Author;Message;Profile\rc1;01/03/2025 14:05;@a;"one\rtwo\r\nthree";northhertsdc\r'
        assert imports.import_preview(mapped(data)).rows[0].item.text == "one\ntwo\nthree"

    def test_a_channel_for_the_file_deactivated_since_is_a_problem_and_start_is_refused(self, officer, mapped, channel):
        csv_import = mapped(export("c1,01/03/2025 14:05,@a,hi", header="ID,Date,Author,Text"), channel=channel)
        channel.is_active = False
        channel.save()
        problem = imports.import_preview(csv_import).rows[0].problems[0]
        assert "is no longer active" in problem.message
        with pytest.raises(ValidationError) as refused:
            imports.import_start(actor=officer, csv_import=csv_import)
        assert "no longer active" in refused.value.message_dict["default_channel"][0]
        csv_import.refresh_from_db()
        assert csv_import.status == ImportStatus.READY

    def test_channels_with_one_handle_on_two_platforms_need_the_platform(self, mapped, channel):
        factories.ChannelFactory(platform=Platform.INSTAGRAM, handle="northhertsdc", name="NHDC Instagram")
        csv_import = mapped(export(row(1)))
        assert "on Facebook and Instagram" in imports.import_preview(csv_import).rows[0].problems[0].message
        data = export(row(1) + ",Instagram", header=HEADER + ",Network")
        with_platform = mapped(data, columns={"platform": "Network"})
        assert imports.import_preview(with_platform).rows[0].item.channel.platform == Platform.INSTAGRAM

    def test_an_unknown_platform_is_reported_under_its_own_column(self, mapped, channel):
        with_platform = mapped(export(row(1) + ",Myspace", header=HEADER + ",Network"), columns={"platform": "Network"})
        (problem,) = imports.import_preview(with_platform).rows[0].problems
        assert (problem.field, problem.column, problem.message) == (
            "Platform",
            "Network",
            "“Myspace” is not a platform we know.",
        )

    def test_queries_do_not_grow_with_the_rows_shown(self, mapped, channel, settings):
        few = mapped(export(*(row(n) for n in range(3))))
        many = mapped(export(*(row(n, author=f"@user{n}") for n in range(60))))
        settings.CSV_IMPORT_PREVIEW_ROWS = 50
        with CaptureQueriesContext(connection) as small:
            imports.import_preview(few)
        with CaptureQueriesContext(connection) as large:
            assert imports.import_preview(many).shown == 50
        assert len(large) == len(small) <= 5

    def test_the_same_file_imported_before_is_pointed_out(self, officer, mapped, django_capture_on_commit_callbacks):
        data = export(row(1))
        run(mapped(data), officer, django_capture_on_commit_callbacks)
        again = imports.import_upload(actor=officer, file=upload(data), source=ImportSource.objects.get())
        assert imports.import_preview(again).same_file is not None


class TestRun:
    def test_import_stores_every_post_flags_them_and_deletes_the_file(
        self, officer, mapped, channel, django_capture_on_commit_callbacks
    ):
        FlagRule.objects.create(
            name="Insults", kind=FlagKind.WORD_LIST, terms="idiot", house_rule=factories.rule("abusive")
        )
        csv_import = mapped(
            export(
                row(1, text="You idiot"),
                row(2, author="@other", kind="Direct message", when="2025-03-01T10:00:00Z"),
                row(1, text="You idiot"),  # repeated in the file
            )
        )
        storage, name = csv_import.file.storage, csv_import.file.name
        done = run(csv_import, officer, django_capture_on_commit_callbacks)
        assert done.status == ImportStatus.COMPLETED
        assert (done.created_count, done.existing_count, done.repeated_count, done.flagged_count) == (2, 0, 1, 1)
        assert done.started_by == officer
        assert done.finished_at is not None
        posts = {p.external_id: p for p in Post.objects.select_related("account")}
        assert posts["c1"].imported_from == done
        assert posts["c1"].ingested_by is None
        assert posts["c1"].account.handle == "resident"
        assert posts["c1"].account.display_name == "A Resident"
        assert posts["c2"].kind == PostKind.DIRECT_MESSAGE
        assert posts["c1"].url == "https://facebook.com/p/1"
        assert Flag.objects.get().post == posts["c1"]
        assert not done.file
        assert not storage.exists(name)

    def test_re_importing_adds_nothing_and_says_so(self, officer, mapped, django_capture_on_commit_callbacks):
        data = export(row(1), row(2))
        run(mapped(data), officer, django_capture_on_commit_callbacks)
        again = imports.import_upload(actor=officer, file=upload(data), source=ImportSource.objects.get())
        done = run(again, officer, django_capture_on_commit_callbacks)
        assert (done.status, done.created_count, done.existing_count) == (ImportStatus.COMPLETED, 0, 2)
        assert Post.objects.count() == 2

    def test_one_bad_row_means_nothing_is_stored_and_every_problem_is_kept(
        self, officer, mapped, django_capture_on_commit_callbacks
    ):
        csv_import = mapped(
            export(*(row(n) for n in range(1, 500)), row(500, when="13/13/2025 10:00"), row(501, author=""))
        )
        done = run(csv_import, officer, django_capture_on_commit_callbacks)
        assert done.status == ImportStatus.FAILED
        assert Post.objects.count() == 0
        assert SocialAccount.objects.count() == 0
        assert done.problem_count == 2
        assert [(p["row"], p["column"]) for p in done.problems] == [(501, "Date"), (502, "Author")]
        assert done.file  # kept, so its columns can be matched again
        # the columns can be matched again, which makes it ready to try again
        again = imports.import_match_columns(actor=officer, csv_import=done, columns=done.columns, channel=None)
        assert (again.status, again.problems, again.finished_at) == (ImportStatus.READY, [], None)

    def test_a_row_with_more_cells_than_headings_is_a_problem(
        self, officer, mapped, django_capture_on_commit_callbacks
    ):
        done = run(mapped(export(row(1) + ",extra")), officer, django_capture_on_commit_callbacks)
        assert done.status == ImportStatus.FAILED
        assert "a quote may be missing" in done.problems[0]["message"]

    def test_starting_twice_is_refused_and_a_second_delivery_does_nothing(
        self, officer, other_officer, mapped, django_capture_on_commit_callbacks
    ):
        csv_import = mapped(export(row(1)))
        done = run(csv_import, officer, django_capture_on_commit_callbacks)
        with pytest.raises(ValidationError, match="already been started by"):
            imports.import_start(actor=other_officer, csv_import=done)
        again = imports.import_run(csv_import_id=done.pk)
        assert again.status == ImportStatus.COMPLETED
        assert Post.objects.count() == 1

    def test_a_redelivered_task_after_a_lost_worker_runs_it(self, officer, mapped):
        csv_import = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=csv_import)  # on_commit not run: as if the worker died
        CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.RUNNING)
        assert imports.import_run(csv_import_id=csv_import.pk).status == ImportStatus.COMPLETED

    def test_a_task_queue_that_does_not_answer_fails_the_import_which_can_be_tried_again(
        self, officer, mapped, monkeypatch, django_capture_on_commit_callbacks
    ):
        from moderation import tasks

        def broker_down(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        csv_import = mapped(export(row(1)))
        monkeypatch.setattr(tasks.import_csv, "delay", broker_down)
        failed = run(csv_import, officer, django_capture_on_commit_callbacks)
        assert (failed.status, failed.failure) == (ImportStatus.FAILED, imports.NOT_QUEUED)
        assert failed.file
        monkeypatch.undo()
        done = run(failed, officer, django_capture_on_commit_callbacks)
        assert (done.status, done.failure, done.created_count) == (ImportStatus.COMPLETED, "", 1)

    def test_imports_a_dead_worker_never_finishes_are_failed_by_the_sweep(self, officer, mapped):
        from django.conf import settings

        queued = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=queued)  # on_commit not run: the message is lost
        running = mapped(export(row(2)))
        imports.import_start(actor=officer, csv_import=running)
        began = clock.now() - timedelta(minutes=5)
        CsvImport.objects.filter(pk=running.pk).update(status=ImportStatus.RUNNING, running_since=began)
        assert imports.imports_fail_stalled() == 0  # just started: left alone
        # a worker began it longer ago than the task may run: the worker died
        after_time_limit = began + settings.CSV_IMPORT_STALLED_AFTER + timedelta(seconds=1)
        assert imports.imports_fail_stalled(now=after_time_limit) == 1
        running.refresh_from_db()
        assert (running.status, running.failure) == (ImportStatus.FAILED, imports.STALLED)
        queued.refresh_from_db()
        assert queued.status == ImportStatus.QUEUED  # waiting behind other imports is not stalling
        lost = queued.started_at + settings.CSV_IMPORT_QUEUED_AT_MOST + timedelta(seconds=1)
        assert imports.imports_fail_stalled(now=lost) == 1
        queued.refresh_from_db()
        assert (queued.status, queued.failure) == (ImportStatus.FAILED, imports.STALLED)
        assert imports.imports_fail_stalled(now=lost) == 0

    def test_a_redelivered_task_keeps_the_first_start_so_the_sweep_still_bounds_it(self, officer, mapped, monkeypatch):
        csv_import = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=csv_import)
        began = clock.now() - timedelta(minutes=50)  # a worker began it, then was killed
        CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.RUNNING, running_since=began)
        seen = []

        def killed_again(run):
            seen.append(CsvImport.objects.get(pk=run.pk).running_since)
            raise csvfiles.CsvFileError("stop here")

        monkeypatch.setattr(imports, "_check_all", killed_again)
        imports.import_run(csv_import_id=csv_import.pk, attempt=1)
        assert seen == [began]

    def test_authors_take_the_first_name_and_id_any_of_their_rows_gives(
        self, officer, mapped, django_capture_on_commit_callbacks
    ):
        header = "ID,Date,Author,Author Name,Author ID,Text,Profile"
        data = export(
            "c1,01/03/2025 14:05,@a,,,one,northhertsdc",
            "c2,01/03/2025 14:06,@a,Alex A,,two,northhertsdc",
            "c3,01/03/2025 14:07,@a,Someone Else,u-1,three,northhertsdc",
            header=header,
        )
        done = run(mapped(data), officer, django_capture_on_commit_callbacks)
        assert done.created_count == 3
        account = SocialAccount.objects.get(handle="a")
        assert (account.display_name, account.platform_user_id) == ("Alex A", "u-1")

    def test_a_late_task_of_an_earlier_attempt_changes_nothing(
        self, officer, mapped, django_capture_on_commit_callbacks
    ):
        csv_import = mapped(export(row(1, text="first wording")))
        imports.import_start(actor=officer, csv_import=csv_import)  # attempt 1: its task is slow to arrive
        imports._mark_failed(csv_import.pk, failure=imports.STALLED)  # the sweep gives up on it
        csv_import.refresh_from_db()
        imports.import_start(actor=officer, csv_import=csv_import)  # attempt 2, not yet run
        csv_import.refresh_from_db()
        assert csv_import.attempt == 2
        late = imports.import_run(csv_import_id=csv_import.pk, attempt=1)
        assert (late.status, late.attempt) == (ImportStatus.QUEUED, 2)
        assert Post.objects.count() == 0
        done = imports.import_run(csv_import_id=csv_import.pk, attempt=2)
        assert (done.status, done.created_count) == (ImportStatus.COMPLETED, 1)

    def test_a_run_overtaken_by_a_new_attempt_neither_stores_nor_fails_it(self, officer, mapped):
        csv_import = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=csv_import)
        CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.RUNNING, attempt=1)
        overtaken = CsvImport.objects.get(pk=csv_import.pk)
        CsvImport.objects.filter(pk=csv_import.pk).update(attempt=2)  # swept and started again meanwhile
        items, repeated = imports._check_all(overtaken)
        assert imports._store_all(overtaken, items, repeated).status == ImportStatus.RUNNING
        assert imports._finish_failed(overtaken, failure="old").status == ImportStatus.RUNNING
        assert Post.objects.count() == 0

    def test_a_cache_that_fails_does_not_fail_the_import(
        self, officer, mapped, monkeypatch, django_capture_on_commit_callbacks
    ):
        def down(*args, **kwargs):
            raise ConnectionError("cache down")

        monkeypatch.setattr(cache, "set", down)
        monkeypatch.setattr(cache, "get", down)
        monkeypatch.setattr(cache, "delete", down)
        done = run(mapped(export(row(1))), officer, django_capture_on_commit_callbacks)
        assert done.status == ImportStatus.COMPLETED
        queued = mapped(export(row(2)))
        imports.import_start(actor=officer, csv_import=queued)
        queued.refresh_from_db()
        assert imports.import_progress(queued)["phase"] == "waiting"  # the page still shows

    def test_an_unexpected_error_fails_the_import_and_stores_nothing(
        self, officer, mapped, monkeypatch, django_capture_on_commit_callbacks
    ):
        def boom(*args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(imports.flags, "flags_evaluate", boom)
        done = run(mapped(export(row(1))), officer, django_capture_on_commit_callbacks)
        assert done.status == ImportStatus.FAILED
        assert "stopped unexpectedly and nothing was imported" in done.failure
        assert Post.objects.count() == 0

    def test_a_repeated_post_id_with_other_content_fails_the_import(
        self, officer, mapped, django_capture_on_commit_callbacks
    ):
        done = run(
            mapped(export(row(1), row(2), row(1, text="Not the same"))), officer, django_capture_on_commit_callbacks
        )
        assert (done.status, done.problem_count) == (ImportStatus.FAILED, 1)
        assert done.problems[0]["row"] == 4
        assert Post.objects.count() == 0

    def test_discard_deletes_the_file_and_refuses_later_changes(self, officer, mapped):
        csv_import = mapped(export(row(1)))
        storage, name = csv_import.file.storage, csv_import.file.name
        discarded = imports.import_discard(actor=officer, csv_import=csv_import)
        assert discarded.status == ImportStatus.DISCARDED
        with pytest.raises(ValidationError, match="discarded"):
            imports.import_start(actor=officer, csv_import=discarded)
        with pytest.raises(ValidationError, match="can no longer be changed"):
            imports.import_match_columns(actor=officer, csv_import=discarded, columns=discarded.columns, channel=None)
        assert not CsvImport.objects.get().file
        del storage, name  # deleted on commit (the test transaction never commits)

    def test_progress_is_reported_while_running(self, officer, mapped):
        csv_import = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=csv_import)
        csv_import.refresh_from_db()
        assert imports.import_progress(csv_import) == {"phase": "waiting", "done": 0, "total": 1, "percent": 0}
        progress = {"attempt": 1, "phase": "storing", "done": 500, "total": 1000}
        cache.set(f"csv-import:{csv_import.pk}:progress", progress)
        assert imports.import_progress(csv_import)["percent"] == 66
        cache.set(f"csv-import:{csv_import.pk}:progress", {**progress, "attempt": 0})  # an earlier attempt's
        assert imports.import_progress(csv_import)["phase"] == "waiting"

    def test_times_long_past_and_the_clock(self, officer, mapped, django_capture_on_commit_callbacks):
        future = (clock.now() + timedelta(days=3)).strftime("%d/%m/%Y %H:%M")
        done = run(mapped(export(row(1, when=future))), officer, django_capture_on_commit_callbacks)
        assert "in the future" in done.problems[0]["message"]


class TestPages:
    def test_upload_match_preview_import_in_the_browser_flow(
        self, client, officer, channel, django_capture_on_commit_callbacks
    ):
        client.force_login(officer)
        page = client.get(reverse("moderation:import_upload"))
        assert page.status_code == 200
        assert "Name of the source" in page.text
        response = client.post(
            reverse("moderation:import_upload"),
            {"source": "new", "source_name": "Hootsuite export", "file": upload(export(row(1), row(2)))},
        )
        csv_import = CsvImport.objects.get()
        assert response.url == reverse("moderation:import_columns", args=[csv_import.pk])
        page = client.get(response.url)
        assert "Date (e.g. 01/03/2025 14:05)" in page.text
        form = {**csv_import.columns, "default_channel": ""}
        response = client.post(reverse("moderation:import_columns", args=[csv_import.pk]), form)
        assert response.status_code == 302
        page = client.get(response.url)
        assert "Import 2 rows" in page.text
        assert "New comment" in page.text
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("moderation:import_start", args=[csv_import.pk]))
        page = client.get(response.url)
        assert "Import complete" in page.text
        assert Post.objects.count() == 2
        listing = client.get(reverse("moderation:import_list"))
        assert "2 new posts" in listing.text

    def test_a_known_source_skips_the_columns_page(self, client, officer, mapped):
        mapped(export(row(1)))
        client.force_login(officer)
        source = ImportSource.objects.get()
        response = client.post(
            reverse("moderation:import_upload"), {"source": str(source.pk), "file": upload(export(row(2)))}
        )
        latest = CsvImport.objects.order_by("-pk").first()
        assert response.url == reverse("moderation:import_detail", args=[latest.pk])

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "The file is empty"),
            (b"Date,date\r\n1,2\r\n", "Two columns are headed"),
            (b"ID,Text\r\nc1,caf\xe9\r\n", "not UTF-8"),
        ],
    )
    def test_bad_files_get_a_message_on_the_form(self, client, officer, data, message):
        client.force_login(officer)
        response = client.post(
            reverse("moderation:import_upload"), {"source": "new", "source_name": "Tool", "file": upload(data)}
        )
        assert response.status_code == 200
        assert message in response.text
        assert "govuk-error-summary" in response.text
        assert not CsvImport.objects.exists()
        assert not ImportSource.objects.exists()

    def test_missing_source_name_and_file(self, client, officer):
        client.force_login(officer)
        response = client.post(reverse("moderation:import_upload"), {"source": "new"})
        assert "Enter the name of the source" in response.text
        assert "Choose the CSV file to upload" in response.text

    def test_failed_import_lists_the_problems(self, client, officer, mapped, django_capture_on_commit_callbacks):
        done = run(mapped(export(row(1, when="soon"))), officer, django_capture_on_commit_callbacks)
        client.force_login(officer)
        page = client.get(reverse("moderation:import_detail", args=[done.pk]))
        assert "Nothing was imported" in page.text
        assert "“soon” is not a date and time" in page.text

    def test_column_selects_are_styled_and_described_and_service_errors_mark_them(self, client, officer, channel):
        csv_import = imports.import_upload(actor=officer, file=upload(export(row(1))), source_name="Hootsuite")
        client.force_login(officer)
        url = reverse("moderation:import_columns", args=[csv_import.pk])
        page = client.get(url).text
        assert '<select name="posted_at" class="govuk-select" aria-describedby="id_posted_at-hint"' in page
        response = client.post(url, {**csv_import.columns, "posted_at": "", "default_channel": ""})
        assert response.status_code == 200
        select = re.search(r'<select name="posted_at"[^>]*>', response.text)[0]
        assert 'class="govuk-select govuk-select--error"' in select
        assert 'aria-describedby="id_posted_at-hint id_posted_at-error"' in select
        assert 'id="id_posted_at-error"' in response.text

    def test_an_import_that_could_not_run_offers_to_try_again(self, client, officer, mapped):
        csv_import = mapped(export(row(1)))
        CsvImport.objects.filter(pk=csv_import.pk).update(
            status=ImportStatus.FAILED, failure=imports.STALLED, finished_at=clock.now()
        )
        client.force_login(officer)
        page = client.get(reverse("moderation:import_detail", args=[csv_import.pk])).text
        assert imports.STALLED in page
        assert "Try again</button>" in page

    def test_progress_polls_replace_the_bar_and_only_the_text_of_the_live_region(self, client, officer, mapped):
        csv_import = mapped(export(row(1)))
        imports.import_start(actor=officer, csv_import=csv_import)
        client.force_login(officer)
        page = client.get(reverse("moderation:import_detail", args=[csv_import.pk])).text
        assert 'aria-live="polite" id="import-progress-text">Waiting for the worker to start</p>' in page
        poll = client.get(reverse("moderation:import_progress", args=[csv_import.pk]), headers={"HX-Request": "true"})
        assert '<span id="import-progress-text" hx-swap-oob="innerHTML">Waiting for the worker' in poll.text
        assert 'id="import-progress-bar"' in poll.text
        assert "aria-live" not in poll.text
        CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.RUNNING)  # a worker began it
        poll = client.get(reverse("moderation:import_progress", args=[csv_import.pk]), headers={"HX-Request": "true"})
        assert (
            '<span id="import-status" hx-swap-oob="innerHTML"><strong class="govuk-tag govuk-tag--purple">Importing'
            in poll.text
        )
        assert "HX-Refresh" not in poll
        assert """hx-vals='{"shown": "waiting:0"}'""" in poll.text
        same = client.get(
            reverse("moderation:import_progress", args=[csv_import.pk]),
            {"shown": "waiting:0"},
            headers={"HX-Request": "true"},
        )
        assert 'id="import-progress-bar"' in same.text
        assert "import-progress-text" not in same.text.replace('aria-labelledby="import-progress-text"', "")

    def test_progress_fragment_reloads_the_page_when_done(
        self, client, officer, mapped, django_capture_on_commit_callbacks
    ):
        done = run(mapped(export(row(1))), officer, django_capture_on_commit_callbacks)
        client.force_login(officer)
        response = client.get(reverse("moderation:import_progress", args=[done.pk]), headers={"HX-Request": "true"})
        assert response["HX-Refresh"] == "true"

    def test_double_click_on_import_is_told_it_started(self, client, officer, mapped):
        csv_import = mapped(export(row(1)))
        client.force_login(officer)
        client.post(reverse("moderation:import_start", args=[csv_import.pk]))
        response = client.post(reverse("moderation:import_start", args=[csv_import.pk]), follow=True)
        assert "already been started by" in response.text

    def test_roles_without_the_permission_are_refused(self, client, director, md):
        for user in (director, md):
            client.force_login(user)
            assert client.get(reverse("moderation:import_list")).status_code == 403
            assert client.get(reverse("moderation:import_upload")).status_code == 403

    def test_navigation_offers_import_to_officers(self, client, officer):
        client.force_login(officer)
        assert "Import posts" in client.get(reverse("moderation:case_list")).text

    def test_admin_lists_imports_and_sources(self, client, officer, mapped, django_capture_on_commit_callbacks):
        run(mapped(export(row(1))), officer, django_capture_on_commit_callbacks)
        client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
        listing = client.get(reverse("admin:moderation_csvimport_changelist"))
        assert listing.status_code == 200
        assert "export.csv" in listing.text
        sources = client.get(reverse("admin:moderation_importsource_changelist"))
        assert "Hootsuite export" in sources.text
        detail = client.get(reverse("admin:moderation_importsource_change", args=[ImportSource.objects.get().pk]))
        assert "Message ID" in detail.text  # the saved columns, read-only


def test_nul_characters_in_a_file_are_dropped(officer, mapped, django_capture_on_commit_callbacks):
    done = run(mapped(export(row(1, text="bad\x00byte"))), officer, django_capture_on_commit_callbacks)
    assert done.status == ImportStatus.COMPLETED
    assert Post.objects.get().text == "badbyte"


def test_the_upload_form_offers_the_last_source_used(client, officer, mapped):
    mapped(export(row(1)))
    client.force_login(officer)
    page = client.get(reverse("moderation:import_upload"))
    source = ImportSource.objects.get()
    assert f'value="{source.pk}" checked' in page.text
