"""Reading the CSV exports of social-media management tools: no database here, only the file.

``read_table`` decodes the bytes (UTF-8 with or without a byte-order mark, or UTF-16 with one),
finds the delimiter from the heading row (comma, semicolon, tab or bar), and reads every record,
quoted newlines included; records are numbered as a spreadsheet numbers its rows (the heading row
is row 1). ``parse_export_time`` reads the dates such exports use. ``FIELDS`` are the things a
column can be mapped to, with the headings that usually mean them (``guess_columns``).
Every refusal is a ``CsvFileError`` whose message can be shown to the person who uploaded the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from django.utils.dateparse import parse_datetime

from moderation.constants import Platform
from moderation.intake import posted_at_check

DELIMITERS = (",", ";", "\t", "|")
EXAMPLE_TIMES = "01/03/2025 14:05 (day first) or 2025-03-01T14:05:00Z"


class CsvFileError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class Field:
    """One of our fields a column can hold. ``noun`` names what the column holds in a sentence
    ("Choose the column that holds the date posted")."""

    key: str
    label: str
    hint: str
    required: bool = False
    headings: tuple[str, ...] = ()
    noun: str = ""


FIELDS: tuple[Field, ...] = (
    Field(
        "external_id",
        "Post ID",
        "The platform's id for the post: importing the same id again adds nothing. "
        "Without it, the post's link is used as its id.",
        headings=("id", "post id", "message id", "comment id", "external id", "item id", "content id", "guid"),
        noun="post ID",
    ),
    Field(
        "posted_at",
        "Posted",
        f"When the post was made, for example {EXAMPLE_TIMES}. A time without a zone is London time.",
        required=True,
        headings=(
            "posted at",
            "posted",
            "date",
            "date time",
            "datetime",
            "created",
            "created at",
            "created time",
            "published",
            "published at",
            "timestamp",
            "time",
            "sent",
            "received",
            "date sent",
            "date received",
        ),
        noun="date posted",
    ),
    Field(
        "author_handle",
        "Author's handle",
        "The account that posted, such as @name.",
        required=True,
        # the headings that say "handle" before those that may hold a name ("From", "Author")
        headings=(
            "author handle",
            "from handle",
            "sender handle",
            "user handle",
            "handle",
            "username",
            "user name",
            "screen name",
            "author username",
            "from username",
            "author",
            "from",
            "sender",
            "user",
        ),
        noun="author's handle",
    ),
    Field(
        "author_display_name",
        "Author's name",
        "The name the account shows.",
        headings=(
            "author name",
            "display name",
            "name",
            "from name",
            "sender name",
            "full name",
            "author display name",
            # a column the handle did not take: "From" beside "From Handle" is the name
            "author",
            "from",
            "sender",
            "user",
        ),
        noun="author's name",
    ),
    Field(
        "author_platform_id",
        "Author's platform ID",
        "The platform's id for the account.",
        headings=("author id", "user id", "from id", "sender id", "author platform id", "profile id"),
        noun="author's platform ID",
    ),
    Field(
        "text",
        "Text",
        "What the post said.",
        headings=("text", "message", "content", "comment", "body", "post", "message text", "post text", "comment text"),
        noun="text of the post",
    ),
    Field(
        "url",
        "Link",
        "The post's address on the platform.",
        headings=("url", "link", "permalink", "post url", "post link", "message url", "message link", "comment url"),
        noun="link to the post",
    ),
    Field(
        "channel",
        "Channel",
        "Our account the post was made on: its handle or name. Without it, the channel chosen below is used.",
        headings=("channel", "profile", "page", "our profile", "social profile", "account", "inbox", "page name"),
        noun="channel",
    ),
    Field(
        "platform",
        "Platform",
        "Facebook, Instagram, X …: tells channels with the same handle on different platforms apart.",
        headings=("platform", "network", "social network", "service"),
        noun="platform",
    ),
    Field(
        "kind",
        "Kind",
        "Comment, reply, mention or direct message; comment when not given.",
        headings=("kind", "type", "message type", "post type", "content type"),
        noun="kind of post",
    ),
    Field(
        "in_reply_to",
        "In reply to",
        "The id of the post this one replies to.",
        headings=("in reply to", "in reply to id", "parent id", "reply to", "parent post id", "parent"),
        noun="ID of the post it replies to",
    ),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


@dataclass
class Table:
    """A file's heading row and its records. ``rows[i]`` is spreadsheet row ``numbers[i]``."""

    headings: list[str]
    rows: list[list[str]]
    numbers: list[int]
    delimiter: str
    wide: dict[int, int]  # row number → cells found, for records with more cells than headings
    nul_count: int = 0  # NUL characters removed from the whole file (some exports leave them)

    def __len__(self) -> int:
        return len(self.rows)

    def examples(self) -> dict[str, str]:
        """The first value given in each column, to show beside the heading when mapping."""
        found: dict[str, str] = {}
        for row in self.rows[:50]:
            for heading, value in zip(self.headings, row, strict=False):
                if heading not in found and value.strip():
                    found[heading] = value.strip()
            if len(found) == len(self.headings):
                break
        return found


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped) or UTF-16 with its byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CsvFileError(
                "The file says it is UTF-16 text but is not. Save it as CSV UTF-8 and upload it again."
            ) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvFileError(
            f"The file is not UTF-8 text: line {line} has a character that cannot be read. "
            "In Excel choose “Save as”, then “CSV UTF-8 (Comma delimited)”, and upload that file."
        ) from error


