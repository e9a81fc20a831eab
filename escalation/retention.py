"""Erasure on request and the retention purge (issue 14, UK GDPR).

Both redact the personal data the product holds and keep the decision record: cases (their rules,
status, outcome and dates), the timeline, warnings, blocks, sign-offs and appeals with their dates and
decisions. What goes:

- a post's text and every earlier version of it (``PostTextRevision``), replaced by a marker saying
  why (``flags.ERASED_TEXT``, ``flags.RETENTION_TEXT``), the post stamped ``redacted_at``; the flags on
  it that quoted the text say which kind of match it was instead;
- evidence: the file is deleted from the storage (``default_storage``: the bucket or ``MEDIA_ROOT``),
  its link and description cleared, the row stamped ``redacted_at``;
- an appeal's grounds (the account owner's own words);
- on erasure only: the account's shown name and platform id, and who reported its posts to us
  (``Case.reported_by``). The handle stays: a block must still name whom it blocks.

The timeline is append-only in PostgreSQL (``moderation`` 0002), and a sent warning's text and a
decided appeal's decision are frozen (``escalation`` 0005/0007): neither is touched, which is the
decision record we keep. Posts and revisions carry no trigger: erasure and retention update them as
deletion for personal information already does (``services.post_set_visibility``).

Each record touched writes one ``CaseEvent`` saying what was removed, never the data (a post in no
case has no timeline: the run's counts record it, as imports record theirs). A legal hold on the
account or the case stops both: erasure is refused, the purge skips the record. An appeal waiting
for its decision stops erasure too: its grounds are what the decider reads (the purge never reaches
it, as its block is not lifted).
"""

# ruff: noqa: S608 - constant SQL assembled from this module's own fragments; every value is a parameter
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from escalation.constants import AppealStatus
from escalation.models import Appeal, Block, RetentionRun
from moderation import clock, flags
from moderation.constants import EventKind
from moderation.events import actor_label, record_event
from moderation.models import Case, Evidence, SocialAccount
from moderation.services import conflict, require_perm
from policy import dates, roles
from policy import services as policy

CHUNK = 1000  # records redacted per statement and transaction: memory and lock time stay bounded


def _storage():
    return Evidence._meta.get_field("file").storage


def _delete_files(names: list[str]) -> None:
    """Delete evidence files from the storage (a missing file is already gone: nothing to do)."""
    storage = _storage()
    for name in names:
        if name:
            storage.delete(name)


# --- shared statements -----------------------------------------------------------------------------

_EVENT_COLUMNS = "(case_id, kind, actor_id, actor_label, at, subject_type, subject_id, before, after, note)"

# Redact the posts chosen by ``due`` (a CTE yielding ``id``): text, every earlier version, the flags'
# quotes, and one event per post in a case. Returns the posts redacted.
_REDACT_POSTS = (
    """
, posts AS (
    UPDATE moderation_post AS p SET text = %(marker)s, redacted_at = %(now)s
      FROM due WHERE p.id = due.id
    RETURNING p.id, p.case_id
), revisions AS (
    UPDATE moderation_posttextrevision AS r SET text = %(marker)s FROM posts WHERE r.post_id = posts.id
), quotes AS (
    UPDATE moderation_flag AS f
       SET reason = CASE WHEN f.reason LIKE 'matched the pattern%%' THEN %(pattern_reason)s ELSE %(word_reason)s END
      FROM posts WHERE f.post_id = posts.id AND f.reason LIKE 'matched %%‘%%'
), events AS (
    INSERT INTO moderation_caseevent """
    + _EVENT_COLUMNS
    + """
    SELECT case_id, %(kind)s, %(actor_id)s, %(actor_label)s, %(now)s, 'post', id, '{}'::jsonb, %(after)s::jsonb,
           %(note)s
      FROM posts WHERE case_id IS NOT NULL
)
SELECT id FROM posts
"""
)

_NOT_HELD = "c.legal_hold_at IS NULL AND a.legal_hold_at IS NULL"
_STARTED_BLOCK = "SELECT 1 FROM escalation_block b WHERE b.case_id = c.id AND b.started_at IS NOT NULL"

