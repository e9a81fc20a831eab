"""Reads about decisions: an account's standing and the recommended next step, sign-off inboxes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from escalation import advice, routing
from escalation.constants import BlockScope, BlockStatus, Recommendation, SignOffKind, SignOffStatus, WarningStatus
from escalation.models import Block, SignOff, Warning
from moderation import clock
from moderation.constants import CaseStatus
from moderation.models import Case, HouseRule, SocialAccount
from policy import dates
from policy import services as policy
from policy.titles import titles as role_titles


@dataclass(frozen=True)
class OpenCase:
    """What the advice needs of a case: where it happened, how urgent, which rules."""

    pk: int
    channel_id: int
    channel_name: str
    urgent: bool
    rules: list[HouseRule] = field(default_factory=list)


@dataclass(frozen=True)
class Standing:
    """Where an account stands across all channels, and what the policy suggests next (advice only)."""

    account: SocialAccount
    active_blocks: list[Block] = field(default_factory=list)
    recent_warnings: list[Warning] = field(default_factory=list)
    zero_tolerance_rules: list[HouseRule] = field(default_factory=list)
    recommendation: str = Recommendation.WARNING
    reason: str = ""
    police_report: bool = False
    police_reason: str = ""

    @property
    def blocked_everywhere(self) -> bool:
        return any(b.scope == BlockScope.ALL for b in self.active_blocks)

    @property
    def next_appeal_opens_at(self) -> datetime | None:
        dates = [b.appeal_opens_at for b in self.active_blocks if b.appeal_opens_at]
        return min(dates) if dates else None

    @property
    def recommendation_label(self) -> str:
        return Recommendation(self.recommendation).label


def _open_cases(rows) -> list[OpenCase]:
    """Group (case, rule) rows of the cases-rules table into the cases they belong to."""
    cases: dict[int, OpenCase] = {}
    for row in rows:
        case = row.case
        if case.pk not in cases:
            cases[case.pk] = OpenCase(
                pk=case.pk,
                channel_id=case.channel_id,
                channel_name=case.channel.name,
                urgent=case.priority == advice.URGENT_PRIORITY,
            )
        cases[case.pk].rules.append(row.houserule)
    return list(cases.values())


def _case_rules():
    return Case.rules.through.objects.select_related("houserule", "case__channel").order_by("case_id", "houserule_id")


def account_standing(
    account: SocialAccount,
    *,
    case: Case | None = None,
    now: datetime | None = None,
    blocks: list[Block] | None = None,
    warnings: list[Warning] | None = None,
    cases: list[Case] | None = None,
) -> Standing:
    """The account's standing and the recommended next step, from ``escalation.advice``'s one table.

    With ``case``, the advice is for that case (its rules, urgency and channel); without, for the
    account's open cases (the strongest step any of them gives). Advice only: people decide.
    Three queries whatever the history, or none for what the page has read already: ``blocks``
    (all the account's, with their channel), ``warnings`` (all the account's), ``cases`` (``case``
    alone, or all the account's, with their channel and rules prefetched).
    """
    now = now or clock.now()
    if blocks is None:
        active = list(
            Block.objects.filter(account=account, status=BlockStatus.ACTIVE)
            .select_related("channel")
            .order_by("started_at")
        )
    else:
        active = sorted((b for b in blocks if b.status == BlockStatus.ACTIVE), key=lambda b: (b.started_at, b.pk))
    since = now - relativedelta(months=policy.current().warning_lookback_months)
    if warnings is None:
        recent = list(
            Warning.objects.filter(case__account=account, status=WarningStatus.SENT, sent_at__gte=since).order_by(
                "-sent_at"
            )
        )
    else:
        recent = sorted(
            (w for w in warnings if w.status == WarningStatus.SENT and w.sent_at and w.sent_at >= since),
            key=lambda w: w.sent_at,
            reverse=True,
        )
    if cases is not None:
        chosen = [case] if case is not None else [c for c in cases if c.status == CaseStatus.OPEN]
        open_cases = [
            OpenCase(
                pk=c.pk,
                channel_id=c.channel_id,
                channel_name=c.channel.name,
                urgent=c.priority == advice.URGENT_PRIORITY,
                rules=sorted(c.rules.all(), key=lambda r: r.pk),
            )
            for c in chosen
            if c.rules.all()
        ]
        return _standing(account, active, recent, open_cases)
    rows = (
        _case_rules().filter(case=case)
        if case is not None
        else _case_rules().filter(case__account=account, case__status=CaseStatus.OPEN)
    )
    return _standing(account, active, recent, _open_cases(rows))


def account_standings(accounts: list[SocialAccount], *, now: datetime | None = None) -> dict[int, Standing]:
    """``account_standing`` for many accounts at once (a page of them): three queries in all."""
    now = now or clock.now()
    ids = [a.pk for a in accounts]
    active: dict[int, list[Block]] = defaultdict(list)
    for block in (
        Block.objects.filter(account__in=ids, status=BlockStatus.ACTIVE)
        .select_related("channel")
        .order_by("started_at")
    ):
        active[block.account_id].append(block)
    since = now - relativedelta(months=policy.current().warning_lookback_months)
    warnings: dict[int, list[Warning]] = defaultdict(list)
    for warning in (
        Warning.objects.filter(case__account__in=ids, status=WarningStatus.SENT, sent_at__gte=since)
        .annotate(account_id=F("case__account_id"))
        .order_by("-sent_at")
    ):
        warnings[warning.account_id].append(warning)
    rows: dict[int, list] = defaultdict(list)
    for row in _case_rules().filter(case__account__in=ids, case__status=CaseStatus.OPEN):
        rows[row.case.account_id].append(row)
    return {a.pk: _standing(a, active[a.pk], warnings[a.pk], _open_cases(rows[a.pk])) for a in accounts}


def _advice_for(case: OpenCase | None, active: list[Block], warned: bool) -> tuple[advice.Advice, OpenCase | None]:
    channel_id = case.channel_id if case else None
    everywhere = any(b.scope == BlockScope.ALL for b in active)
    here = any(b.channel_id == channel_id for b in active if b.scope == BlockScope.CHANNEL)
    elsewhere = any(b.channel_id != channel_id for b in active if b.scope == BlockScope.CHANNEL)
    standing = advice.history(
        blocked_everywhere=everywhere, blocked_here=here, blocked_elsewhere=elsewhere, warned=warned
    )
    kinds = advice.rule_kinds(case.rules if case else [], urgent=case.urgent if case else False)
    from policy.models import WarningBeforeBlock

    # the services refuse a block on an account not warned within the lookback (escalation.services)
    warning_first = policy.current().warning_before_block == WarningBeforeBlock.REQUIRED and not warned
    return advice.advise(kinds, standing, warning_first=warning_first), case


def _standing(account: SocialAccount, active: list[Block], warnings: list[Warning], cases: list[OpenCase]) -> Standing:
    zero = list({r.pk: r for c in cases for r in c.rules if r.zero_tolerance}.values())
    standing = dict(account=account, active_blocks=active, recent_warnings=warnings, zero_tolerance_rules=zero)
    options = [_advice_for(c, active, bool(warnings)) for c in cases] or [_advice_for(None, active, bool(warnings))]
    given, case = max(options, key=lambda o: advice.STRENGTH[o[0].recommendation])
    police = any(o[0].police_report for o in options)
    police_titles = sorted({r.title for c in cases for r in c.rules if r.suspected_offence}, key=str.lower)
    extra = dict(
        police_report=police,
        police_reason=(
            f"Consider reporting it to the police: the case cites {', '.join(t.lower() for t in police_titles)}."
            if police
            else ""
        ),
    )
    lookback = policy.current().warning_lookback_months
    rec = given.recommendation
    if rec == Recommendation.NONE:
        everywhere = any(b.scope == BlockScope.ALL for b in active)
        where = "all our channels" if everywhere else ", ".join(b.channel.name for b in active)
        reason = f"The account is already blocked on {where}."
        if not everywhere:
            reason += " Behaviour on another channel is for you to judge."
    elif rec == Recommendation.CHANNEL_BAN:
        reason = (
            f"Misinformation: remove the posts and ban the author from {case.channel_name} only. "
            "The ban can be challenged at any time."
        )
    elif rec == Recommendation.IMMEDIATE_BLOCK:
        role = role_titles()
        reason = f"Urgent, and it breaks the law: the {role.manager} blocks now (the {role.head} is told)."
    elif given.kind == advice.RuleKind.ZERO_TOLERANCE:
        titles = ", ".join(r.title.lower() for r in zero)
        reason = f"Zero tolerance: an open case cites {titles}."
    elif rec == Recommendation.WARNING and given.kind != advice.RuleKind.ORDINARY:
        reason = "Our policy asks for a written warning before a block, except for zero-tolerance rules: warn first."
    elif given.kind == advice.RuleKind.UNLAWFUL:
        reason = "It breaks the law: propose a block."
    elif rec == Recommendation.BLOCK:
        reason = (
            f"The account was warned on {dates.say_date(warnings[0].sent_at)}, within the last {lookback} months."
        )
    else:
        reason = f"No warning in the last {lookback} months: warn before blocking."
    return Standing(**standing, recommendation=rec, reason=reason, **extra)


def signoffs_for(user: AbstractBaseUser) -> QuerySet[SignOff]:
    """Pending sign-offs this user may decide (not their own requests), oldest first."""
    condition = Q(pk__in=[])
    if routing.holds(user, routing.PERM_SIGNOFF_WARNING_ANY):
        condition |= Q(kind=SignOffKind.WARNING)
    elif routing.directors_sign_off_warnings() and routing.holds(user, routing.PERM_SIGNOFF_WARNING_AREA):
        # a subquery, not a join: a join through the area's directors repeats the other rows
        condition |= Q(kind=SignOffKind.WARNING, case__service_area__in=user.service_areas.all())
    approval = routing.block_approval()
    if approval == "head":
        if routing.holds(user, routing.PERM_DECIDE_APPEAL):
            condition |= Q(kind=SignOffKind.BLOCK)
    elif routing.holds(user, routing.PERM_APPROVE_BLOCK):
        condition |= Q(kind=SignOffKind.BLOCK)
    elif approval == "manager_or_director" and routing.holds(user, routing.PERM_SIGNOFF_WARNING_AREA):
        condition |= Q(kind=SignOffKind.BLOCK, case__service_area__in=user.service_areas.all())
    if routing.holds(user, routing.PERM_DECIDE_APPEAL) and policy.current().appeals:
        condition |= Q(kind=SignOffKind.APPEAL)
    return (
        SignOff.objects.filter(condition, status=SignOffStatus.PENDING)
        # nobody decides their own request: not the asker, not the author of the warning or block
        # (the person's own warnings and blocks read from their index, not every warning and block
        # joined to every pending sign-off: issue 13)
        .exclude(requested_by=user)
        .exclude(warning__in=Warning.objects.filter(drafted_by=user).values("pk"))
        .exclude(block__in=Block.objects.filter(proposed_by=user).values("pk"))
        .select_related("case__account", "case__channel", "requested_by", "warning", "block", "appeal")
        # safeguarding cases first (issue 12: the top of every queue), then oldest first; the case's
        # stamp read by its key for each pending sign-off (a join made PostgreSQL hash every case)
        .order_by(
            Subquery(Case.objects.filter(pk=OuterRef("case_id")).order_by().values("safeguarding_at")[:1]).asc(
                nulls_last=True
            ),
            "requested_at",
        )
    )


def blocks_to_acknowledge() -> QuerySet[Block]:
    """Active blocks the Managing Director has not acknowledged yet (none where the policy asks for no
    acknowledgement)."""
    if not policy.current().head_acknowledges_blocks:
        return Block.objects.none()
    return Block.objects.filter(status=BlockStatus.ACTIVE, md_acknowledged_at__isnull=True)


def decisions_waiting(user: AbstractBaseUser) -> int:
    """How many decisions wait for ``user`` on /decisions/: the sign-offs and appeals they may decide
    and, for the Managing Director, the blocks to acknowledge (the navigation's count)."""
    waiting = signoffs_for(user).count()
    if routing.holds(user, routing.PERM_ACKNOWLEDGE_BLOCK):
        waiting += blocks_to_acknowledge().count()
    return waiting