def _delimiter(text: str) -> str:
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]  # old Mac files end lines with CR alone
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"  # byte-order marks and zero-width characters


def bare(cell: str) -> str:
    """The cell without spaces, byte-order marks or zero-width characters at either end
    (in linear time: a regular expression backtracks over long runs of spaces)."""
    while True:
        stripped = cell.strip().strip(INVISIBLE)
        if stripped == cell:
            return cell
        cell = stripped


def read_table(data: bytes, *, limit: int | None = None) -> Table:
    """Every record of the file (or the first ``limit``); refuses a file with no heading row, no
    records, repeated headings, or a quote that is never closed."""
    text = decode(data)
    nul_count = text.count("\x00")
    if nul_count:  # never stored (PostgreSQL refuses them in text): removed, and the preview says how many
        text = text.replace("\x00", "")
    if not text.strip():
        raise CsvFileError("The file is empty.")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    numbers: list[int] = []
    wide: dict[int, int] = {}
    headings: list[str] | None = None
    number = 0
    try:
        for record in reader:
            number += 1
            if headings is None:
                if not any(bare(cell) for cell in record):
                    number -= 1  # blank lines before the headings do not count
                    continue
                headings = _headings(record)
                continue
            if not any(bare(cell) for cell in record):
                continue
            if len(record) > len(headings):
                if any(cell.strip() for cell in record[len(headings) :]):
                    wide[number] = len(record)
                record = record[: len(headings)]
            elif len(record) < len(headings):  # spreadsheets drop empty cells at the end of a row
                record = record + [""] * (len(headings) - len(record))
            rows.append(record)
            numbers.append(number)
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as error:
        raise CsvFileError(_unreadable(number + 1, reader.line_num, str(error))) from error
    if headings is None:
        raise CsvFileError("The file is empty.")
    if not rows:
        raise CsvFileError("The file has a heading row but no posts under it.")
    return Table(headings=headings, rows=rows, numbers=numbers, delimiter=delimiter, wide=wide, nul_count=nul_count)


def _unreadable(row: int, line: int, reason: str) -> str:
    """Why the csv module gave up, in words: nearly always a quote opened and never closed."""
    where = f"Row {row} of the file" + (f" (line {line} of the text)" if line and line != row else "")
    if "field larger than field limit" in reason:
        return (
            f"{where} has a cell longer than {csv.field_size_limit():,} characters: a quote that opens a cell "
            "is probably never closed. Check the quotes in that row, save the file and upload it again."
        )
    if "unexpected end of data" in reason or "expected after" in reason:
        return (
            f"{where} opens a quote that is not closed properly, so the rows after it cannot be told apart. "
            'Check the quotes in that row (a quote inside a cell is written twice: ""), save the file and '
            "upload it again."
        )
    return f"{where} cannot be read as CSV ({reason}). Save the file as CSV UTF-8 and upload it again."


def _headings(record: list[str]) -> list[str]:
    headings = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(record, start=1):
        heading = " ".join(bare(cell).split()) or f"Column {position}"
        key = heading.casefold()
        if key in seen:
            raise CsvFileError(
                f"Two columns are headed “{heading}” (columns {seen[key]} and {position}). "
                "Give each column its own heading and upload the file again."
            )
        seen[key] = position
        headings.append(heading)
    return headings


# A tool's id for a post is often the platform's own with the tool's prefix ("fb_123_456" for
# Facebook's comment "123_456"): the prefixes each platform's own ids are given, and what those look like
_TOOL_PREFIXES: dict[str, tuple[tuple[str, ...], re.Pattern]] = {
    Platform.FACEBOOK: (("fb", "facebook"), re.compile(r"\d+(?:_\d+)*")),
    Platform.INSTAGRAM: (("ig", "insta", "instagram"), re.compile(r"\d+(?:_\d+)*")),
    Platform.X: (("tw", "twitter", "x"), re.compile(r"\d+")),
}
_PREFIXED = re.compile(r"^(?P<prefix>[a-z]+)[_:\-](?P<id>.+)$", re.IGNORECASE)