# The retention purge's posts, by kind: (the rows due, the note of their event).
_POSTS_DUE = {
    "post_texts": """
        SELECT p.id FROM moderation_post p
          JOIN moderation_case c ON c.id = p.case_id JOIN moderation_socialaccount a ON a.id = c.account_id
         WHERE p.redacted_at IS NULL AND c.status = 'closed' AND c.closed_at < %(cutoff)s AND """
    + _NOT_HELD
    + f" AND NOT EXISTS ({_STARTED_BLOCK})",
    "blocked_post_texts": """
        SELECT p.id FROM moderation_post p
          JOIN moderation_case c ON c.id = p.case_id JOIN moderation_socialaccount a ON a.id = c.account_id
         WHERE p.redacted_at IS NULL AND c.status = 'closed' AND """
    + _NOT_HELD
    + f" AND EXISTS ({_STARTED_BLOCK})"
    + f" AND NOT EXISTS ({_STARTED_BLOCK} AND (b.lifted_at IS NULL OR b.lifted_at >= %(cutoff)s))",
    "uncased_post_texts": """
        SELECT p.id FROM moderation_post p JOIN moderation_socialaccount a ON a.id = p.account_id
         WHERE p.redacted_at IS NULL AND p.case_id IS NULL AND p.created_at < %(cutoff)s
           AND a.legal_hold_at IS NULL""",
}

_EVIDENCE_DUE = (
    """
SELECT e.id, e.file FROM moderation_evidence e
  JOIN moderation_case c ON c.id = e.case_id JOIN moderation_socialaccount a ON a.id = c.account_id
 WHERE e.redacted_at IS NULL AND c.status = 'closed' AND c.closed_at < %(cutoff)s AND """
    + _NOT_HELD
    + """
 ORDER BY e.id LIMIT %(chunk)s FOR UPDATE OF e SKIP LOCKED
"""
)

_REDACT_EVIDENCE = (
    """
WITH redacted AS (
    UPDATE moderation_evidence SET file = '', url = '', description = '', redacted_at = %(now)s
     WHERE id = ANY(%(ids)s) AND redacted_at IS NULL
    RETURNING id, case_id
), events AS (
    INSERT INTO moderation_caseevent """
    + _EVENT_COLUMNS
    + """
    SELECT case_id, %(kind)s, %(actor_id)s, %(actor_label)s, %(now)s, 'evidence', id, '{}'::jsonb, %(after)s::jsonb,
           %(note)s
      FROM redacted
)
SELECT count(*) FROM redacted
"""
)

_APPEALS_DUE = (
    """
SELECT ap.id FROM escalation_appeal ap JOIN escalation_block b ON b.id = ap.block_id
  JOIN moderation_case c ON c.id = b.case_id JOIN moderation_socialaccount a ON a.id = c.account_id
 WHERE ap.grounds <> '' AND ap.grounds <> %(marker)s AND b.lifted_at < %(cutoff)s AND """
    + _NOT_HELD
    + """
 ORDER BY ap.id LIMIT %(chunk)s FOR UPDATE OF ap SKIP LOCKED
"""
)

_REDACT_APPEALS = (
    """
WITH due AS ({due}), redacted AS (
    UPDATE escalation_appeal AS ap SET grounds = %(marker)s FROM due WHERE ap.id = due.id
    RETURNING ap.id, ap.block_id
), events AS (
    INSERT INTO moderation_caseevent """
    + _EVENT_COLUMNS
    + """
    SELECT b.case_id, %(kind)s, %(actor_id)s, %(actor_label)s, %(now)s, 'appeal', redacted.id, '{}'::jsonb,
           %(after)s::jsonb, %(note)s
      FROM redacted JOIN escalation_block b ON b.id = redacted.block_id
)
SELECT id FROM redacted
"""
)


def _params(*, now: datetime, kind: EventKind, actor, marker: str, after: dict, note: str, **extra) -> dict:
    return {
        "now": now,
        "kind": kind,
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor_label(actor),
        "marker": marker,
        "after": json.dumps(after),
        "note": note,
        "word_reason": flags.QUOTE_REDACTED["word"],
        "pattern_reason": flags.QUOTE_REDACTED["pattern"],
        **extra,
    }


# --- the retention purge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cutoffs:
    evidence: datetime
    post_text: datetime
    uncased: datetime
    block: datetime


def cutoffs(now: datetime) -> Cutoffs:
    """What is due at ``now`` under the active policy: kept until these moments (calendar months)."""
    version = policy.current()
    return Cutoffs(
        evidence=now - relativedelta(months=version.retention_evidence_months),
        post_text=now - relativedelta(months=version.retention_post_text_months),
        uncased=now - relativedelta(months=version.retention_uncased_post_months),
        block=now - relativedelta(years=version.retention_block_years),
    )


def _in_chunks(run_chunk) -> int:
    """Call ``run_chunk()`` (one transaction, returns how many it touched) until a chunk comes short."""
    total = 0
    while True:
        touched, full = run_chunk()
        total += touched
        if not full:
            return total


