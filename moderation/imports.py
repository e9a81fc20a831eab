"""CSV import: an officer uploads a social-media management tool's export and the posts come in.

The journey: ``import_upload`` (the file is read and kept; a source whose saved column mapping
fits the file goes straight to ready) → ``import_match_columns`` (the columns matched once per
source: the mapping is saved on the source) → ``import_preview`` (the first rows, what each will
become, every problem) → ``import_start`` (queued; a Celery task runs ``import_run``). The import
is all or nothing: every row is checked first, and if any has a problem nothing is stored and the
problems are kept on the import; otherwise the posts are stored in one transaction, idempotent on
(channel, post ID) like the API — a re-uploaded file adds nothing. Stored posts go through the
automatic flags. The uploaded file is deleted once its posts are stored, or when discarded.

While the task runs it writes its progress to the cache (shared by the web and the worker), which
the import's page polls; the import row itself changes only at the start and at the end.
Like ingested posts, imported posts belong to no case and write no timeline event; the import row
keeps who uploaded, who started it, when, and what came of it.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q

from moderation import clock, csvfiles, flags, intake
from moderation.constants import ImportStatus, PostKind
from moderation.models import Channel, CsvImport, ImportSource, Post, SocialAccount
from moderation.services import (
    IngestStatus,
    _accounts_for,
    _Item,
    _store,
    _validate_item,
    conflict,
    require_perm,
)
from policy import roles as routing

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000  # rows stored per statement batch (the API's batch size)
PROGRESS_EVERY = 2000  # rows checked between progress reports
MAX_PROBLEMS_KEPT = 1000

# what Excel leaves of a long numeric ID it has shown in scientific notation and saved: 1.23457E+17
_SHORTENED_NUMBER = re.compile(r"^\d(?:[.,]\d+)?E\+\d+$", re.IGNORECASE)
_LINE_END = re.compile(r"\r\n?")
_KIND_WORDS = {
    **{value: value for value in PostKind.values},
    **{label.casefold(): value for value, label in PostKind.choices},
    "direct message": PostKind.DIRECT_MESSAGE,
    "dm": PostKind.DIRECT_MESSAGE,
    "message": PostKind.DIRECT_MESSAGE,
    "private message": PostKind.DIRECT_MESSAGE,
    "comments": PostKind.COMMENT,
    "replies": PostKind.REPLY,
    "mentions": PostKind.MENTION,
    "@mention": PostKind.MENTION,
}


# --- progress (the cache, shared by the web processes and the worker) ----------------------------


def _progress_key(pk: int) -> str:
    return f"csv-import:{pk}:progress"


def _report(csv_import: CsvImport, phase: str, done: int, total: int) -> None:
    """Best effort: an import never fails because its progress could not be shown."""
    pk = csv_import.pk
    progress = {"attempt": csv_import.attempt, "phase": phase, "done": done, "total": total}
    try:
        cache.set(_progress_key(pk), progress, timeout=6 * 3600)
    except Exception:  # noqa: BLE001 — any cache backend's error
        logger.warning("CSV import %s: progress not written to the cache", pk, exc_info=True)


def _forget_progress(pk: int) -> None:
    try:
        cache.delete(_progress_key(pk))
    except Exception:  # noqa: BLE001 — any cache backend's error; the entry expires anyway
        logger.warning("CSV import %s: progress not removed from the cache", pk, exc_info=True)


def import_progress(csv_import: CsvImport) -> dict:
    """``{"phase": "waiting" | "checking" | "storing", "done": n, "total": rows, "percent": p}``."""
    try:
        found = cache.get(_progress_key(csv_import.pk)) if csv_import.is_active else None
    except Exception:  # noqa: BLE001 — shown as waiting rather than failing the page
        logger.warning("CSV import %s: progress not read from the cache", csv_import.pk, exc_info=True)
        found = None
    if not found or found.get("attempt") != csv_import.attempt:  # nothing yet, or an earlier attempt's
        found = None
    progress = found or {"phase": "waiting", "done": 0, "total": csv_import.row_count}
    progress = {key: progress[key] for key in ("phase", "done", "total")}
    total = progress["total"] or 1
    # checking is the first third of the work, storing the rest
    share = progress["done"] / total
    percent = {"waiting": 0, "checking": share / 3, "storing": 1 / 3 + 2 * share / 3}[progress["phase"]]
    return {**progress, "percent": min(99, int(percent * 100))}


# --- the column mapping ------------------------------------------------------------------------------


def mapping_problems(columns: dict[str, str], channel: Channel | None, headings: list[str]) -> dict[str, str]:
    """Why ``columns`` (our field → heading) cannot read a file with ``headings``: field → message."""
    problems: dict[str, str] = {}
    for key, heading in columns.items():
        if key in csvfiles.FIELD_BY_KEY and heading not in headings:
            problems[key] = f"The file has no column headed “{heading}”."
    for spec in csvfiles.FIELDS:
        if spec.required and not columns.get(spec.key) and spec.key not in problems:
            problems[spec.key] = f"Choose the column that holds the {spec.noun}."
    if not columns.get("external_id") and not columns.get("url"):
        problems.setdefault("external_id", "Choose the column with the post ID, or the one with the post's link.")
    if not columns.get("channel") and channel is None:
        problems.setdefault("channel", "Choose the column that names the channel, or the channel of every row.")
    return problems


def _saved_headings_present(source: ImportSource, headings: list[str]) -> bool:
    """The file has every column the source's saved mapping names (its channel may still need choosing)."""
    return bool(source.columns) and all(heading in headings for heading in source.columns.values())


