"""The CSV import finds a row's channel where every way in does: ``intake.channel_resolve`` (issue 10)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from moderation import csvfiles, imports, intake
from moderation.constants import Platform
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "Message ID,Date,Author,Message,Profile"


def preview(officer, *rows: str, header: str = HEADER, columns: dict | None = None):
    data = ("\r\n".join([header, *rows]) + "\r\n").encode()
    upload = SimpleUploadedFile("export.csv", data, content_type="text/csv")
    csv_import = imports.import_upload(actor=officer, file=upload, source_name="Hootsuite export")
    mapped = imports.import_match_columns(
        actor=officer,
        csv_import=csv_import,
        columns={**csvfiles.guess_columns(csv_import.headings), **(columns or {})},
        channel=None,
    )
    return imports.import_preview(mapped)


def test_the_import_asks_channel_resolve(officer, monkeypatch):
    channel = factories.ChannelFactory(platform=Platform.FACEBOOK, handle="northhertsdc")
    calls = []
    resolve = intake.channel_resolve

    def spy(reference, **kwargs):
        calls.append((reference, kwargs))
        return resolve(reference, **kwargs)

    monkeypatch.setattr(intake, "channel_resolve", spy)

    rows = preview(officer, "c1,01/03/2025 14:05,@a,hi,@NorthHertsDC").rows

    assert rows[0].item.channel == channel
    [(reference, kwargs)] = calls  # once per channel named, whatever the number of rows
    assert reference == "@NorthHertsDC"
    assert kwargs["by_name"] is True


def test_a_handle_names_its_channel_before_another_channels_name(officer):
    """As the API and the webhook find it: a handle is exact; a name is only a fallback."""
    by_handle = factories.ChannelFactory(platform=Platform.FACEBOOK, handle="planning", name="Planning news")
    factories.ChannelFactory(platform=Platform.FACEBOOK, handle="nhdc_planning", name="Planning")

    rows = preview(officer, "c1,01/03/2025 14:05,@a,hi,planning").rows

    assert rows[0].problems == []
    assert rows[0].item.channel == by_handle


def test_a_name_two_channels_share_on_one_platform_names_them_and_asks_for_the_handle(officer):
    factories.ChannelFactory(platform=Platform.FACEBOOK, handle="nhdc_waste", name="Council news")
    factories.ChannelFactory(platform=Platform.FACEBOOK, handle="nhdc_parks", name="Council news")

    (problem,) = preview(officer, "c1,01/03/2025 14:05,@a,hi,Council news").rows[0].problems

    assert problem.field == "Channel"
    assert "match the platform column" not in problem.message  # both are on Facebook: it would not help
    assert "@nhdc_parks" in problem.message
    assert "@nhdc_waste" in problem.message
    assert "handle" in problem.message


def test_the_csv_wording_is_kept(officer):
    factories.ChannelFactory(platform=Platform.FACEBOOK, handle="northhertsdc", name="NHDC")
    factories.ChannelFactory(platform=Platform.INSTAGRAM, handle="northhertsdc", name="NHDC Instagram")
    factories.ChannelFactory(platform=Platform.X, handle="old_account", is_active=False)

    rows = preview(
        officer,
        "c1,01/03/2025 14:05,@a,hi,northhertsdc",
        "c2,01/03/2025 14:05,@a,hi,nowhere",
        "c3,01/03/2025 14:05,@a,hi,old_account",
    ).rows

    assert [p.message for r in rows for p in r.problems] == [
        "“northhertsdc” is a channel on Facebook and Instagram: match the platform column to tell them apart.",
        "“nowhere” is not one of our channels (an administrator adds channels in the admin).",
        "“old_account” is no longer an active channel.",
    ]
