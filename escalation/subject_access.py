"""Subject access (issue 14, UK GDPR): "everything about this account" as one zip download.

``account.json`` holds the account, its posts (with every earlier text), the flags on them, its cases
with their timelines, warnings, blocks, appeals, police reports and the evidence list; ``evidence/``
holds the evidence files. Making the export is itself recorded: one ``subject_access_exported`` event
on each of the account's cases, in the transaction that reads the data.

Staff names (issue 14) follow the policy's ``subject_access_staff_names``: off (every preset: each
document protects its staff from being identified), each member of staff appears by their role title
(``policy.titles``) wherever the export would name them: who did each thing on the timeline, and their
names, usernames and email addresses wherever the team's own words repeat them (timeline notes and
details, warnings, block reasons, appeal decisions, evidence descriptions). What the account owner
wrote (posts, appeal grounds) is theirs and is left as it is. A name the product never recorded (a
first name alone in a note) is not recognised: ``docs/policies.md`` says to read the export first.

What is not the account owner's to read is left out:

* **who reported the post** (``Case.reported_by``): a third party's personal data, never exported;
* on a **safeguarding case**, the posts' text (every version), the flags' reasons, the case's reason,
  the evidence's notes and files are for the safeguarding leads (``policy.roles.can_read_case_text``):
  an export made by someone else says "restricted" in their place and lists those cases under
  ``withheld``, so the person answering the request asks a lead to review it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import PurePath
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction

from escalation import routing
from escalation.models import Appeal, Block, PoliceReport, Warning
from moderation import clock
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import Case, CaseEvent, Evidence, Flag, Post, PostTextRevision, SocialAccount
from policy import roles
from policy import services as policy_services
from policy.titles import titles


def may_export_account(user) -> bool:
    """Who answers a subject access request: a report reader who reads every case (the
    Communications Manager; the Managing Director, who opens no account page, through the same rule)."""
    return routing.holds(user, routing.PERM_READ_REPORTS) and routing.reads_every_case(user)


def _when(value) -> str | None:
    return value.isoformat() if value else None


SHORTEST_NAME = 3  # shorter usernames are replaced only where they are the whole value, never inside words


def _role_title(user, current_titles) -> str:
    """What a member of staff is called instead of their name: their role's title in the policy."""
    groups = {group.name for group in user.groups.all()}
    for role in roles.ROLES:
        if role in groups:
            return current_titles.for_role(role)
    if roles.SAFEGUARDING_LEAD in groups:
        return roles.SAFEGUARDING_LEAD
    return "Administrator" if user.is_superuser else "A member of staff"


class StaffNames:
    """Replaces staff names with role titles (or leaves them, as the policy says)."""

    def __init__(self, *, keep: bool, events: list[CaseEvent]):
        self.keep = keep
        self.by_id: dict[int, str] = {}
        self._exact: dict[str, str] = {}
        self._pattern: re.Pattern | None = None
        if keep:
            return
        current_titles = titles()
        names: dict[str, str] = {}
        for user in get_user_model().objects.prefetch_related("groups"):
            title = _role_title(user, current_titles)
            self.by_id[user.pk] = title
            for name in (user.get_full_name(), user.get_username(), user.email):
                if name and name.strip():
                    names[name.strip()] = title
        for event in events:  # the name as the timeline recorded it, if it has changed since
            if event.actor_id in self.by_id and event.actor_label.strip():
                names.setdefault(event.actor_label.strip(), self.by_id[event.actor_id])
        self._exact = {name.casefold(): title for name, title in names.items()}
        long_names = sorted((name for name in names if len(name) >= SHORTEST_NAME), key=len, reverse=True)
        self._titles = {name.casefold(): names[name] for name in long_names}
        if long_names:
            alternatives = "|".join(re.escape(name) for name in long_names)
            self._pattern = re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])", re.IGNORECASE)

    def actor(self, event: CaseEvent) -> str:
        """Who did it, as the export shows it."""
        if self.keep:
            return event.actor_label
        if event.actor_id is not None:
            return self.by_id.get(event.actor_id, "A member of staff")
        return self(event.actor_label)

    def __call__(self, value: Any) -> Any:
        """``value`` (text, or JSON made of dicts and lists) with every staff name replaced."""
        if self.keep:
            return value
        if isinstance(value, str):
            exact = self._exact.get(value.strip().casefold())
            if exact is not None:
                return exact
            if self._pattern is None:
                return value
            return self._pattern.sub(lambda match: self._titles[match.group(0).casefold()], value)
        if isinstance(value, dict):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self(item) for item in value]
        return value


