"""The boundary every post crosses on its way in: the REST API, Meta's webhook and the CSV import.

One module, so that each way in refuses the same things in the same words:

- ``json_load``: a request body as JSON, refused (``JSONRefused``) when it is not UTF-8, not
  JSON, or nested deeper than ``MAX_JSON_DEPTH`` — checked before the parser recurses, so a body
  nested 100,000 deep costs one pass over its brackets, never a ``RecursionError``.
- ``free_text`` and ``identifier_problem``: what PostgreSQL cannot store (NUL, a lone surrogate
  such as ``"\\ud800"``, which no UTF-8 can encode) and what no one meant (control characters).
  Free text (a post's text, an author's name) is repaired: NUL and control characters dropped,
  a lone surrogate replaced by U+FFFD. An identifier (external id, handle, platform id, URL,
  channel, time) is never guessed at: it is refused, and only its own item with it.
- ``posted_at_parse`` / ``posted_at_check``: when a post was made — the same rule for every way
  in (London time when no zone is given, a time the clocks skipped refused, at most a day ahead).
- ``channel_resolve``: our channel from its id or handle (and platform when handles are shared).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_datetime

from moderation.constants import Platform
from moderation.models import Channel, normalise_handle

LONDON = ZoneInfo("Europe/London")

# Deeper than any post or Meta delivery (about 7) and far below the parser's recursion limit.
MAX_JSON_DEPTH = 32

# In linear time whatever the input: escape pairs go first, then a string is quote to quote (with
# no escapes left, an unclosed quote is tried once, not once per later quote).
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_JSON_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL, except tab, line feed and carriage return (text keeps its lines)
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"


class JSONRefused(ValueError):
    """The body cannot be read as JSON; the message says why, without quoting it."""


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", _ESCAPE.sub("", text)))
    if not brackets:
        return 0
    return max(accumulate(1 if b in "[{" else -1 for b in brackets))


def json_load(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH):
    """``body`` (UTF-8) as JSON. Raises ``JSONRefused``: not UTF-8, not JSON, or nested too deep."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONRefused("The body is not UTF-8.") from error
    else:
        text = body
    if json_depth(text) > max_depth:
        raise JSONRefused(f"The body is nested more than {max_depth} deep; a post needs no more than a few levels.")
    try:
        return json.loads(text)
    except RecursionError as error:  # cannot happen below the depth limit; a 400 all the same
        raise JSONRefused(f"The body is nested more than {max_depth} deep.") from error
    except ValueError as error:
        # the parser's message names a line and column, never the content
        raise JSONRefused(f"The body is not valid JSON: {error}") from error


def free_text(value: str) -> str:
    """Text as it can be stored and shown: NUL and control characters (other than tab and line
    ends) dropped, a lone surrogate replaced by U+FFFD. A surrogate pair sent as two JSON escapes
    (``"\\ud83d\\ude00"``) is one character already, so it is kept."""
    value = _CONTROL_IN_TEXT.sub("", value)
    return _SURROGATE.sub(REPLACEMENT, value) if _SURROGATE.search(value) else value


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be an identifier (id, handle, URL, time), or None. Never quotes it."""
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return (
            f"Contains a character that cannot be stored (U+{ord(surrogate.group(0)):04X}, half of a "
            "UTF-16 pair): send the text as UTF-8."
        )
    control = _CONTROL.search(value)
    if control:
        name = unicodedata.name(control.group(0), "a control character")
        return f"Contains a character that cannot be stored in an identifier (U+{ord(control.group(0)):04X}, {name})."
    return None


def safe_for_log(value: object, limit: int = 80) -> str:
    """``value`` for a log line: printable ASCII only, cut to ``limit``."""
    return ascii(value)[:limit]


# --- When a post was made ------------------------------------------------------------------------


def posted_at_check(parsed: datetime, *, raw: str, now: datetime | None, future_hint: str = "") -> datetime:
    """The rule every way in applies to a post's time, once its format is read.

    A time without a zone is Europe/London; one the clocks skipped (spring forward) is refused, a
    repeated one (autumn) is the first. Between 1970 and 9998; with ``now``, at most a day after
    it (``future_hint`` says what such a time most likely is). Raises ``ValueError`` with a
    message for the sender (quoting ``raw``, which the caller has checked is printable).
    """
    if parsed.tzinfo is None:
        aware = parsed.replace(tzinfo=LONDON)
        if aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != parsed:
            raise ValueError(f"“{raw}” did not happen in London: the clocks went forward an hour then.")
        parsed = aware
    if not 1970 <= parsed.year <= 9998:
        raise ValueError(f"“{raw}” is not between 1970 and 9998.")
    if now is not None and parsed > now + timedelta(days=1):
        raise ValueError(f"“{raw}” is more than a day in the future{future_hint}.")
    return parsed


def posted_at_parse(value: str, *, now: datetime | None) -> datetime:
    """An ISO 8601 time (``2025-03-01T14:05:00Z``; London when no zone), by ``posted_at_check``'s
    rule. Raises ``ValueError`` with a message for the sender."""
    raw = " ".join(value.split())
    problem = identifier_problem(raw)
    if problem:
        raise ValueError(problem)
    if len(raw) > 64:
        raise ValueError("Give the time the post was made, in ISO 8601 (2025-03-01T14:05:00Z).")
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"“{raw}” is not a time in ISO 8601 (2025-03-01T14:05:00Z).")
    return posted_at_check(parsed, raw=raw, now=now)


# --- Which channel ------------------------------------------------------------------------------

PLATFORM_WORDS = {
    **{value: value for value in Platform.values},
    **{label.casefold(): value for value, label in Platform.choices},
    "twitter": Platform.X,
    "fb": Platform.FACEBOOK,
    "ig": Platform.INSTAGRAM,
    "linked in": Platform.LINKEDIN,
}


def platform_of(word: str) -> str | None:
    """``"Facebook"``, ``"fb"``, ``"X (Twitter)"`` … → the platform's value; None when unknown."""
    return PLATFORM_WORDS.get(" ".join(word.split()).casefold())


