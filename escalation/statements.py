"""Statements of reasons (issue 14), computed from the decision records: nothing new is stored.

For every decision that restricts someone — a post hidden or deleted (its timeline event), a written
warning sent, a block or channel ban started, an appeal decided — a statement whose fields follow the
EU Digital Services Act Transparency Database's statement schema (``FIELDS``, ``ALLOWED``), plus the
redress the policy offers (``redress``, ``redress_opens_on``: Article 17(3)(f) asks for it; the
database has no field for it). A plain-language version (``plain_text``) is ready to send to the
account owner.

Where the product departs from the database: ``territorial_scope`` is ``["GB"]`` (the organisations
are UK public bodies; the EU database itself accepts EEA country codes only), and the statements are
for the organisation's own records and its account owners, not for submission.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from escalation import routing
from escalation.constants import AppealStatus, BlockKind, BlockScope, BlockStatus, WarningStatus
from escalation.models import Appeal, Block, PoliceReport, Warning
from moderation.constants import EventKind, FlagStatus
from moderation.models import Case, CaseEvent, Flag, HouseRule, Post
from policy import services as policy
from policy.dates import say_date

# --- the schema --------------------------------------------------------------------------------------

VISIBILITY_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
VISIBILITY_DISABLED = "DECISION_VISIBILITY_CONTENT_DISABLED"
VISIBILITY_INTERACTION_RESTRICTED = "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"
VISIBILITY_OTHER = "DECISION_VISIBILITY_OTHER"
PROVISION_PARTIAL_SUSPENSION = "DECISION_PROVISION_PARTIAL_SUSPENSION"
GROUND_ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
GROUND_INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"
SOURCE_VOLUNTARY = "SOURCE_VOLUNTARY"

CATEGORIES = (
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR",
    "STATEMENT_CATEGORY_ONLINE_BULLYING_INTIMIDATION",
    "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
)

# The fields of a statement, in order (the CSV's columns), and the values each may take (None: free
# text or a date). Lists are JSON arrays in JSON lines and ``;``-joined in the CSV.
FIELDS = (
    "puid",
    "decision_visibility",
    "decision_visibility_other",
    "decision_provision",
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "content_type",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "territorial_scope",
    "redress",
    "redress_opens_on",
)
ALLOWED: dict[str, tuple[str, ...] | None] = {
    "decision_visibility": (
        VISIBILITY_REMOVED,
        VISIBILITY_DISABLED,
        VISIBILITY_INTERACTION_RESTRICTED,
        VISIBILITY_OTHER,
    ),
    "decision_provision": ("", PROVISION_PARTIAL_SUSPENSION),
    "decision_ground": (GROUND_ILLEGAL, GROUND_INCOMPATIBLE),
    "incompatible_content_illegal": ("", "Yes", "No"),
    "category": CATEGORIES,
    "content_type": ("CONTENT_TYPE_TEXT",),
    "source_type": (SOURCE_VOLUNTARY,),
    "automated_detection": ("Yes", "No"),
    "automated_decision": (NOT_AUTOMATED,),
    "territorial_scope": ("GB",),
}
LIST_FIELDS = ("decision_visibility", "content_type", "territorial_scope")
REQUIRED = (
    "puid",
    "decision_visibility",
    "decision_ground",
    "decision_ground_reference_url",
    "category",
    "content_type",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "territorial_scope",
    "redress",
)

# The house rules' codes (policy presets) and the statement category each falls under; a rule of
# another code (an organisation's own) falls under "scope of platform service".
RULE_CATEGORIES = {
    "abusive": "STATEMENT_CATEGORY_ONLINE_BULLYING_INTIMIDATION",
    "personal-attack": "STATEMENT_CATEGORY_ONLINE_BULLYING_INTIMIDATION",
    "disrespectful": "STATEMENT_CATEGORY_ONLINE_BULLYING_INTIMIDATION",
    "identifying-staff": "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "personal-information": "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "sensitive-information": "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "case-information": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "safeguarding": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "discriminatory": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "defamatory": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "illegal": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "contempt-of-court": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "misinformation": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "party-political": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "deceptive": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "spam": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "advertising": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "inappropriate-material": "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT",
    "self-harm": "STATEMENT_CATEGORY_SELF_HARM",
    "intellectual-property": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
}
SCOPE = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"


@dataclass(frozen=True)
class Statement:
    """One statement: what was decided (for people), its schema fields, and the plain-language text."""

    title: str
    decided_at: datetime
    fields: dict
    plain_text: str
    anchor: str

    def rows(self) -> list[tuple[str, str]]:
        """The fields as the case page shows them: (label, value), the schema's codes in words."""
        f = self.fields
        ground = (
            f["illegal_content_legal_ground"]
            if f["decision_ground"] == GROUND_ILLEGAL
            else f["incompatible_content_ground"]
        )
        rows = [
            (
                "Decision",
                ", ".join(_words(v) for v in f["decision_visibility"])
                + (f": {f['decision_visibility_other']}" if f["decision_visibility_other"] else ""),
            ),
            ("Service restricted", _words(f["decision_provision"]) if f["decision_provision"] else "None"),
            ("Ground", _words(f["decision_ground"])),
            ("Grounds in detail", ground),
            ("Policy", f["decision_ground_reference_url"]),
            ("Category", _words(f["category"])),
            ("Facts and circumstances", f["decision_facts"]),
            (
                "Content",
                ", ".join(_words(v) for v in f["content_type"])
                + (f", posted {f['content_date']}" if f["content_date"] else ""),
            ),
            ("Decided on", f["application_date"]),
            (
                "How it was found",
                "Own initiative" + (", pointed out by an automatic flag" if f["automated_detection"] == "Yes" else ""),
            ),
            ("Automated detection", f["automated_detection"]),
            ("Automated decision", "No: a person decided"),
            ("Territorial scope", ", ".join(f["territorial_scope"])),
            ("Redress", f["redress"]),
        ]
        return rows