def platform_post_id(platform: str, value: str) -> str:
    """The platform's own id for a post (or the post it replies to) as an export gives it: without a
    tool's prefix for the platform (``fb_123_456`` → ``123_456`` on Facebook), so a post that also
    came by the webhook or the API, under the platform's id, is the same post. Anything else is
    left as it is. The one place the CSV import normalises ids; the API and webhook keep theirs."""
    known = _TOOL_PREFIXES.get(platform)
    found = _PREFIXED.match(value) if known else None
    if found and found["prefix"].casefold() in known[0] and known[1].fullmatch(found["id"]):
        return found["id"]
    return value


def channel_label(channel) -> str:
    """A channel as the import pages name it: always with its platform, as channels on different
    platforms may share a name (“North Herts Council (Instagram)”); not twice when its name already
    says it as a word (“NHDC Facebook”; the x in “Essex” is not X)."""
    platform = channel.get_platform_display()
    if re.search(rf"\b{re.escape(platform.split()[0])}\b", channel.name, re.IGNORECASE):
        return channel.name
    return f"{channel.name} ({platform})"


def _simplified(heading: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", heading.casefold()).split())


_HANDLE_LIKE = re.compile(r"^@?[\w.\-]{1,100}$")


def guess_columns(headings: list[str], examples: dict[str, str] | None = None) -> dict[str, str]:
    """Our field → the heading that most likely holds it, from the usual names; each heading used once.

    With ``examples`` (heading → a value from the file, ``Table.examples``) the author's handle
    prefers a column whose value looks like a handle (``@garyp``, no spaces) to one holding a name
    (``Gary Pattinson``), whatever their headings say.
    """
    examples = examples or {}
    by_name = {}
    for heading in headings:
        by_name.setdefault(_simplified(heading), heading)
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for field in FIELDS:
        candidates = [by_name[name] for name in field.headings if by_name.get(name) not in (None, *used)]
        if not candidates:
            continue
        if field.key == "author_handle":
            candidates.sort(key=lambda heading: _handle_rank(examples.get(heading)))  # stable: heading order next
        guessed[field.key] = candidates[0]
        used.add(candidates[0])
    return guessed


def _handle_rank(example: str | None) -> int:
    """0: looks like a handle; 1: no example to judge by; 2: looks like something else (a name)."""
    if example is None:
        return 1
    return 0 if _HANDLE_LIKE.match(example.strip()) else 2


_ZONE_WORDS = {"z": "+00:00", "utc": "+00:00", "gmt": "+00:00", "bst": "+01:00"}
_ZONE_WORD_RE = re.compile(r"\s*(?:\b|(?<=\d))(UTC|GMT|BST|Z)$", re.IGNORECASE)
_DAY_FIRST_RE = re.compile(
    r"^(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})"
    r"(?:[ T,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<half>[ap]\.?m\.?)?)?"
    r"\s*(?P<zone>[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)


_DATE_ONLY_RE = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")


def parse_export_time(value: str, *, now: datetime | None = None) -> datetime:
    """An aware datetime from ``2025-03-01T14:05:00Z``, ``2025-03-01 14:05``, ``01/03/2025 14:05``,
    ``1/3/2025 2:05 pm``, with or without a zone (``+01:00``, ``Z``, ``UTC``, ``GMT``, ``BST``).

    Dates with slashes are read day first, as in the UK. A time without a zone is Europe/London;
    a time the clocks skipped (spring forward) is refused, a repeated one (autumn) is the first.
    With ``now``, a time more than a day after it is refused (most often a month-first date).
    Raises ``ValueError`` with a message for the person who uploaded the file.
    """
    raw = " ".join(value.split())
    if not raw:
        raise ValueError("No date and time given.")
    text = raw
    zone_word = _ZONE_WORD_RE.search(text)
    if zone_word:
        text = text[: zone_word.start()].rstrip() + _ZONE_WORDS[zone_word.group(1).casefold()]
    day_first = _DAY_FIRST_RE.match(text)
    if (day_first and not day_first["hour"]) or _DATE_ONLY_RE.match(text):
        raise ValueError(f"“{raw}” has no time: give the date and the time, for example {EXAMPLE_TIMES}.")
    parsed = _day_first(day_first) if day_first else _iso(text) if ":" in text else None
    if parsed is None:
        raise ValueError(f"“{raw}” is not a date and time we can read: use {EXAMPLE_TIMES}.")
    # the rule every way in shares (the API too): London when no zone, no skipped hour, not ahead
    return posted_at_check(parsed, raw=raw, now=now, future_hint=": dates are read day first (DD/MM/YYYY)")


def _iso(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def _day_first(match: re.Match) -> datetime | None:
    hour = int(match["hour"])
    half = (match["half"] or "").replace(".", "").casefold()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    try:
        parsed = datetime(  # noqa: DTZ001 — naive on purpose: the zone given, or London, comes next
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    if match["zone"]:
        sign = -1 if match["zone"][0] == "-" else 1
        digits = match["zone"][1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours >= 24 or minutes >= 60:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        parsed = parsed.replace(tzinfo=timezone(sign * offset))
    return parsed