class ChannelRefused(ValueError):
    """No single active channel answers the reference; the message says why and what to do."""

    def __init__(self, message: str, *, code: str = "invalid", matches: Iterable[Channel] = ()):
        super().__init__(message)
        self.code = code  # invalid, unknown, not_allowed, ambiguous, inactive
        self.matches = list(matches)


def _names(channels: list[Channel]) -> str:
    named = sorted(f"{c.name} ({c.get_platform_display()})" for c in channels)
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]


def channel_resolve(
    reference,
    *,
    channels: Iterable[Channel],
    platform: str | None = None,
    by_name: bool = False,
    by_url_id: bool = False,
    by_page_id: bool = False,
    by_pk: bool = True,
    allowed: set[int] | None = None,
    choose: str = "give the platform as well",
) -> Channel:
    """The one channel ``reference`` names: its id (a number, or digits when ``by_pk``), or its
    handle compared without case or a leading @ (``"@NorthHertsDC"`` is ``northhertsdc``); with
    ``by_name``, its name too; with ``by_url_id``, a channel whose URL holds the number (a Meta
    page id); with ``by_page_id``, first of all the channel whose ``platform_page_id`` is the
    reference (set in the admin). ``platform`` narrows the
    search. ``allowed`` (channel ids a sender may post to) narrows it further: a sender allowed on
    one of two channels sharing a handle means that one.

    Raises ``ChannelRefused``: unknown, not allowed, shared by channels on several platforms (the
    message names them and says to ``choose``), or no longer active.
    """
    channels = list(channels)
    if reference is None or reference == "":
        raise ChannelRefused("This field is required.")
    if isinstance(reference, bool) or not isinstance(reference, int | str):
        raise ChannelRefused("Give the channel's id or handle.")
    if isinstance(reference, str):
        problem = identifier_problem(reference)
        if problem:
            raise ChannelRefused(problem)
    if platform is not None:
        channels = [c for c in channels if c.platform == platform]
    if isinstance(reference, int):
        matches = [c for c in channels if c.pk == reference]
    else:
        wanted = normalise_handle(reference)
        matches = []
        if by_page_id and reference.strip():
            matches = [c for c in channels if c.platform_page_id and c.platform_page_id == reference.strip()]
        if not matches:
            matches = [c for c in channels if normalise_handle(c.handle) == wanted]
        if not matches and by_name:
            folded = " ".join(reference.split()).casefold()
            matches = [c for c in channels if c.name.casefold() == folded]
        if not matches and by_url_id and wanted.isdigit():
            in_url = re.compile(rf"(?<![0-9A-Za-z]){re.escape(wanted)}(?![0-9A-Za-z])")
            matches = [c for c in channels if c.url and in_url.search(c.url)]
        if not matches and by_pk and wanted.isdigit():
            matches = [c for c in channels if str(c.pk) == wanted]
    if not matches:
        raise ChannelRefused("Unknown channel.", code="unknown")
    if allowed is not None:
        permitted = [c for c in matches if c.pk in allowed]
        if not permitted:
            raise ChannelRefused("You may not send posts for this channel.", code="not_allowed", matches=matches)
        matches = permitted
    if len(matches) > 1:
        raise ChannelRefused(
            f"“{reference}” names {len(matches)} channels: {_names(matches)}; {choose}.",
            code="ambiguous",
            matches=matches,
        )
    if not matches[0].is_active:
        raise ChannelRefused("This channel is no longer active.", code="inactive", matches=matches)
    return matches[0]
