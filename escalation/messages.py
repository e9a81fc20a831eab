"""The messages the team sends the account owner, filled from the policy's templates.

Each is rendered with the policy version its case was recorded under (``Case.policy_version``; the
active version for a case recorded before versions existed), so a later edit of a template applies to
new cases and never rewrites what an old case says. The text is plain: a page escapes it when it
shows it (``templates/escalation/_message_to_send.html``).
"""

from __future__ import annotations

from escalation.constants import AppealStatus
from escalation.models import Appeal, Block
from moderation.models import Case
from policy import dates
from policy import services as policy
from policy.models import PolicyVersion


def version_of(case: Case) -> PolicyVersion:
    """The policy version ``case`` was recorded under (the active one when it has none)."""
    return case.policy_version if case.policy_version_id else policy.current()


def _day(moment) -> str:
    return dates.say_date(moment)


def _name(account) -> str:
    return account.display_name or f"@{account.handle}"


def _where(block: Block) -> str:
    return block.channel.name if block.channel_id else "any of our social media channels"


def premature_appeal_reply(appeal: Appeal) -> str:
    """The reply to an appeal logged before its window opened: the date it opens."""
    block = appeal.block
    version = version_of(block.case)
    return version.message(
        "premature_appeal_template",
        name=_name(block.account),
        received_on=_day(appeal.received_at),
        opens_on=_day(appeal.window_opens_at),
        where=_where(block),
        policy_url=version.policy_url,
        organisation=version.organisation_name,
    )


def appeal_outcome_message(appeal: Appeal) -> str:
    """The decision on an appeal, to the account owner: upheld (and when they may appeal again) or
    overturned. "" for an appeal not decided."""
    block = appeal.block
    version = version_of(block.case)
    common = {
        "name": _name(block.account),
        "where": _where(block),
        "decided_on": _day(appeal.decided_at) if appeal.decided_at else "",
        "reason": appeal.decision_reason,
        "head": version.title_head,
        "policy_url": version.policy_url,
        "organisation": version.organisation_name,
    }
    if appeal.status == AppealStatus.UPHELD:
        return version.message(
            "appeal_upheld_template",
            **common,
            next_appeal_on=_day(block.appeal_opens_at) if block.appeal_opens_at else "",
        )
    if appeal.status == AppealStatus.OVERTURNED:
        return version.message("appeal_overturned_template", **common)
    return ""


def channel_ban_notice(block: Block) -> str:
    """The notice of a channel-only ban, to the account owner: which channel, why, how to challenge it."""
    case = block.case
    version = version_of(case)
    posts = case.posts.filter(channel_id=block.channel_id).order_by("posted_at")
    first = posts.first() or case.posts.order_by("posted_at").first()
    rules = [r for r in case.rules.all() if r.channel_only_ban] or list(case.rules.all())
    return version.message(
        "channel_ban_template",
        name=_name(block.account),
        post_kind=first.get_kind_display().lower() if first else "post",
        channel=block.channel.name if block.channel_id else case.channel.name,
        rules="; ".join(r.title.lower() for r in rules),
        team_email=version.team_email,
        policy_url=version.policy_url,
        organisation=version.organisation_name,
    )