@transaction.atomic
def account_export(*, actor: AbstractBaseUser, account: SocialAccount) -> tuple[bytes, dict]:
    """Everything the product holds about ``account``, as zip bytes, and the summary of what it holds.

    Writes one ``SUBJECT_ACCESS_EXPORTED`` event on each of the account's cases (the export is part of
    their history). Raises ``PermissionDenied`` for a role that may not export an account.
    """
    if not may_export_account(actor):
        raise PermissionDenied("Your role does not answer subject access requests.")
    account = SocialAccount.objects.select_for_update().get(pk=account.pk)
    cases = list(
        Case.objects.filter(account=account).select_related("channel").prefetch_related("rules").order_by("pk")
    )
    events = list(CaseEvent.objects.filter(case__account=account).order_by("case_id", "at", "pk"))
    posts = list(Post.objects.filter(account=account).select_related("channel").order_by("posted_at", "pk"))
    revisions = list(PostTextRevision.objects.filter(post__account=account).order_by("post_id", "received_at", "pk"))
    flags = list(Flag.objects.filter(post__account=account).select_related("rule").order_by("created_at", "pk"))
    warnings = list(Warning.objects.filter(case__account=account).order_by("drafted_at", "pk"))
    blocks = list(Block.objects.filter(account=account).select_related("channel").order_by("proposed_at", "pk"))
    appeals = list(Appeal.objects.filter(block__account=account).order_by("received_at", "pk"))
    reports = list(PoliceReport.objects.filter(case__account=account).order_by("reported_on", "pk"))
    evidence = list(Evidence.objects.filter(case__account=account).order_by("added_at", "pk"))

    staff = StaffNames(keep=policy_services.current().subject_access_staff_names, events=events)
    now = clock.now()
    by_case = {case.pk: case for case in cases}
    withheld = sorted(pk for pk, case in by_case.items() if not routing.can_read_case_text(actor, case))

    def shown(case_id: int | None, text: str) -> str:
        """``text`` of ``case_id`` as the person exporting may read it."""
        return routing.RESTRICTED_TEXT if case_id in withheld and text else text

    def note(event: CaseEvent) -> str:
        return shown(event.case_id, event.note) if event.kind == EventKind.CASE_RECORDED else event.note

    case_of_post = {p.pk: p.case_id for p in posts}
    data = {
        "exported_at": now.isoformat(),
        "staff_shown_as": "names" if staff.keep else "role titles",
        "account": {
            "id": account.pk,
            "platform": account.platform,
            "handle": account.handle,
            "display_name": account.display_name,
            "platform_user_id": account.platform_user_id,
            "first_seen_at": _when(account.first_seen_at),
        },
        "posts": [
            {
                "id": p.pk,
                "channel": str(p.channel),
                "external_id": p.external_id,
                "url": p.url,
                "text": shown(p.case_id, p.text),
                "kind": p.kind,
                "posted_at": _when(p.posted_at),
                "visibility": p.visibility,
                "case": p.case_id,
                "earlier_texts": [
                    {"text": shown(p.case_id, r.text), "kind": r.kind, "received_at": _when(r.received_at)}
                    for r in revisions
                    if r.post_id == p.pk
                ],
            }
            for p in posts
        ],
        "flags": [
            {
                "post": f.post_id,
                "rule": f.rule.name,
                "reason": shown(case_of_post.get(f.post_id), f.reason),
                "status": f.status,
                "at": _when(f.created_at),
            }
            for f in flags
        ],
        "cases": [
            {
                "id": c.pk,
                "channel": str(c.channel),
                "rules": [rule.title for rule in c.rules.all()],
                "reason": shown(c.pk, c.reason),
                "safeguarding": c.safeguarding_at is not None,
                "status": c.status,
                "outcome": c.outcome,
                "recorded_at": _when(c.recorded_at),
                "closed_at": _when(c.closed_at),
                "timeline": [
                    {
                        "kind": e.kind,
                        "at": _when(e.at),
                        "by": staff.actor(e),
                        "note": staff(note(e)),
                        "after": staff(e.after),
                    }
                    for e in events
                    if e.case_id == c.pk
                ],
            }
            for c in cases
        ],
        "warnings": [
            {"id": w.pk, "case": w.case_id, "text": staff(w.text), "status": w.status, "sent_at": _when(w.sent_at)}
            for w in warnings
        ],
        "blocks": [
            {
                "id": b.pk,
                "case": b.case_id,
                "kind": b.kind,
                "scope": b.scope,
                "channel": str(b.channel) if b.channel else None,
                "status": b.status,
                "reason": staff(b.reason),
                "started_at": _when(b.started_at),
                "appeal_opens_at": _when(b.appeal_opens_at),
                "lifted_at": _when(b.lifted_at),
            }
            for b in blocks
        ],
        "appeals": [
            {
                "id": a.pk,
                "block": a.block_id,
                "status": a.status,
                "received_at": _when(a.received_at),
                "grounds": a.grounds,
                "decided_at": _when(a.decided_at),
                "decision_reason": staff(a.decision_reason),
            }
            for a in appeals
        ],
        "police_reports": [
            {"case": r.case_id, "force": r.force, "reference": r.reference, "reported_on": r.reported_on.isoformat()}
            for r in reports
        ],
        "evidence": [],
        "withheld": {
            "safeguarding_cases": withheld,
            "note": (
                "The text of these safeguarding cases is for the organisation's safeguarding leads: ask one "
                "to review it before this is sent."
                if withheld
                else ""
            ),
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in evidence:
            entry = {
                "case": item.case_id,
                "description": staff(shown(item.case_id, item.description)),
                "url": item.url,
                "file": None,
            }
            if item.file and item.case_id in withheld:
                entry["file"] = routing.RESTRICTED_TEXT  # a screenshot of the post: for the leads
            elif item.file:
                name = f"evidence/{item.pk}-{PurePath(item.file.name).name}"
                with item.file.open("rb") as handle:
                    archive.writestr(name, handle.read())
                entry["file"] = name
            data["evidence"].append(entry)
        archive.writestr("account.json", json.dumps(data, indent=2, ensure_ascii=False))
    summary = {key: len(data[key]) for key in ("posts", "cases", "warnings", "blocks", "appeals", "evidence")}
    for case in cases:
        record_event(
            case=case,
            kind=EventKind.SUBJECT_ACCESS_EXPORTED,
            actor=actor,
            subject=account,
            after=summary,
            note="Everything about the account was downloaded (subject access).",
        )
    return buffer.getvalue(), summary
