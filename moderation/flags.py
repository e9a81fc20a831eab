"""Automatic flags: rules look at posts, people decide.

A flag never hides, warns or blocks by itself: it puts the post in front of the communications
team (``moderation:flag_list``) with the rule that flagged it and why. "Not a problem" dismisses
it (``flag_dismiss``); recording a case for the post confirms it (``flags_confirm``, called by
``case_record``). Flags on posts without a case write no timeline event: an uncased post has no
timeline; the flag row itself keeps who dismissed it and when.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from moderation import clock, navcache
from moderation.constants import PERSONAL_DATA_KINDS, EventKind, FlagKind, FlagStatus
from moderation.events import record_event
from moderation.models import ElectionPeriod, Flag, FlagRule, Post
from policy import roles as routing

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")
# UK postcodes (the Royal Mail format, with or without the space), any case.
POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]"
    r"|[A-HK-Y][0-9][ABEHMNPRV-Y]) ?[0-9][ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d")
UK_COUNTRY_CODE = 44
MIN_PHONE_DIGITS = 10

# What a personal-data flag says, and what a redacted post keeps: the category, never the data.
PERSONAL_DATA_CATEGORY = {
    FlagKind.PHONE_NUMBER: "phone number",
    FlagKind.EMAIL_ADDRESS: "email address",
    FlagKind.POSTCODE: "postcode",
}


def has_uk_phone_number(text: str) -> bool:
    """What looks like a UK number in any usual form: 01462 474000, 07911 123456, +44 7911 123456,
    (020) 7946 0018 — and the ranges Ofcom keeps for drama (07700 900xxx, 01632 960xxx), which
    libphonenumber calls invalid but a reader takes for a real number all the same."""
    if len(_DIGITS_RE.findall(text)) < MIN_PHONE_DIGITS:
        return False
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.VALID):
        if match.number.country_code == UK_COUNTRY_CODE:
            return True
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        if match.number.country_code == UK_COUNTRY_CODE and _LOOKS_UK.match(match.raw_string):
            return True
    return False


# Written as a UK number is written: its 0 or +44 first, then a mobile (7 and nine digits) or a
# geographic or non-geographic number (1, 2 or 3 and eight or nine digits), spaced any usual way.
_LOOKS_UK = re.compile(
    r"^(?:\+44\s?(?:\(0\)\s?)?|0044\s?|\(?0)(?:7(?:[\s-]?\d){9}|[123]\)?(?:[\s-]?\)?\d){8,9})$"
)


@dataclass
class _Compiled:
    rule: FlagRule
    regex: re.Pattern | None = None


def _compile(rule: FlagRule) -> _Compiled | None:
    if rule.kind == FlagKind.WORD_LIST:
        terms = sorted(rule.term_list(), key=len, reverse=True)
        if not terms:
            return None
        alternatives = "|".join(r"\s+".join(re.escape(w) for w in term.split()) for term in terms)
        return _Compiled(rule, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))
    if rule.kind == FlagKind.PATTERN:
        try:
            return _Compiled(rule, re.compile(rule.pattern, re.IGNORECASE))
        except re.error:  # refused by the admin form; a rule stored some other way is skipped
            return None
    if rule.kind == FlagKind.REPEAT_CONTACT and not (rule.repeat_threshold and rule.repeat_window_minutes):
        return None
    return _Compiled(rule)


def _text_reason(compiled: _Compiled, text: str) -> str | None:
    """Why the rule flags ``text`` (never quoting personal data), or None."""
    kind = compiled.rule.kind
    if kind == FlagKind.WORD_LIST:
        match = compiled.regex.search(text)
        return f"matched ‘{match.group(0)[:100]}’" if match else None
    if kind == FlagKind.PATTERN:
        match = compiled.regex.search(text)
        return f"matched the pattern at ‘{match.group(0)[:100]}’" if match else None
    if kind == FlagKind.EMAIL_ADDRESS:
        return "contains an email address" if EMAIL_RE.search(text) else None
    if kind == FlagKind.POSTCODE:
        return "contains a UK postcode" if POSTCODE_RE.search(text) else None
    if kind == FlagKind.PHONE_NUMBER:
        return "contains a UK phone number" if has_uk_phone_number(text) else None
    return None


def safeguarding_matcher():
    """A test of a text against the active flag rules of house rules marked safeguarding (read once):
    such a text, like a safeguarding case's, is for the safeguarding leads (the CSV import's preview)."""
    today = timezone.localdate(clock.now())
    rules = FlagRule.objects.filter(is_active=True, house_rule__safeguarding=True).filter(
        Q(election_period__isnull=True) | Q(election_period__in=ElectionPeriod.objects.on(today))
    )
    compiled = [c for c in map(_compile, rules) if c is not None and c.rule.kind != FlagKind.REPEAT_CONTACT]

    def matches(text: str) -> bool:
        return bool(text) and any(_text_reason(rule, text) for rule in compiled)

    return matches


def _repeat_flags(rules: list[FlagRule], posts: list[Post]) -> list[Flag]:
    """One query for the batch: the recent post times of every author in it, then counted in memory."""
    if not rules or not posts:
        return []
    widest = timedelta(minutes=max(r.repeat_window_minutes for r in rules))
    earliest = min(p.posted_at for p in posts) - widest
    latest = max(p.posted_at for p in posts)
    times: dict[int, list] = defaultdict(list)
    rows = (
        Post.objects.filter(account_id__in={p.account_id for p in posts}, posted_at__range=(earliest, latest))
        .order_by("posted_at")
        .values_list("account_id", "posted_at")
    )
    for account_id, posted_at in rows:
        times[account_id].append(posted_at)
    flags = []
    for post in posts:
        account_times = times[post.account_id]
        upto = bisect_right(account_times, post.posted_at)  # this post and every one before it
        for rule in rules:
            window = timedelta(minutes=rule.repeat_window_minutes)
            count = upto - bisect_left(account_times, post.posted_at - window)
            if count >= rule.repeat_threshold:
                flags.append(
                    Flag(
                        post_id=post.pk,
                        rule=rule,
                        reason=f"{count} posts by this account within {rule.repeat_window_minutes} minutes",
                    )
                )
    return flags


def flags_evaluate(*, posts: list[Post]) -> list[Flag]:
    """Run every active rule over ``posts`` and store a flag per (post, rule) that matches.

    Rules are compiled once per call; the flags are stored in one INSERT that skips (post, rule)
    pairs already flagged; repeat contact costs one query for the whole batch. Returns the flags
    found (the already-stored ones included, without primary keys). Changes nothing else.
    """
    if not posts:
        return []
    today = timezone.localdate(clock.now())
    # a rule tied to a pre-election period (party and candidate names) runs during that period only
    rules = FlagRule.objects.filter(is_active=True).filter(
        Q(election_period__isnull=True) | Q(election_period__in=ElectionPeriod.objects.on(today))
    )
    compiled = [c for c in map(_compile, rules) if c is not None]
    text_rules = [c for c in compiled if c.rule.kind != FlagKind.REPEAT_CONTACT]
    now = clock.now()
    flags = []
    for post in posts:
        if not post.text:
            continue
        for rule in text_rules:
            reason = _text_reason(rule, post.text)
            if reason:
                flags.append(Flag(post_id=post.pk, rule=rule.rule, reason=reason))
    flags += _repeat_flags([c.rule for c in compiled if c.rule.kind == FlagKind.REPEAT_CONTACT], posts)
    for flag in flags:
        flag.created_at = now
    if flags:
        Flag.objects.bulk_create(flags, ignore_conflicts=True)
        navcache.changed()  # the navigation's count of open flags
    return flags


def flags_confirm(*, posts: list[Post]) -> int:
    """A case was recorded for ``posts``: their open flags become confirmed. Returns how many."""
    navcache.changed()
    return Flag.objects.filter(post__in=[p.pk for p in posts], status=FlagStatus.OPEN).update(
        status=FlagStatus.CONFIRMED
    )


def personal_data_categories(post: Post) -> list[str]:
    """The personal-data categories open or confirmed flags found in ``post`` (e.g. ["phone number"])."""
    kinds = (
        Flag.objects.filter(
            post=post, status__in=[FlagStatus.OPEN, FlagStatus.CONFIRMED], rule__kind__in=PERSONAL_DATA_KINDS
        )
        .values_list("rule__kind", flat=True)
        .distinct()
    )
    return sorted(PERSONAL_DATA_CATEGORY[FlagKind(k)] for k in kinds)


REDACTED = "[redacted: personal information ("


def redacted_text(categories: list[str]) -> str:
    return f"{REDACTED}{', '.join(categories)})]"


# What erasure on request and the retention purge leave in place of a post's text (issue 14).
ERASED_TEXT = "[redacted: erased at the account owner's request]"
RETENTION_TEXT = "[redacted: its retention period ended]"
# What a flag that quoted the post says once the text is gone.
QUOTE_REDACTED = {"word": "matched a listed word (quote redacted)", "pattern": "matched the pattern (quote redacted)"}


def is_redacted(text: str) -> bool:
    """Whether ``text`` is what a deletion for personal information, an erasure or the retention purge
    left in place of a post's text."""
    return text.startswith(REDACTED) or text in (ERASED_TEXT, RETENTION_TEXT)