def _saved_columns_fit(source: ImportSource, headings: list[str]) -> bool:
    """The source's saved mapping reads this file, and the channel saved with it is still active."""
    if source.channel is not None and not source.channel.is_active:
        return False
    return bool(source.columns) and not mapping_problems(source.columns, source.channel, headings)


# --- services -------------------------------------------------------------------------------------


def _read_upload(file: UploadedFile) -> tuple[bytes, csvfiles.Table]:
    limit = settings.CSV_IMPORT_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            {"file": f"The file is larger than {limit // (1024 * 1024)} MB: split it and upload each part."}
        )
    data = file.read()
    if not data:
        raise ValidationError({"file": "The file is empty."})
    try:
        return data, csvfiles.read_table(data)
    except csvfiles.CsvFileError as error:
        raise ValidationError({"file": str(error)}) from error


def _source_named(actor: AbstractBaseUser, name: str) -> ImportSource:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"source_name": "Name where the file comes from, for example “Hootsuite export”."})
    if len(name) > 120:
        raise ValidationError({"source_name": "Use at most 120 characters."})
    found = ImportSource.objects.filter(name__iexact=name).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return ImportSource.objects.create(name=name, created_by=actor)
    except IntegrityError:  # created by someone else a moment ago
        return ImportSource.objects.get(name__iexact=name)