def _words(code: str) -> str:
    """``DECISION_VISIBILITY_CONTENT_REMOVED`` → "Content removed" (the schema's codes, readable)."""
    for prefix in (
        "DECISION_VISIBILITY_",
        "DECISION_PROVISION_",
        "DECISION_GROUND_",
        "STATEMENT_CATEGORY_",
        "CONTENT_TYPE_",
    ):
        if code.startswith(prefix):
            code = code[len(prefix) :]
            break
    return code.replace("_", " ").capitalize()


@dataclass(frozen=True)
class CaseFacts:
    """What a case's statements read: the case (with its account and channel), its rules, its first
    post, whether a flag rule raised it (a confirmed flag) and whether it was reported to the police."""

    case: Case
    rules: list[HouseRule]
    first_post: Post | None
    flagged: bool
    reported: bool


# --- the records read ------------------------------------------------------------------------------


def flagged_case() -> Exists:
    """Whether a case (``OuterRef("pk")``) was raised by a flag rule: a flag on one of its posts was
    confirmed (a case recorded for it). Its statements then say "automated detection: Yes"."""
    return Exists(Flag.objects.filter(post__case=OuterRef("pk"), status=FlagStatus.CONFIRMED))


def _cases(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Cases with what every statement of theirs reads, in a fixed number of queries."""
    return (
        queryset.select_related("account", "channel")
        .annotate(
            flagged=flagged_case(),
            reported=Exists(PoliceReport.objects.filter(case=OuterRef("pk"))),
        )
        .prefetch_related(
            Prefetch("rules", queryset=HouseRule.objects.order_by("position", "title")),
            Prefetch("posts", queryset=Post.objects.order_by("posted_at", "pk")),
        )
    )


RESTRICTING_EVENTS = (EventKind.POST_HIDDEN, EventKind.POST_DELETED)


def _decisions(case: Case | None, decided: tuple[datetime, datetime] | None):
    """The restricting decisions of ``case`` (or of every case), decided within ``decided`` (or ever)."""

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": decided[0], f"{field}__lt": decided[1]}) if decided else Q()

    of_case = Q(case=case) if case is not None else Q()
    events = CaseEvent.objects.filter(of_case, within("at"), kind__in=RESTRICTING_EVENTS)
    warnings = Warning.objects.filter(of_case, within("sent_at"), status=WarningStatus.SENT)
    blocks = Block.objects.filter(
        of_case, within("started_at"), status__in=(BlockStatus.ACTIVE, BlockStatus.LIFTED)
    ).select_related("channel")
    appeals = Appeal.objects.filter(
        Q(block__case=case) if case is not None else Q(),
        within("decided_at"),
        status__in=(AppealStatus.UPHELD, AppealStatus.OVERTURNED),
    ).select_related("block__channel")
    return list(events), list(warnings), list(blocks), list(appeals)


# --- the statements ------------------------------------------------------------------------------


def _day(moment: datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _spoken(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    return say_date(day)


class _Builder:
    def __init__(self, reader=None):
        self.version = policy.current()
        self.reader = reader

    def explanation(self, case: Case) -> str:
        """The case's reason, as the reader may read it: on a safeguarding case, its leads only (no
        reader, as for a statement made to be sent out: restricted)."""
        return routing.case_text_for(self.reader, case, case.reason)

    def ground(self, facts: CaseFacts) -> dict:
        case, rules = facts.case, facts.rules
        titles = "; ".join(rule.title for rule in rules)
        illegal = facts.reported or any(rule.suspected_offence for rule in rules)
        base = {
            "decision_ground_reference_url": self.version.policy_url,
            "illegal_content_legal_ground": "",
            "illegal_content_explanation": "",
            "incompatible_content_ground": "",
            "incompatible_content_explanation": "",
            "incompatible_content_illegal": "",
            "category": next((RULE_CATEGORIES[r.code] for r in rules if r.code in RULE_CATEGORIES), SCOPE),
        }
        if illegal:
            return {
                **base,
                "decision_ground": GROUND_ILLEGAL,
                "illegal_content_legal_ground": f"Suspected criminal offence; house rules broken: {titles}",
                "illegal_content_explanation": self.explanation(case),
            }
        return {
            **base,
            "decision_ground": GROUND_INCOMPATIBLE,
            "incompatible_content_ground": f"House rules of the {self.version.organisation_name} social media policy: "
            f"{titles}",
            "incompatible_content_explanation": self.explanation(case),
            "incompatible_content_illegal": "No",
        }

    def redress_for_block(self, block: Block) -> tuple[str, str]:
        version = self.version
        if block.kind == BlockKind.CHANNEL_BAN and version.channel_ban_challenge_any_time:
            return f"Challenge the ban at any time through the Communications Team: {version.team_email}", _day(
                block.started_at
            )
        if not version.appeals:
            where = version.complaints_url or version.contact_url or version.team_email
            return f"The policy offers no appeal against a block; complaints: {where}", ""
        return (
            f"Appeal to the Communications Team ({version.team_email}) from {_spoken(block.appeal_opens_at)}",
            _day(block.appeal_opens_at),
        )

    def general_redress(self, decided: datetime) -> tuple[str, str]:
        version = self.version
        where = version.complaints_url or version.contact_url or version.team_email
        return f"Contact the Communications Team ({version.team_email}) or complain: {where}", _day(decided)

    def statement(
        self,
        facts: CaseFacts,
        *,
        puid: str,
        title: str,
        decided_at: datetime,
        visibility: list[str],
        other: str = "",
        provision: str = "",
        action: str,
        redress: tuple[str, str],
    ) -> Statement:
        case, first_post = facts.case, facts.first_post
        posted = _spoken(first_post.posted_at if first_post else case.recorded_at)
        circumstances = (
            f"On {posted} the account posted on our "
            f"{case.channel.name} channel ({case.channel.get_platform_display()}). {self.explanation(case)}".strip()
        )
        fields = {
            "puid": puid,
            "decision_visibility": visibility,
            "decision_visibility_other": other,
            "decision_provision": provision,
            **self.ground(facts),
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": _day(first_post.posted_at) if first_post else "",
            "application_date": _day(decided_at),
            "decision_facts": circumstances,
            "source_type": SOURCE_VOLUNTARY,
            "automated_detection": "Yes" if facts.flagged else "No",
            "automated_decision": NOT_AUTOMATED,
            "territorial_scope": ["GB"],
            "redress": redress[0],
            "redress_opens_on": redress[1],
        }
        fields = {name: fields[name] for name in FIELDS}  # the schema's order, in every export
        return Statement(title, decided_at, fields, self.plain(facts, fields, action), puid)

    def plain(self, facts: CaseFacts, fields: dict, action: str) -> str:
        version, case = self.version, facts.case
        rules = ", ".join(rule.title for rule in facts.rules)
        found = (
            "An automatic filter pointed the post out to our team; a person read it and decided."
            if fields["automated_detection"] == "Yes"
            else "A member of our team found it while looking after our page, and decided."
        )
        return "\n\n".join(
            [
                f"Hello {case.account.display_name or '@' + case.account.handle},",
                (
                    f"On {_spoken(date.fromisoformat(fields['application_date']))} we {action}."
                    if fields["application_date"]
                    else f"We {action}."
                ),
                f"Why: it breaks our social media house rules ({rules}). Our policy: {version.policy_url}",
                f"What we saw: {fields['decision_facts']}",
                f"How we decided: {found} No part of the decision was automatic.",
                f"What you can do: {fields['redress']}.",
                f"{version.organisation_name} Communications Team",
            ]
        )


def _where(block: Block) -> str:
    return (
        f"our {block.channel.name} channel"
        if block.scope == BlockScope.CHANNEL and block.channel
        else "all our channels"
    )


def statements(
    case: Case | None = None, decided: tuple[datetime, datetime] | None = None, *, reader=None
) -> list[Statement]:
    """The statements of the restricting decisions of ``case`` (or of every case), optionally only
    those decided within ``decided``; oldest first. A fixed number of queries (seven). ``reader``: who
    reads them (a safeguarding case's reason is for its leads; ``policy.roles.can_read_case_text``)."""
    events, warnings, blocks, appeals = _decisions(case, decided)
    case_ids = {row.case_id for row in (*events, *warnings, *blocks)} | {a.block.case_id for a in appeals}
    cases = {
        row.pk: CaseFacts(row, list(row.rules.all()), next(iter(row.posts.all()), None), row.flagged, row.reported)
        for row in _cases(Case.objects.filter(pk__in=case_ids))
    }
    return _build(cases, events, warnings, blocks, appeals, reader=reader)


def _build(cases: dict[int, CaseFacts], events, warnings, blocks, appeals, *, reader=None) -> list[Statement]:
    build = _Builder(reader)
    result = []
    for event in events:
        facts = cases[event.case_id]
        case = facts.case
        hidden = event.kind == EventKind.POST_HIDDEN
        result.append(
            build.statement(
                facts,
                puid=f"case-{case.pk}-post-{event.subject_id}-{'hidden' if hidden else 'deleted'}-{event.pk}",
                title=f"Post {event.subject_id} {'hidden' if hidden else 'deleted'}",
                decided_at=event.at,
                visibility=[VISIBILITY_DISABLED if hidden else VISIBILITY_REMOVED],
                action=f"{'hid' if hidden else 'deleted'} your post on our {case.channel.name} page",
                redress=build.general_redress(event.at),
            )
        )
    for warning in warnings:
        facts = cases[warning.case_id]
        case = facts.case
        result.append(
            build.statement(
                facts,
                puid=f"case-{case.pk}-warning-{warning.pk}",
                title=f"Written warning {warning.pk}",
                decided_at=warning.sent_at,
                visibility=[VISIBILITY_OTHER],
                other="A written warning to the account",
                action="sent you a written warning",
                redress=build.general_redress(warning.sent_at),
            )
        )
    for block in blocks:
        facts = cases[block.case_id]
        case = facts.case
        ban = block.kind == BlockKind.CHANNEL_BAN
        result.append(
            build.statement(
                facts,
                puid=f"case-{case.pk}-block-{block.pk}",
                title=f"{block.get_kind_display()} {block.pk}",
                decided_at=block.started_at,
                visibility=[VISIBILITY_INTERACTION_RESTRICTED],
                provision=PROVISION_PARTIAL_SUSPENSION,
                action=f"{'banned' if ban else 'blocked'} you from interacting with {_where(block)}",
                redress=build.redress_for_block(block),
            )
        )
    for appeal in appeals:
        facts = cases[appeal.block.case_id]
        case = facts.case
        upheld = appeal.status == AppealStatus.UPHELD
        if upheld:
            opens = appeal.block.appeal_opens_at
            redress = (f"Appeal again from {_spoken(opens)}", _day(opens))
        else:
            redress = build.general_redress(appeal.decided_at)
        result.append(
            build.statement(
                facts,
                puid=f"case-{case.pk}-appeal-{appeal.pk}",
                title=f"Appeal {appeal.pk}: {'upheld' if upheld else 'overturned'}",
                decided_at=appeal.decided_at,
                visibility=[VISIBILITY_INTERACTION_RESTRICTED] if upheld else [VISIBILITY_OTHER],
                other="" if upheld else "The block was lifted on appeal",
                provision=PROVISION_PARTIAL_SUSPENSION if upheld else "",
                action=(
                    f"considered your appeal: the block on {_where(appeal.block)} stays"
                    if upheld
                    else f"considered your appeal: the block on {_where(appeal.block)} is lifted"
                ),
                redress=redress,
            )
        )
    return sorted(result, key=lambda s: (s.decided_at, s.fields["puid"]))


def for_case(
    case: Case,
    *,
    rules: list[HouseRule] | None = None,
    posts: list[Post] | None = None,
    events: list[CaseEvent] | None = None,
    warnings: list[Warning] | None = None,
    blocks: list[Block] | None = None,
    appeals: list[Appeal] | None = None,
    reported: bool | None = None,
    flagged: bool | None = None,
    reader=None,
) -> list[Statement]:
    """The case's statements. The case page passes the rows it has already read (its rules, posts,
    timeline, warnings, blocks with their channel, appeals with their block and channel, whether it
    has a police report and a confirmed flag, ``flagged_case``): then this costs no query."""
    if None in (rules, posts, events, warnings, blocks, appeals, reported, flagged):
        return statements(case, reader=reader)
    first_post = min(posts, key=lambda post: (post.posted_at, post.pk), default=None)
    facts = {case.pk: CaseFacts(case, rules, first_post, flagged, reported)}
    return _build(
        facts,
        [event for event in events if event.kind in RESTRICTING_EVENTS],
        [warning for warning in warnings if warning.status == WarningStatus.SENT],
        [block for block in blocks if block.status in (BlockStatus.ACTIVE, BlockStatus.LIFTED)],
        [appeal for appeal in appeals if appeal.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED)],
        reader=reader,
    )


def between(start: datetime, end: datetime, *, reader=None) -> list[Statement]:
    return statements(None, (start, end), reader=reader)


# --- exports -------------------------------------------------------------------------------------


def as_json_lines(items: list[Statement]) -> str:
    return "".join(json.dumps(s.fields, ensure_ascii=False) + "\n" for s in items)


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula: text starting ``=``, ``+``, ``-``, ``@``, tab or
    carriage return gets a leading apostrophe (the facts are what staff typed)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def as_csv(items: list[Statement]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for s in items:
        writer.writerow([safe_cell(";".join(s.fields[f]) if f in LIST_FIELDS else s.fields[f]) for f in FIELDS])
    return out.getvalue()
