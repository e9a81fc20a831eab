"""Reads about decisions: an account's standing and the recommended next step, sign-off inboxes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from escalation import routing
from escalation.constants import BlockScope, BlockStatus, Recommendation, SignOffKind, SignOffStatus, WarningStatus
from escalation.models import Block, SignOff, Warning
from moderation import clock
from moderation.constants import CaseStatus
from moderation.models import HouseRule, SocialAccount


@dataclass(frozen=True)
class Standing:
    """Where an account stands across all channels, and what the policy suggests next (advice only)."""

    account: SocialAccount
    active_blocks: list[Block] = field(default_factory=list)
    recent_warnings: list[Warning] = field(default_factory=list)
    zero_tolerance_rules: list[HouseRule] = field(default_factory=list)
    recommendation: str = Recommendation.WARNING
    reason: str = ""

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


def account_standing(account: SocialAccount, *, now: datetime | None = None) -> Standing:
    """The account's standing and the recommended next step.

    - an active block → nothing more (a channel-only block says where, for people to judge);
    - a zero-tolerance rule (discriminatory, per HMPPS) on an open case → block;
    - a warning sent in the last 12 months → block;
    - otherwise (no history) → warning.
    Advice only: people decide. Three queries whatever the history.
    """
    now = now or clock.now()
    active = list(
        Block.objects.filter(account=account, status=BlockStatus.ACTIVE)
        .select_related("channel")
        .order_by("started_at")
    )
    since = now - relativedelta(months=settings.WARNING_LOOKBACK_MONTHS)
    warnings = list(
        Warning.objects.filter(case__account=account, status=WarningStatus.SENT, sent_at__gte=since).order_by(
            "-sent_at"
        )
    )
    zero = list(
        HouseRule.objects.filter(zero_tolerance=True, cases__account=account, cases__status=CaseStatus.OPEN).distinct()
    )
    return _standing(account, active, warnings, zero)


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
    since = now - relativedelta(months=settings.WARNING_LOOKBACK_MONTHS)
    warnings: dict[int, list[Warning]] = defaultdict(list)
    for warning in (
        Warning.objects.filter(case__account__in=ids, status=WarningStatus.SENT, sent_at__gte=since)
        .annotate(account_id=F("case__account_id"))
        .order_by("-sent_at")
    ):
        warnings[warning.account_id].append(warning)
    zero: dict[int, list[HouseRule]] = defaultdict(list)
    for rule in (
        HouseRule.objects.filter(zero_tolerance=True, cases__account__in=ids, cases__status=CaseStatus.OPEN)
        .annotate(account_id=F("cases__account_id"))
        .distinct()
    ):
        zero[rule.account_id].append(rule)
    return {a.pk: _standing(a, active[a.pk], warnings[a.pk], zero[a.pk]) for a in accounts}


def _standing(account: SocialAccount, active: list[Block], warnings: list[Warning], zero: list[HouseRule]) -> Standing:
    standing = dict(account=account, active_blocks=active, recent_warnings=warnings, zero_tolerance_rules=zero)
    if active:
        everywhere = any(b.scope == BlockScope.ALL for b in active)
        where = "all our channels" if everywhere else ", ".join(b.channel.name for b in active)
        reason = f"The account is already blocked on {where}."
        if not everywhere:
            reason += " Behaviour on another channel is for you to judge."
        return Standing(**standing, recommendation=Recommendation.NONE, reason=reason)
    if zero:
        titles = ", ".join(r.title.lower() for r in zero)
        return Standing(
            **standing, recommendation=Recommendation.BLOCK, reason=f"Zero tolerance: an open case cites {titles}."
        )
    if warnings:
        sent_at = timezone.localtime(warnings[0].sent_at)
        sent = f"{sent_at.day} {sent_at:%B %Y}"
        return Standing(
            **standing,
            recommendation=Recommendation.BLOCK,
            reason=f"The account was warned on {sent}, within the last {settings.WARNING_LOOKBACK_MONTHS} months.",
        )
    return Standing(
        **standing,
        recommendation=Recommendation.WARNING,
        reason=f"No warning in the last {settings.WARNING_LOOKBACK_MONTHS} months: warn before blocking.",
    )


def signoffs_for(user: AbstractBaseUser) -> QuerySet[SignOff]:
    """Pending sign-offs this user may decide (not their own requests), oldest first."""
    condition = Q(pk__in=[])
    if user.has_perm(routing.PERM_SIGNOFF_WARNING_ANY):
        condition |= Q(kind=SignOffKind.WARNING)
    elif user.has_perm(routing.PERM_SIGNOFF_WARNING_AREA):
        # a subquery, not a join: a join through the area's directors repeats the other rows
        condition |= Q(kind=SignOffKind.WARNING, case__service_area__in=user.service_areas.all())
    if user.has_perm(routing.PERM_APPROVE_BLOCK):
        condition |= Q(kind=SignOffKind.BLOCK)
    if user.has_perm(routing.PERM_DECIDE_APPEAL):
        condition |= Q(kind=SignOffKind.APPEAL)
    return (
        SignOff.objects.filter(condition, status=SignOffStatus.PENDING)
        # nobody decides their own request: not the asker, not the author of the warning or block
        .exclude(requested_by=user)
        .exclude(warning__drafted_by=user)
        .exclude(block__proposed_by=user)
        .select_related("case__account", "case__channel", "requested_by", "warning", "block", "appeal")
        .order_by("requested_at")
    )