@transaction.atomic
def import_upload(
    *, actor: AbstractBaseUser, file: UploadedFile, source: ImportSource | None = None, source_name: str = ""
) -> CsvImport:
    """Keep an uploaded export of ``source`` (or of a new source called ``source_name``).

    The file must be CSV (comma, semicolon or tab; UTF-8 with or without a byte-order mark) with a
    heading row and at least one post. When the source's saved mapping fits the file's headings the
    import is ready at once; otherwise its columns are to be matched, starting from a guess.
    """
    require_perm(actor, routing.PERM_IMPORT_POSTS, "import posts")
    data, table = _read_upload(file)
    if source is None:
        source = _source_named(actor, source_name)
    fits = _saved_columns_fit(source, table.headings)
    guessed = {} if fits else csvfiles.guess_columns(table.headings, table.examples())
    csv_import = CsvImport(
        source=source,
        filename=PurePath(file.name or "upload.csv").name[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        headings=table.headings,
        row_count=len(table),
        nul_count=table.nul_count,
        status=ImportStatus.READY if fits else ImportStatus.MAPPING,
        columns=dict(source.columns) if fits or _saved_headings_present(source, table.headings) else guessed,
        channel=source.channel if source.channel is None or source.channel.is_active else None,
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    csv_import.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
    csv_import.save()
    return csv_import


def _locked(csv_import: CsvImport) -> CsvImport:
    return CsvImport.objects.select_for_update().get(pk=csv_import.pk)


def _refuse_unless_editable(csv_import: CsvImport) -> None:
    if not csv_import.is_editable:
        raise conflict(f"This import is {csv_import.get_status_display().lower()}: it can no longer be changed.")


@transaction.atomic
def import_match_columns(
    *, actor: AbstractBaseUser, csv_import: CsvImport, columns: dict[str, str], channel: Channel | None
) -> CsvImport:
    """Say which column holds what; the mapping is saved on the source for its later files.

    Raises ValidationError by field when a required field has no column, a heading is not in the
    file, or no channel can be known; ``conflict`` once the import has started.
    """
    require_perm(actor, routing.PERM_IMPORT_POSTS, "import posts")
    locked = _locked(csv_import)
    _refuse_unless_editable(locked)
    columns = {key: heading for key, heading in columns.items() if key in csvfiles.FIELD_BY_KEY and heading}
    if channel is not None and not channel.is_active:
        raise ValidationError({"default_channel": "This channel is no longer active."})
    problems = mapping_problems(columns, channel, locked.headings)
    if problems:
        raise ValidationError({key: [message] for key, message in problems.items()})
    now = clock.now()
    locked.columns = columns
    locked.channel = channel
    locked.status = ImportStatus.READY
    locked.problems, locked.problem_count, locked.failure, locked.finished_at = [], 0, "", None
    locked.save(update_fields=["columns", "channel", "status", "problems", "problem_count", "failure", "finished_at"])
    source = ImportSource.objects.select_for_update().get(pk=locked.source_id)
    source.columns, source.channel = columns, channel
    source.columns_saved_by, source.columns_saved_at = actor, now
    source.save(update_fields=["columns", "channel", "columns_saved_by", "columns_saved_at"])
    return locked


@transaction.atomic
def import_start(*, actor: AbstractBaseUser, csv_import: CsvImport) -> CsvImport:
    """Queue a ready import (or one that failed, to try again); the worker checks every row, then
    stores all of them or none. If the task queue cannot be reached the import fails at once,
    saying so, rather than waiting for ever."""
    require_perm(actor, routing.PERM_IMPORT_POSTS, "import posts")
    locked = _locked(csv_import)
    if locked.status not in (ImportStatus.READY, ImportStatus.FAILED):
        if locked.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.COMPLETED):
            raise conflict(f"This import has already been started by {_name(locked.started_by)}.")
        if locked.status == ImportStatus.DISCARDED:
            raise conflict("This upload was discarded: upload the file again.")
        raise conflict(f"This import is {locked.get_status_display().lower()}: match its columns first.")
    if not locked.file:
        raise conflict("The uploaded file is no longer kept: upload it again.")
    if locked.channel is not None and not Channel.objects.filter(pk=locked.channel_id, is_active=True).exists():
        raise ValidationError(
            {"default_channel": "The channel chosen for rows that name none is no longer active: choose another."}
        )
    locked.status = ImportStatus.QUEUED
    locked.started_by = actor
    locked.started_at = clock.now()
    locked.attempt += 1
    locked.running_since = locked.finished_at = None
    locked.problems, locked.problem_count, locked.failure = [], 0, ""
    locked.save(
        update_fields=[
            "status",
            "started_by",
            "started_at",
            "attempt",
            "running_since",
            "finished_at",
            "problems",
            "problem_count",
            "failure",
        ]
    )
    _report(locked, "waiting", 0, locked.row_count)
    pk, attempt = locked.pk, locked.attempt
    transaction.on_commit(lambda: _queue(pk, attempt))
    return locked


NOT_QUEUED = (
    "The import could not be handed to the worker (the task queue did not answer), so nothing was imported. "
    "Try again in a few minutes; if it happens again, tell your administrator."
)
STALLED = (
    "The import stopped without finishing (the worker may have been restarted), so nothing was imported. "
    "Try again; if it happens again, tell your administrator."
)


def _queue(pk: int, attempt: int) -> None:
    from moderation.tasks import import_csv  # the task module imports this one

    try:
        import_csv.delay(pk, attempt)
    except Exception:  # noqa: BLE001 — the broker is down or refused the message
        logger.exception("CSV import %s could not be queued", pk)
        _mark_failed(pk, failure=NOT_QUEUED, statuses=(ImportStatus.QUEUED,), attempt=attempt)


def _mark_failed(
    pk: int,
    *,
    failure: str = "",
    problems: list[Problem] | None = None,
    count: int = 0,
    statuses=(ImportStatus.QUEUED, ImportStatus.RUNNING),
    attempt: int | None = None,
    skip_locked: bool = False,
    where: Q | None = None,
) -> CsvImport | None:
    """Mark the import failed, with ``failure`` or its rows' ``problems`` (``count`` rows), if once
    locked it is still in one of ``statuses`` (on ``attempt``, and matching ``where``). Returns it
    when marked now; ``None`` when it had moved on (or, ``skip_locked``, is busy storing)."""
    with transaction.atomic():
        found = CsvImport.objects.select_for_update(skip_locked=skip_locked).filter(pk=pk, status__in=statuses)
        if attempt is not None:
            found = found.filter(attempt=attempt)
        if where is not None:
            found = found.filter(where)
        locked = found.first()
        if locked is None:
            return None
        locked.status = ImportStatus.FAILED
        locked.finished_at = clock.now()
        locked.problems = [p.as_dict() for p in problems or []]
        locked.problem_count = count
        locked.failure = failure
        locked.save(update_fields=["status", "finished_at", "problems", "problem_count", "failure"])
    _forget_progress(pk)
    return locked


def imports_fail_stalled(*, now: datetime | None = None) -> int:
    """Fail the imports a worker will never finish; returns how many.

    Running: a worker began it longer ago than the task may take (``CSV_IMPORT_STALLED_AFTER``, the
    hard time limit and a margin), so the worker died. Queued: waiting longer than
    ``CSV_IMPORT_QUEUED_AT_MOST``, so the message was lost. An import busy storing (its row
    locked) is left alone.
    """
    now = now or clock.now()
    running_cutoff = now - settings.CSV_IMPORT_STALLED_AFTER
    queued_cutoff = now - settings.CSV_IMPORT_QUEUED_AT_MOST
    stalled = (
        Q(status=ImportStatus.RUNNING, running_since__lt=running_cutoff)
        | Q(status=ImportStatus.RUNNING, running_since__isnull=True, started_at__lt=running_cutoff)
        | Q(status=ImportStatus.QUEUED, started_at__lt=queued_cutoff)
        | Q(status=ImportStatus.QUEUED, started_at__isnull=True)
    )
    failed = 0
    for pk in list(CsvImport.objects.filter(stalled).values_list("pk", flat=True)):
        if _mark_failed(pk, failure=STALLED, skip_locked=True, where=stalled):  # still stalled, once locked
            logger.warning("CSV import %s stalled and was marked failed", pk)
            failed += 1
    return failed


@transaction.atomic
def import_discard(*, actor: AbstractBaseUser, csv_import: CsvImport) -> CsvImport:
    """Throw away an upload that has not been imported; its file is deleted."""
    require_perm(actor, routing.PERM_IMPORT_POSTS, "import posts")
    locked = _locked(csv_import)
    _refuse_unless_editable(locked)
    locked.status = ImportStatus.DISCARDED
    _drop_file(locked)
    locked.save(update_fields=["status", "file"])
    return locked


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "someone"


def _drop_file(csv_import: CsvImport) -> None:
    """Forget the uploaded file (the caller saves ``file``); it is deleted once the transaction commits."""
    name, storage = csv_import.file.name, csv_import.file.storage
    csv_import.file = ""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# --- reading rows -----------------------------------------------------------------------------------


@dataclass
class Problem:
    row: int
    message: str
    field: str = ""
    column: str = ""
    author: str = ""  # the row's post as given, so the officer can find it: its author's handle …
    text: str = ""  # … and its text, shortened
    safeguarding: bool = False  # the text matches a safeguarding flag rule: for the safeguarding leads

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "field": self.field,
            "column": self.column,
            "message": self.message,
            "author": self.author,
            "text": self.text,
            "safeguarding": self.safeguarding,
        }


