"""The recommended next step: ONE table of rule kind × standing (advice only: people decide).

A case's rules are sorted into kinds (from the house rules' own settings):

| rule kind / standing   | none            | warned          | blocked elsewhere | blocked here | everywhere |
|------------------------|-----------------|-----------------|-------------------|--------------|------------|
| ordinary               | warning         | block           | nothing (judge)   | nothing      | nothing    |
| zero tolerance         | block           | block           | block             | nothing      | nothing    |
| misinformation         | channel ban     | channel ban     | channel ban       | nothing      | nothing    |
| breaks the law         | block           | block           | block             | nothing      | nothing    |
| breaks the law, urgent | immediate block | immediate block | immediate block   | nothing      | nothing    |

"warned": a warning sent in the lookback (12 months); "blocked here": on the case's channel.
A case citing several kinds gets the strongest step any of them gives. A rule that breaks the law
also suggests a police report (the policy: "where … a criminal offence is suspected").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from escalation.constants import Recommendation

URGENT_PRIORITY = 0  # moderation.constants.Priority.URGENT


class RuleKind(models.TextChoices):
    ORDINARY = "ordinary", "Ordinary house rule"
    ZERO_TOLERANCE = "zero_tolerance", "Zero tolerance"
    MISINFORMATION = "misinformation", "Misinformation (channel-only ban)"
    UNLAWFUL = "unlawful", "Breaks the law"
    UNLAWFUL_URGENT = "unlawful_urgent", "Breaks the law, marked urgent"


class History(models.TextChoices):
    NONE = "none", "No warning in the lookback"
    WARNED = "warned", "Warned in the lookback"
    BLOCKED_ELSEWHERE = "blocked_elsewhere", "Blocked on another channel"
    BLOCKED_HERE = "blocked_here", "Blocked on this channel"
    BLOCKED_EVERYWHERE = "blocked_everywhere", "Blocked on all channels"


R = Recommendation
H = History
TABLE: dict[str, dict[str, str]] = {
    RuleKind.ORDINARY: {
        H.NONE: R.WARNING,
        H.WARNED: R.BLOCK,
        H.BLOCKED_ELSEWHERE: R.NONE,
        H.BLOCKED_HERE: R.NONE,
        H.BLOCKED_EVERYWHERE: R.NONE,
    },
    RuleKind.ZERO_TOLERANCE: {
        H.NONE: R.BLOCK,
        H.WARNED: R.BLOCK,
        H.BLOCKED_ELSEWHERE: R.BLOCK,
        H.BLOCKED_HERE: R.NONE,
        H.BLOCKED_EVERYWHERE: R.NONE,
    },
    RuleKind.MISINFORMATION: {
        H.NONE: R.CHANNEL_BAN,
        H.WARNED: R.CHANNEL_BAN,
        H.BLOCKED_ELSEWHERE: R.CHANNEL_BAN,
        H.BLOCKED_HERE: R.NONE,
        H.BLOCKED_EVERYWHERE: R.NONE,
    },
    RuleKind.UNLAWFUL: {
        H.NONE: R.BLOCK,
        H.WARNED: R.BLOCK,
        H.BLOCKED_ELSEWHERE: R.BLOCK,
        H.BLOCKED_HERE: R.NONE,
        H.BLOCKED_EVERYWHERE: R.NONE,
    },
    RuleKind.UNLAWFUL_URGENT: {
        H.NONE: R.IMMEDIATE_BLOCK,
        H.WARNED: R.IMMEDIATE_BLOCK,
        H.BLOCKED_ELSEWHERE: R.IMMEDIATE_BLOCK,
        H.BLOCKED_HERE: R.NONE,
        H.BLOCKED_EVERYWHERE: R.NONE,
    },
}
# how strong a step is, to pick one when a case cites several kinds
STRENGTH = {R.NONE: 0, R.WARNING: 1, R.CHANNEL_BAN: 2, R.BLOCK: 3, R.IMMEDIATE_BLOCK: 4}


def rule_kinds(rules, *, urgent: bool) -> set[str]:
    """The kinds of the rules a case cites ("ordinary" for a rule that is none of the others, or none)."""
    kinds = set()
    for rule in rules:
        special = False
        if rule.channel_only_ban:
            kinds.add(RuleKind.MISINFORMATION)
            special = True
        if rule.zero_tolerance:
            kinds.add(RuleKind.ZERO_TOLERANCE)
            special = True
        if rule.suspected_offence:  # "breaks the law": the policy says consider reporting it to the police
            kinds.add(RuleKind.UNLAWFUL_URGENT if urgent else RuleKind.UNLAWFUL)
            special = True
        if not special:
            kinds.add(RuleKind.ORDINARY)
    return kinds or {RuleKind.ORDINARY}


def history(*, blocked_everywhere: bool, blocked_here: bool, blocked_elsewhere: bool, warned: bool) -> str:
    if blocked_everywhere:
        return H.BLOCKED_EVERYWHERE
    if blocked_here:
        return H.BLOCKED_HERE
    if blocked_elsewhere:
        return H.BLOCKED_ELSEWHERE
    return H.WARNED if warned else H.NONE


@dataclass(frozen=True)
class Advice:
    recommendation: str
    kind: str  # the rule kind that gave it
    police_report: bool


def advise(kinds: set[str], standing: str, *, warning_first: bool = False) -> Advice:
    """The strongest step the table gives for any of ``kinds`` in ``standing``.

    ``warning_first``: the policy makes a written warning a step before any block (HMPPS), a channel
    ban included, and the account has had none within the lookback: it is advised a warning, unless a
    zero-tolerance rule is cited, whatever else it has (a ban on another channel does not stand in for
    the warning, and the services would refuse the block).
    """
    ranked = sorted(
        kinds,
        key=lambda k: (STRENGTH[TABLE[k][standing]], list(RuleKind.values).index(k)),
        reverse=True,
    )
    kind = ranked[0]
    police = bool(kinds & {RuleKind.UNLAWFUL, RuleKind.UNLAWFUL_URGENT})
    recommendation = TABLE[kind][standing]
    if (
        warning_first
        and recommendation in (R.BLOCK, R.IMMEDIATE_BLOCK, R.CHANNEL_BAN)  # a channel ban is a block too
        and RuleKind.ZERO_TOLERANCE not in kinds
    ):
        recommendation = R.WARNING
    return Advice(recommendation=recommendation, kind=kind, police_report=police)