def retention_purge(*, now: datetime | None = None, chunk: int = CHUNK) -> RetentionRun:
    """Redact everything whose retention period under the active policy has ended, a chunk at a time.

    Each chunk is one transaction: the rows locked (``SKIP LOCKED``: a run beside another skips them),
    redacted and one timeline event each written by the database. Evidence files are deleted from the
    storage inside that transaction, before its rows commit, so no row says "removed" of a file still
    kept. What is due is decided by the run's start; each chunk's stamps and events carry the time it
    commits (PostgreSQL refuses a back-dated timeline event from the application's role). Idempotent:
    what is redacted is stamped and never chosen again; a legal hold on the case or the account skips
    it. Returns the run, with its counts, also kept for the admin.
    """
    now = now or clock.now()
    with transaction.atomic():
        run = RetentionRun.objects.create(started_at=now)
    due = cutoffs(now)
    note = "Removed at the end of its retention period under the policy."
    counts: dict[str, int] = {}

    def evidence_chunk():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_EVIDENCE_DUE, {"cutoff": due.evidence, "chunk": chunk})
            rows = cursor.fetchall()
            if not rows:
                return 0, False
            _delete_files([name for _pk, name in rows])
            params = _params(
                now=clock.now(), kind=EventKind.RETENTION_REDACTED, actor=None, marker="",
                after={"removed": "evidence file, link and description"}, note=note,
            )  # fmt: skip
            cursor.execute(_REDACT_EVIDENCE, {**params, "ids": [pk for pk, _name in rows]})
            return cursor.fetchone()[0], len(rows) == chunk

    counts["evidence_files"] = _in_chunks(evidence_chunk)

    for kind, cutoff in (
        ("post_texts", due.post_text),
        ("blocked_post_texts", due.block),
        ("uncased_post_texts", due.uncased),
    ):
        # posts in no case are read in the order of their partial index (moderation 0035)
        order = "p.created_at, p.id" if kind == "uncased_post_texts" else "p.id"
        sql = f"WITH due AS ({_POSTS_DUE[kind]} ORDER BY {order} LIMIT %(chunk)s FOR UPDATE OF p SKIP LOCKED)"
        sql += _REDACT_POSTS
        params = _params(
            now=now, kind=EventKind.RETENTION_REDACTED, actor=None, marker=flags.RETENTION_TEXT,
            after={"redacted": "post text and its earlier versions"}, note=note, cutoff=cutoff, chunk=chunk,
        )  # fmt: skip

        def posts_chunk(sql=sql, params=params):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, {**params, "now": clock.now()})
                touched = len(cursor.fetchall())
                return touched, touched == chunk

        counts[kind] = _in_chunks(posts_chunk)

    appeal_params = _params(
        now=now, kind=EventKind.RETENTION_REDACTED, actor=None, marker=flags.RETENTION_TEXT,
        after={"redacted": "appeal grounds"}, note=note, cutoff=due.block, chunk=chunk,
    )  # fmt: skip

    def appeals_chunk():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_REDACT_APPEALS.replace("{due}", _APPEALS_DUE), {**appeal_params, "now": clock.now()})
            touched = len(cursor.fetchall())
            return touched, touched == chunk

    counts["appeals"] = _in_chunks(appeals_chunk)

    with transaction.atomic():
        RetentionRun.objects.filter(pk=run.pk).update(finished_at=clock.now(), **counts)
    run.refresh_from_db()
    return run


# --- erasure on request ----------------------------------------------------------------------------


def may_erase(user) -> bool:
    return roles.holds(user, roles.PERM_ERASE)