PROBLEM_TEXT_CHARS = 80


def _shortened(text: str, limit: int = PROBLEM_TEXT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class RowReader:
    """Turns the rows of one file into checked posts, with the import's mapping and channel."""

    def __init__(self, csv_import: CsvImport, table: csvfiles.Table, channels: list[Channel]):
        self.columns = csv_import.columns
        self.id_column = self.columns.get("external_id") or self.columns.get("url", "")
        self.default_channel = csv_import.channel
        self.index = {heading: i for i, heading in enumerate(table.headings)}
        self.wide = table.wide
        self.heading_count = len(table.headings)
        self.channels = channels
        self.now = clock.now()
        self._channel_cache: dict[tuple[str, str], Channel | tuple[str, str]] = {}
        self._safeguarding = None

    def safeguarding(self, text: str) -> bool:
        """Whether ``text`` matches a safeguarding flag rule (the rules read once per reader)."""
        if self._safeguarding is None:
            self._safeguarding = flags.safeguarding_matcher()
        return self._safeguarding(text)

    def _cell(self, row: list[str], key: str) -> str:
        heading = self.columns.get(key)
        if heading not in self.index:
            return ""
        cell = row[self.index[heading]]
        return cell.strip(csvfiles.INVISIBLE) if key == "text" else csvfiles.bare(cell)

    def _problem(self, number: int, key: str, message: str) -> Problem:
        spec = csvfiles.FIELD_BY_KEY.get(key)
        return Problem(row=number, field=spec.label if spec else "", column=self.columns.get(key, ""), message=message)

    def describe(self, problems: list[Problem], row: list[str]) -> list[Problem]:
        """``problems`` with the row's post (author and shortened text, as the file gives them)."""
        full = self._cell(row, "text")
        author, text, safeguarding = self._cell(row, "author_handle"), _shortened(full), self.safeguarding(full)
        for problem in problems:
            problem.author, problem.text, problem.safeguarding = author, text, safeguarding
        return problems

    def check(self, number: int, row: list[str]) -> _Item | list[Problem]:
        problems: list[Problem] = []
        if number in self.wide:
            problems.append(
                Problem(
                    row=number,
                    message=f"This row has {self.wide[number]} cells but the file has {self.heading_count} "
                    "headings: a quote may be missing.",
                )
            )
        channel = self._channel(row)
        if isinstance(channel, tuple):  # a problem, reported under the column it comes from
            problems.append(self._problem(number, *channel))
        kind_cell = self._cell(row, "kind")
        kind = _KIND_WORDS.get(kind_cell.casefold(), "") if kind_cell else PostKind.COMMENT
        if not kind:
            problems.append(
                self._problem(
                    number,
                    "kind",
                    f"“{kind_cell}” is not a kind we know: use comment, reply, mention or direct message.",
                )
            )
            kind = PostKind.COMMENT
        for key in ("external_id", "in_reply_to", "author_platform_id"):
            cell = self._cell(row, key)
            if _SHORTENED_NUMBER.match(cell):
                problems.append(
                    self._problem(
                        number,
                        key,
                        f"“{cell}” is an ID a spreadsheet has rounded into a short number, so the real ID is lost. "
                        "Export the file again and upload it without opening and saving it in Excel.",
                    )
                )
        url = self._cell(row, "url")
        platform = channel.platform if isinstance(channel, Channel) else ""
        item = {
            "external_id": csvfiles.platform_post_id(platform, self._cell(row, "external_id")) or url,
            "author_handle": self._cell(row, "author_handle"),
            "author_display_name": self._cell(row, "author_display_name"),
            "author_platform_id": self._cell(row, "author_platform_id"),
            "text": _LINE_END.sub("\n", self._cell(row, "text")),
            "url": url,
            "kind": kind,
            "posted_at": self._cell(row, "posted_at"),
            "in_reply_to": csvfiles.platform_post_id(platform, self._cell(row, "in_reply_to")),
        }
        checked = _validate_item(
            number, item, channel=channel[1] if isinstance(channel, tuple) else channel, parse_time=self._time
        )
        if isinstance(checked, dict):
            for key, messages in checked.items():
                if key == "channel" and isinstance(channel, tuple):
                    continue  # already reported
                for message in messages:
                    problems.append(self._problem(number, key, self._reword(key, message)))
        return self.describe(problems, row) or checked

    def _reword(self, key: str, message: str) -> str:
        if message == "This field is required.":
            if key == "external_id":
                return "No post ID and no link: one of them is needed."
            spec = csvfiles.FIELD_BY_KEY.get(key)
            return f"No {spec.noun} given." if spec else message
        return message

    def _time(self, value, errors: dict) -> datetime | None:
        try:
            return csvfiles.parse_export_time(str(value or ""), now=self.now)
        except ValueError as error:
            errors["posted_at"] = [str(error)]
            return None

    def _channel(self, row: list[str]) -> Channel | tuple[str, str]:
        """The row's channel, or (field, problem)."""
        name = " ".join(self._cell(row, "channel").split())
        platform_cell = " ".join(self._cell(row, "platform").split())
        key = (name.casefold(), platform_cell.casefold())
        if key not in self._channel_cache:
            self._channel_cache[key] = self._find_channel(name, platform_cell)
        return self._channel_cache[key]

    def _find_channel(self, name: str, platform_cell: str) -> Channel | tuple[str, str]:
        platform = intake.platform_of(platform_cell) if platform_cell else None
        if platform_cell and platform is None:
            return ("platform", f"“{platform_cell}” is not a platform we know.")
        if not name:
            if self.default_channel is None:
                return ("channel", "No channel given, and no channel chosen for the whole file.")
            if not self.default_channel.is_active:
                return (
                    "channel",
                    "No channel given, and the channel chosen for the file, "
                    f"{csvfiles.channel_label(self.default_channel)}, "
                    "is no longer active.",
                )
            if platform and self.default_channel.platform != platform:
                chosen = self.default_channel.get_platform_display()
                return ("platform", f"The channel chosen for the file is on {chosen}; this row says {platform_cell}.")
            return self.default_channel
        try:
            # the one place that resolves a channel (the API and the webhook too): its handle, else its name
            return intake.channel_resolve(
                name,
                channels=self.channels,
                platform=platform,
                by_name=True,
                by_pk=False,  # a number in an export is a page's id, never one of ours
                choose="match the platform column to tell them apart",
            )
        except intake.ChannelRefused as refused:
            return ("channel", _channel_refusal(name, refused))


def _channel_refusal(name: str, refused: intake.ChannelRefused) -> str:
    """``channel_resolve``'s refusal in the CSV import's words: what is wrong with the cell."""
    if refused.code == "unknown":
        return f"“{name}” is not one of our channels (an administrator adds channels in the admin)."
    if refused.code == "inactive":
        return f"“{name}” is no longer an active channel."
    if refused.code == "ambiguous":
        platforms = sorted({c.get_platform_display() for c in refused.matches})
        if len(platforms) > 1:
            return f"“{name}” is a channel on {' and '.join(platforms)}: match the platform column to tell them apart."
        # one platform holds a handle once: these share the name; their handles tell them apart
        named = sorted(f"{c.name} (@{c.handle})" for c in refused.matches)
        return (
            f"“{name}” names {len(named)} channels on {platforms[0]}: {', '.join(named[:-1])} and {named[-1]}; "
            "give the channel's handle instead."
        )
    return str(refused)


def _differs(first: _Item, first_row: int, again: _Item, row: int, column: str) -> Problem | None:
    """A row repeating an earlier row's post ID must be the same post (same author and text);
    otherwise the ID column is probably not the post's ID (a page or account ID, say), and
    importing would lose posts. The time may differ: some exports date each action on a post."""
    differences = [
        label for label, a, b in (("author", first.handle, again.handle), ("text", first.text, again.text)) if a != b
    ]
    if not differences:
        return None
    return Problem(
        row=row,
        field=csvfiles.FIELD_BY_KEY["external_id"].label,
        column=column,
        message=f"Row {first_row} has the same post ID, “{again.external_id}”, but a different "
        f"{' and '.join(differences)}: check that the post ID column holds each post's own ID.",
    )


# --- the preview (a read: nothing is stored) ---------------------------------------------------------


@dataclass
class PreviewRow:
    number: int
    item: _Item | None
    problems: list[Problem] = field(default_factory=list)
    status: str = "new"  # new | exists | repeat | problem
    repeat_of: int | None = None
    new_account: bool = False
    # its text is for the safeguarding leads: it matches a safeguarding flag rule, or the post is stored
    # in a safeguarding case (``policy.roles.can_read_case_text``)
    safeguarding: bool = False

    @property
    def channel_label(self) -> str:
        return csvfiles.channel_label(self.item.channel) if self.item else ""

    @property
    def kind_label(self) -> str:
        return PostKind(self.item.kind).label.lower() if self.item else ""


@dataclass
class Preview:
    rows: list[PreviewRow]
    shown: int
    total: int
    same_file: CsvImport | None = None
    failure: str = ""
    nul_count: int = 0  # NUL characters removed from the file (all of it, not only the rows shown)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in ("new", "exists", "repeat", "problem")}


def import_preview(csv_import: CsvImport, *, limit: int | None = None) -> Preview:
    """The first ``limit`` rows as they would be imported now: new, already stored, or their problems.

    Reads the kept file; four queries (channels, safeguarding flag rules, posts, accounts) whatever the
    number of rows. A row whose text is for the safeguarding leads says so (``PreviewRow.safeguarding``).
    """
    limit = limit or settings.CSV_IMPORT_PREVIEW_ROWS
    same_file = (
        CsvImport.objects.filter(sha256=csv_import.sha256, status=ImportStatus.COMPLETED)
        .exclude(pk=csv_import.pk)
        .select_related("started_by")
        .first()
    )
    try:
        table = read_kept_file(csv_import, limit=limit)
    except csvfiles.CsvFileError as error:
        return Preview(rows=[], shown=0, total=csv_import.row_count, same_file=same_file, failure=str(error))
    reader = RowReader(csv_import, table, list(Channel.objects.all()))
    rows: list[PreviewRow] = []
    first_of: dict[tuple[int, str], tuple[int, _Item]] = {}
    for number, row in zip(table.numbers, table.rows, strict=True):
        checked = reader.check(number, row)
        if isinstance(checked, list):
            rows.append(PreviewRow(number=number, item=None, problems=checked, status="problem"))
            continue
        key = (checked.channel.pk, checked.external_id)
        if key in first_of:
            first_row, first = first_of[key]
            problem = _differs(first, first_row, checked, number, reader.id_column)
            if problem:
                problems = reader.describe([problem], row)
                rows.append(PreviewRow(number=number, item=None, problems=problems, status="problem"))
            else:
                rows.append(PreviewRow(number=number, item=checked, status="repeat", repeat_of=first_row))
            continue
        first_of[key] = (number, checked)
        rows.append(PreviewRow(number=number, item=checked))
    items = [r.item for r in rows if r.status == "new"]
    marked: set[tuple[int, str]] = set()
    if items:
        found = Post.objects.filter(
            channel_id__in={i.channel.pk for i in items}, external_id__in={i.external_id for i in items}
        ).values_list("channel_id", "external_id", "case__safeguarding_at")
        stored = set()
        for channel_id, external_id, safeguarding_at in found:
            stored.add((channel_id, external_id))
            if safeguarding_at is not None:
                marked.add((channel_id, external_id))
        known = set(
            SocialAccount.objects.filter(
                platform__in={i.channel.platform for i in items}, handle__in={i.handle for i in items}
            ).values_list("platform", "handle")
        )
        for preview_row in rows:
            item = preview_row.item
            if preview_row.status != "new":
                continue
            if (item.channel.pk, item.external_id) in stored:
                preview_row.status = "exists"
            preview_row.new_account = (item.channel.platform, item.handle) not in known
    for preview_row in rows:
        item = preview_row.item
        if item is not None:
            preview_row.safeguarding = (item.channel.pk, item.external_id) in marked or reader.safeguarding(item.text)
    return Preview(
        rows=rows, shown=len(rows), total=csv_import.row_count, same_file=same_file, nul_count=table.nul_count
    )


def read_kept_file(csv_import: CsvImport, *, limit: int | None = None) -> csvfiles.Table:
    """The kept file's table (its first ``limit`` rows, for a preview); CsvFileError when gone."""
    if not csv_import.file:
        raise csvfiles.CsvFileError("The uploaded file is no longer kept: upload it again.")
    try:
        with csv_import.file.open("rb") as handle:
            data = handle.read()
    except OSError as error:
        raise csvfiles.CsvFileError("The uploaded file can no longer be read: upload it again.") from error
    return csvfiles.read_table(data, limit=limit)


# --- the run (the Celery task) -------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, problems: list[Problem], count: int):
        self.problems, self.count = problems, count


def import_run(*, csv_import_id: int, attempt: int | None = None) -> CsvImport | None:
    """Check every row, then store all the posts in one transaction, or none and keep the problems.

    Safe to run twice: only a queued or running import on ``attempt`` runs (``None``: whatever its
    attempt), and the store holds the import's row locked and checks the attempt again, so a second
    delivery waits and then finds it finished, and an earlier attempt's late task changes nothing.
    """
    with transaction.atomic():
        csv_import = CsvImport.objects.select_for_update().filter(pk=csv_import_id).first()
        if csv_import is None or not csv_import.is_active:
            return csv_import
        if attempt is not None and attempt != csv_import.attempt:
            logger.info(
                "CSV import %s: task for attempt %s skipped (now on %s)", csv_import_id, attempt, csv_import.attempt
            )
            return csv_import
        if csv_import.status == ImportStatus.QUEUED:
            # a redelivery after a lost worker keeps the first start, so the sweep bounds the total
            # time and a file that kills its worker every time cannot keep the import running for ever
            csv_import.status = ImportStatus.RUNNING
            csv_import.running_since = clock.now()
            csv_import.save(update_fields=["status", "running_since"])
    try:
        items, repeated = _check_all(csv_import)
        return _store_all(csv_import, items, repeated)
    except _Refused as refused:
        return _finish_failed(csv_import, problems=refused.problems, count=refused.count)
    except csvfiles.CsvFileError as error:
        return _finish_failed(csv_import, failure=str(error))
    except Exception:
        logger.exception("CSV import %s stopped unexpectedly", csv_import_id)
        _reopen_if_broken()
        return _finish_failed(
            csv_import,
            failure="The import stopped unexpectedly and nothing was imported. "
            "Try again; if it happens again, tell your administrator.",
        )


def _checked_rows(csv_import: CsvImport, table: csvfiles.Table, *, progress: bool = False):
    """Every row of ``table`` checked: ``(number, row, item, problems)``, where ``item`` is the
    row's post (``None`` for a row repeating an earlier one, or with problems)."""
    total = len(table)
    reader = RowReader(csv_import, table, list(Channel.objects.all()))
    seen: dict[tuple[int, str], tuple[int, _Item]] = {}
    for done, (number, row) in enumerate(zip(table.numbers, table.rows, strict=True)):
        if progress and done % PROGRESS_EVERY == 0:
            _report(csv_import, "checking", done, total)
        checked = reader.check(number, row)
        if isinstance(checked, list):
            yield number, row, None, checked
            continue
        key = (checked.channel.pk, checked.external_id)
        if key in seen:
            first_row, first = seen[key]
            problem = _differs(first, first_row, checked, number, reader.id_column)
            yield number, row, None, reader.describe([problem], row) if problem else []
            continue
        seen[key] = (number, checked)
        yield number, row, checked, []


def _check_all(csv_import: CsvImport) -> tuple[list[_Item], int]:
    table = read_kept_file(csv_import)
    items: list[_Item] = []
    problems: list[Problem] = []
    problem_rows = repeated = 0
    for _number, _row, item, found in _checked_rows(csv_import, table, progress=True):
        if found:
            problem_rows += 1
            if len(problems) < MAX_PROBLEMS_KEPT:
                problems.extend(found[: MAX_PROBLEMS_KEPT - len(problems)])
        elif item is None:
            repeated += 1
        else:
            items.append(item)
    if problem_rows:
        raise _Refused(problems, problem_rows)
    return items, repeated


# --- the rows without problems -------------------------------------------------------------------------


def import_without_problems(*, actor: AbstractBaseUser, csv_import: CsvImport) -> CsvImport:
    """Import only the rows of the file that have no problem; the others are skipped.

    Every row is checked now. The rows without problems become a new import of the same source
    (a file of their own, with the same columns and channel), started at once and stored all or
    nothing as any import; this one is marked failed with the skipped rows' problems, and keeps
    its file so the skipped rows can be downloaded (``skipped_rows_csv``), corrected and uploaded.
    Returns the new import; ValidationError when no row (or every row) is free of problems.
    """
    require_perm(actor, routing.PERM_IMPORT_POSTS, "import posts")
    with transaction.atomic():
        locked = _locked(csv_import)
        if locked.status not in (ImportStatus.READY, ImportStatus.FAILED) or locked.failure:
            raise conflict(f"This import is {locked.get_status_display().lower()}: it cannot be split.")
        try:
            table = read_kept_file(locked)
        except csvfiles.CsvFileError as error:
            raise ValidationError(str(error)) from error
        clean: list[list[str]] = []
        problems: list[Problem] = []
        problem_rows = 0
        for _number, row, _item, found in _checked_rows(locked, table):
            if found:
                problem_rows += 1
                if len(problems) < MAX_PROBLEMS_KEPT:
                    problems.extend(found[: MAX_PROBLEMS_KEPT - len(problems)])
            else:
                clean.append(row)  # repeats too: they are the same post and add nothing
        if not clean:
            raise ValidationError("No row is free of problems: correct the file and upload it again.")
        if not problem_rows:
            raise ValidationError("Every row is free of problems: import them all.")
        data = _csv_bytes(table.headings, clean)
        stem = PurePath(locked.filename).stem
        now = clock.now()
        part = CsvImport(
            source=locked.source,
            filename=f"{stem} (rows without problems).csv"[:255],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            headings=table.headings,
            row_count=len(clean),
            nul_count=locked.nul_count,  # its rows were read from that file, with the NULs removed
            status=ImportStatus.READY,
            columns=dict(locked.columns),
            channel=locked.channel,
            uploaded_by=actor,
            uploaded_at=now,
        )
        part.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
        part.save()
        locked.status = ImportStatus.FAILED
        locked.started_by, locked.started_at, locked.finished_at = actor, now, now
        locked.problems = [p.as_dict() for p in problems]
        locked.problem_count, locked.failure = problem_rows, ""
        locked.save(
            update_fields=["status", "started_by", "started_at", "finished_at", "problems", "problem_count", "failure"]
        )
        return import_start(actor=actor, csv_import=part)


def rows_without_problems_of(csv_import: CsvImport) -> CsvImport | None:
    """The import that ``import_without_problems`` made of this one's rows without problems, if any."""
    if csv_import.status != ImportStatus.FAILED or csv_import.failure or not csv_import.started_at:
        return None
    return (
        CsvImport.objects.filter(
            source_id=csv_import.source_id,
            filename=f"{PurePath(csv_import.filename).stem} (rows without problems).csv"[:255],
            uploaded_by_id=csv_import.started_by_id,
            uploaded_at__gte=csv_import.started_at,
        )
        .order_by("uploaded_at")
        .first()
    )


def _csv_bytes(headings: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def skipped_rows_csv(csv_import: CsvImport) -> bytes:
    """The rows of the kept file that have problems, as CSV (UTF-8 with a byte-order mark, for
    Excel): the row number, its problems, then the row's cells under the file's headings."""
    table = read_kept_file(csv_import)
    rows = []
    for number, row, _item, found in _checked_rows(csv_import, table):
        if found:
            said = "; ".join(
                (f"{p.field} ({p.column}): " if p.field and p.column else f"{p.field}: " if p.field else "") + p.message
                for p in found
            )
            rows.append([str(number), said, *(_inert(cell) for cell in row)])
    return _csv_bytes(["Row", "Problem", *(_inert(h) for h in table.headings)], rows)


def _inert(cell: str) -> str:
    """A cell a spreadsheet will not run: one starting like a formula (=, +, -, @, tab, CR) gets a
    leading apostrophe (OWASP's advice on CSV injection). Only for files people open, never for the
    file an import reads back."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _store_all(csv_import: CsvImport, items: list[_Item], repeated: int) -> CsvImport:
    """All the posts in one transaction. Authors first, then posts, each in key order across the
    whole file, as the API's batches also write them: two imports (or an import and the API) that
    share authors or posts wait for each other instead of deadlocking."""
    total = len(items)
    items.sort(key=lambda i: (i.channel.pk, i.external_id))
    authors = _authors(items)
    try:
        with transaction.atomic():
            locked = CsvImport.objects.select_for_update().get(pk=csv_import.pk)
            if not _still_running(locked, csv_import):
                return locked
            accounts: dict = {}
            for start in range(0, len(authors), CHUNK_ROWS):
                accounts.update(_accounts_for(authors[start : start + CHUNK_ROWS]))
            created = existing = flagged = 0
            for start in range(0, total, CHUNK_ROWS):
                _report(locked, "storing", start, total)
                results = _store(items[start : start + CHUNK_ROWS], csv_import=locked, accounts=accounts)
                new_ids = [r.id for r in results if r.status == IngestStatus.CREATED]
                created += len(new_ids)
                existing += len(results) - len(new_ids)
                if new_ids:
                    posts = list(Post.objects.filter(pk__in=new_ids).only("id", "account_id", "text", "posted_at"))
                    flagged += len({flag.post_id for flag in flags.flags_evaluate(posts=posts)})
            locked.status = ImportStatus.COMPLETED
            locked.finished_at = clock.now()
            locked.created_count, locked.existing_count = created, existing
            locked.repeated_count, locked.flagged_count = repeated, flagged
            _drop_file(locked)
            locked.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "created_count",
                    "existing_count",
                    "repeated_count",
                    "flagged_count",
                    "file",
                ]
            )
    except DatabaseError:
        logger.exception("CSV import %s: the database refused the posts", csv_import.pk)
        _reopen_if_broken()
        return _finish_failed(
            csv_import, failure="The database refused these posts, so nothing was imported. Tell your administrator."
        )
    _forget_progress(csv_import.pk)
    if locked.status == ImportStatus.COMPLETED:
        logger.info("CSV import %s completed: %s", locked.pk, completion_summary(locked))
    return locked


def nul_characters_removed(csv_import: CsvImport) -> str:
    """ "3 NUL characters were removed from the file", or "" when none were."""
    count = csv_import.nul_count
    if not count:
        return ""
    return f"{count:,} NUL character{'s' if count != 1 else ''} {'were' if count != 1 else 'was'} removed from the file"


def completion_summary(csv_import: CsvImport) -> str:
    """What came of a completed import, in a sentence (its log event)."""
    text = (
        f"{csv_import.created_count} new, {csv_import.existing_count} already stored, "
        f"{csv_import.repeated_count} repeated, {csv_import.flagged_count} flagged"
    )
    removed = nul_characters_removed(csv_import)
    return f"{text}; {removed}." if removed else f"{text}."


def _authors(items: list[_Item]) -> list[_Item]:
    """One item per author, sorted by (platform, handle), carrying the first display name and
    platform ID any of the author's rows gives (a later row may have what the first lacks)."""
    found: dict[tuple[str, str], _Item] = {}
    for item in items:
        key = (item.channel.platform, item.handle)
        known = found.get(key)
        if known is None:
            found[key] = item
        elif (not known.author_display_name and item.author_display_name) or (
            not known.author_platform_id and item.author_platform_id
        ):
            found[key] = dataclasses.replace(
                known,
                author_display_name=known.author_display_name or item.author_display_name,
                author_platform_id=known.author_platform_id or item.author_platform_id,
            )
    return [found[key] for key in sorted(found)]


def _still_running(locked: CsvImport, run: CsvImport) -> bool:
    """The import is running the attempt this run began (not failed by the sweep and started again)."""
    return locked.status == ImportStatus.RUNNING and locked.attempt == run.attempt


def _reopen_if_broken() -> None:
    """A connection lost while importing is closed, so recording the failure opens a fresh one."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _finish_failed(
    csv_import: CsvImport, *, problems: list[Problem] | None = None, count: int = 0, failure: str = ""
) -> CsvImport:
    """The run's end when nothing was stored: failed, unless its attempt was overtaken meanwhile."""
    marked = _mark_failed(
        csv_import.pk,
        failure=failure,
        problems=problems,
        count=count,
        statuses=(ImportStatus.RUNNING,),
        attempt=csv_import.attempt,
    )
    return marked or CsvImport.objects.get(pk=csv_import.pk)
