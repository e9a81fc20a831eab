"""Benchmark: import a CSV export of N rows the way the worker does, and print rows/second.

The file is built like a real export (byte-order mark, day-first London times, quoted text with
commas, quotes and newlines, two channels told apart by a platform column) and goes through the
import services: upload, column matching, then ``import_run`` (every row checked, then all stored
in one transaction, automatic flags evaluated). Everything runs in one transaction that is rolled
back, and the uploaded copy is deleted, so nothing is kept. `make bench-import` runs 100,000 rows.
"""

from __future__ import annotations

import csv
import io
import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from moderation import clock, csvfiles, imports
from moderation.constants import ImportStatus, Platform
from moderation.management.commands.bench_ingest import WORDS, Rollback, bench_flag_rules
from moderation.models import Channel

HEADINGS = ["Date", "Network", "Profile", "Message Type", "From", "From Name", "Message", "Link", "Message ID"]


def bench_export(rows: int) -> bytes:
    """A realistic export of ``rows`` posts on two channels that share a handle."""
    random.seed(11)
    start = clock.now() - timedelta(days=30)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    for n in range(rows):
        network = "Facebook" if n % 3 else "Instagram"
        text = " ".join(random.choices(WORDS, k=14))  # noqa: S311 - test data
        if n % 10 == 0:
            text += ', "quoted", and\r\na second line'
        if n % 50 == 0:
            text += " you idiot"
        when = timezone.localtime(start + timedelta(seconds=20 * n)).strftime("%d/%m/%Y %H:%M:%S")
        writer.writerow(
            [
                when,
                network,
                "bench-page",
                "Comment" if n % 4 else "Reply",
                f"@resident{n % 5000}",
                f"Resident {n % 5000}",
                text,
                f"https://example.org/p/{n}",
                f"bench-{n}",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


class Command(BaseCommand):
    help = "Import a generated CSV export of N rows through the import services and print rows/second."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)

    def handle(self, *args, rows: int, **options):
        data = bench_export(rows)
        self.stdout.write(f"Generated {rows:,} rows ({len(data) / 1024 / 1024:.1f} MB).")
        result = {}
        try:
            with transaction.atomic():
                result = self.run(data)
                raise Rollback
        except Rollback:
            pass
        finally:
            if result.get("file"):
                result["storage"].delete(result["file"])
        if result.get("status") != ImportStatus.COMPLETED:
            raise CommandError(f"the import ended {result.get('status')}: {result.get('detail')}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{rows:,} rows: upload {result['upload']:.1f} s, check and store {result['run']:.1f} s, "
                f"{rows / result['run']:,.0f} rows/s ({result['created']:,} posts, {result['flagged']:,} flagged)"
            )
        )

    def run(self, data: bytes) -> dict:
        for platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
            Channel.objects.get_or_create(
                platform=platform, handle="bench-page", defaults={"name": f"Bench {platform}"}
            )
        bench_flag_rules()
        actor = get_user_model().objects.create_superuser(f"bench-{time.time_ns()}", password=None)
        began = time.perf_counter()
        csv_import = imports.import_upload(
            actor=actor, file=SimpleUploadedFile("bench.csv", data), source_name=f"Bench {time.time_ns()}"
        )
        csv_import = imports.import_match_columns(
            actor=actor, csv_import=csv_import, columns=csvfiles.guess_columns(csv_import.headings), channel=None
        )
        uploaded = time.perf_counter()
        imports.import_start(actor=actor, csv_import=csv_import)  # its task is never sent: rolled back
        file_name, storage = csv_import.file.name, csv_import.file.storage
        done = imports.import_run(csv_import_id=csv_import.pk)
        finished = time.perf_counter()
        return {
            "status": done.status,
            "detail": done.failure or done.problems[:3],
            "upload": uploaded - began,
            "run": finished - uploaded,
            "created": done.created_count,
            "flagged": done.flagged_count,
            "file": file_name,
            "storage": storage,
        }