def holds_on(account: SocialAccount) -> list[str]:
    """What stops an erasure of ``account``: its own legal hold and its cases' (sentences to show)."""
    reasons = []
    if account.legal_hold_at is not None:
        reasons.append(f"The account is on legal hold: {account.legal_hold_reason}")
    held = list(
        Case.objects.filter(account=account, legal_hold_at__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    if held:
        names = ", ".join(str(pk) for pk in held)
        one = len(held) == 1
        reasons.append(f"{'Case' if one else 'Cases'} {names} {'is' if one else 'are'} on legal hold.")
    return reasons


def appeals_waiting(account: SocialAccount) -> list[str]:
    """What else stops an erasure of ``account``: its appeals under review (sentences to show). Their
    grounds are the account owner's case to the decider; erasing them would leave nothing to decide on."""
    waiting = Appeal.objects.filter(block__account=account, status=AppealStatus.UNDER_REVIEW).order_by("pk")
    return [
        f"The appeal received {dates.say_date(appeal.received_at)} against the block on case "
        f"{appeal.block.case_id} is waiting for a decision."
        for appeal in waiting.select_related("block")
    ]


@transaction.atomic
def account_erase(*, actor: AbstractBaseUser, account: SocialAccount) -> dict[str, int]:
    """Erase the personal data the product holds about ``account`` (see the module's docstring), keeping
    the decision record, and write one PERSONAL_DATA_ERASED event on each of its cases saying what was
    removed (counts, never the data). Stamps ``erased_at``/``erased_by`` on the account.

    Idempotent: what was erased before is not touched again; a second erasure with nothing new to remove
    changes nothing and writes nothing. Raises PermissionDenied, and ValidationError(conflict) while a
    legal hold is on the account or any of its cases, or an appeal against one of its blocks is under
    review. Returns the counts of what was removed now.
    """
    require_perm(actor, roles.PERM_ERASE, "erase an account's personal data")
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    held = holds_on(account)
    if held:
        raise conflict(
            "This account's personal data cannot be erased while a legal hold is on. "
            + " ".join(held)
            + " Lift the hold first, if it is no longer needed."
        )
    # an appeal is recorded under its block's lock (escalation.services.appeal_record): with the blocks
    # locked, one recorded now is either seen here or waits for this erasure to commit
    list(Block.objects.filter(account=account).select_for_update().order_by("pk").values_list("pk", flat=True))
    waiting = appeals_waiting(account)
    if waiting:
        raise conflict(
            "This account's personal data cannot be erased while an appeal is waiting for a decision: "
            "its grounds are what the decision is made on. "
            + " ".join(waiting)
            + " Erase once the appeal is decided."
        )
    now = clock.now()
    cases = list(Case.objects.filter(account=account).select_for_update().order_by("pk"))
    summary: dict[str, int] = {}
    with connection.cursor() as cursor:
        # posts: one statement (the text, every earlier version, the flags' quotes); events below, per case
        cursor.execute(
            _erase_posts_sql(),
            _params(
                now=now, kind=EventKind.PERSONAL_DATA_ERASED, actor=actor, marker=flags.ERASED_TEXT, after={},
                note="", account=account.pk,
            ),
        )  # fmt: skip
        summary["posts"] = len(cursor.fetchall())
        cursor.execute(
            "SELECT e.id, e.file FROM moderation_evidence e JOIN moderation_case c ON c.id = e.case_id "
            "WHERE c.account_id = %s AND e.redacted_at IS NULL ORDER BY e.id FOR UPDATE OF e",
            [account.pk],
        )
        rows = cursor.fetchall()
    _delete_files([name for _pk, name in rows])
    summary["evidence"] = Evidence.objects.filter(pk__in=[pk for pk, _name in rows]).update(
        file="", url="", description="", redacted_at=now
    )
    summary["appeal_grounds"] = (
        Appeal.objects.filter(block__account=account).exclude(grounds="").exclude(grounds=flags.ERASED_TEXT)
    ).update(grounds=flags.ERASED_TEXT)
    summary["reported_by"] = Case.objects.filter(account=account).exclude(reported_by="").update(reported_by="")
    name_held = bool(account.display_name or account.platform_user_id)
    summary["display_name"] = int(name_held)
    if not any(summary.values()) and account.erased_at is not None:
        return summary  # erased before and nothing new: nothing changes, nothing is written
    account.display_name = ""
    account.platform_user_id = ""
    account.erased_at = now
    account.erased_by = actor
    account.save(update_fields=["display_name", "platform_user_id", "erased_at", "erased_by"])
    for case in cases:
        record_event(
            case=case,
            kind=EventKind.PERSONAL_DATA_ERASED,
            actor=actor,
            subject=account,
            after={"removed": summary},
            note=f"The account's personal data was erased at the owner's request: {say_removed(summary)}. "
            "The decision record is kept.",
        )
    return summary


def _erase_posts_sql() -> str:
    """Erasure's posts: every post of the account not yet redacted; the one event per case is written by
    the service (the account as its subject), so this statement writes none."""
    body = _REDACT_POSTS.split("), events AS (")[0]
    return (
        "WITH due AS (SELECT id FROM moderation_post WHERE account_id = %(account)s AND redacted_at IS NULL "
        "ORDER BY id FOR UPDATE)" + body + ")\nSELECT id FROM posts"
    )


def say_removed(summary: dict[str, int]) -> str:
    """What an erasure removed, in words: "3 post texts, 1 evidence item"."""
    parts = [
        (summary.get("posts", 0), "post text (with its earlier versions)", "post texts (with their earlier versions)"),
        (summary.get("evidence", 0), "evidence item", "evidence items"),
        (summary.get("appeal_grounds", 0), "appeal's grounds", "appeals' grounds"),
        (summary.get("reported_by", 0), "reporter's name", "reporters' names"),
        (summary.get("display_name", 0), "shown name", "shown names"),
    ]
    said = [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]
    return ", ".join(said) if said else "nothing new"
