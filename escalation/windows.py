"""The one clock rule for "may an appeal against this block be heard yet".

Every place that asks (recording an appeal, the appeal form, the block page, the window flag)
goes through ``may_be_heard``, so the rule is stated once:

- A channel-only ban, where the policy lets one be challenged at any time (NHDC: misinformation),
  or whose rule has no wait: a challenge is never premature, whatever time was written down for
  it, before or after an upheld challenge. After an upheld appeal against any other block, the
  next is heard the policy's ``appeal_wait_after_upheld_months`` later.
- Otherwise an appeal is heard from ``appeal_opens_at``, compared at the precision a received
  time is written in (the minute): a challenge written down as received in the minute the
  window opened is in time, so cutting the seconds off a time never makes it premature.

Instants are compared as aware datetimes (UTC in the database); never as local dates or strings.
"""

from __future__ import annotations

from datetime import datetime

from escalation.constants import BlockKind, BlockStatus

DEFAULT_APPEAL_WAIT_MONTHS = 12


def appeal_wait_months(case, kind: str) -> int:
    """Months before an appeal is heard: the longest wait of the rules that apply (12 when none does).

    A channel ban takes its channel-only rules (misinformation: no wait); any other block the rest.
    """
    rules = [r for r in case.rules.all() if r.channel_only_ban == (kind == BlockKind.CHANNEL_BAN)]
    return max((r.appeal_wait_months for r in rules), default=DEFAULT_APPEAL_WAIT_MONTHS)


def challengeable_at_any_time(block) -> bool:
    """True for a channel-only ban where the policy lets one be challenged at any time (NHDC:
    misinformation), and for a channel ban whose rule has no wait."""
    from policy.services import current  # windows is imported as the apps load

    if block.kind != BlockKind.CHANNEL_BAN:
        return False
    return current().channel_ban_challenge_any_time or appeal_wait_months(block.case, block.kind) == 0


def to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def may_be_heard(block, received_at: datetime) -> bool:
    """Whether an appeal against ``block`` received at ``received_at`` is in time (not premature)."""
    if block.appeal_opens_at is None:
        return False
    if challengeable_at_any_time(block):
        return True
    return received_at >= to_the_minute(block.appeal_opens_at)


def window_open(block, now: datetime) -> bool:
    """Whether an appeal arriving ``now`` against this active block would be heard."""
    return block.status == BlockStatus.ACTIVE and may_be_heard(block, now)