@transaction.atomic
def flag_dismiss(*, actor: AbstractBaseUser, flag: Flag, note: str = "") -> Flag:
    """ "Not a problem": dismiss an open flag, stamping who and when (and an optional note).

    Already dismissed: returns quietly. A confirmed flag (its post has a case) cannot be dismissed.
    When the post has a case, a FLAG_DISMISSED event goes on its timeline; an uncased post has no
    timeline, so the flag row alone records it. Raises PermissionDenied, ValidationError(conflict).
    """
    from moderation.services import clean_text, conflict, require_perm

    require_perm(actor, routing.PERM_MODERATE_POST, "dismiss flags")
    flag = Flag.objects.select_for_update().select_related("post", "rule").get(pk=flag.pk)
    if flag.status == FlagStatus.DISMISSED:
        return flag
    if flag.status != FlagStatus.OPEN:
        raise conflict(f"This flag is {flag.get_status_display().lower()}; it cannot be dismissed.")
    flag.status = FlagStatus.DISMISSED
    flag.dismissed_by = actor
    flag.dismissed_at = clock.now()
    flag.note = clean_text(note).strip()
    flag.full_clean(validate_unique=False, validate_constraints=True)
    flag.save(update_fields=["status", "dismissed_by", "dismissed_at", "note"])
    navcache.changed()  # an uncased post's flag writes no event
    if flag.post.case_id is not None:
        record_event(
            case=flag.post.case_id,
            kind=EventKind.FLAG_DISMISSED,
            actor=actor,
            subject=flag,
            before={"status": FlagStatus.OPEN},
            after={"status": FlagStatus.DISMISSED, "rule": flag.rule.name, "post": flag.post_id},
            note=flag.note,
        )
    return flag
