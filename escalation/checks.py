"""Whether the policy's ladder can be walked by the people who hold the roles today.

A ladder step routed to a role no active user holds is not refused (people join and leave; an
administrator may publish the policy before giving the roles): it is a warning, shown on the policy's
admin pages and by ``manage.py check``.
"""

from __future__ import annotations

from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError

from escalation import routing
from escalation.constants import SignOffKind


def ladder_gaps() -> list[str]:
    """One sentence per step of the active policy that no active user's role can take."""
    from policy.models import BlockApproval, ImmediateBlock, WarningSignOff
    from policy.services import current

    version = current()
    gaps = []

    def nobody(kind: str) -> bool:
        return not routing.deciders_for(kind=kind, service_area_id=None).exists()

    if version.warning_signoff != WarningSignOff.NONE and nobody(SignOffKind.WARNING):
        gaps.append(f"Written warnings need sign-off by the {version.title_manager}, and no active user has that role.")
    if nobody(SignOffKind.BLOCK):
        if version.block_approval == BlockApproval.HEAD:
            gaps.append(f"Blocks are approved by the {version.title_head}, and no active user has that role.")
        elif version.block_approval == BlockApproval.MANAGER_OR_DIRECTOR:
            gaps.append(
                f"Blocks on cases with no service area are approved by the {version.title_manager}, and no active "
                "user has that role."
            )
        else:
            gaps.append(f"Blocks are approved by the {version.title_manager}, and no active user has that role.")
    if (
        version.immediate_block == ImmediateBlock.MANAGERS
        and not routing.holders_of(routing.PERM_IMMEDIATE_BLOCK).exists()
    ):
        gaps.append(f"Only the {version.title_manager} may block at once, and no active user has that role.")
    if (
        version.immediate_block == ImmediateBlock.ZERO_TOLERANCE
        and not routing.holders_of(routing.PERM_IMMEDIATE_BLOCK).exists()
        and not routing.holders_of(routing.PERM_PROPOSE_BLOCK).exists()
    ):
        gaps.append(
            f"The {version.title_manager}, or a {version.title_officer} under a zero-tolerance rule, may block at "
            "once, and no active user has either role."
        )
    if version.head_acknowledges_blocks and not routing.holders_of(routing.PERM_ACKNOWLEDGE_BLOCK).exists():
        gaps.append(f"The {version.title_head} acknowledges every block, and no active user has that role.")
    if version.appeals and nobody(SignOffKind.APPEAL):
        gaps.append(f"The {version.title_head} decides appeals, and no active user has that role.")
    # any team member may mark a case safeguarding (issue 12): someone must be alerted and decide
    if not routing.holders_of(routing.PERM_SAFEGUARDING_LEAD).filter(is_superuser=False).exclude(email="").exists():
        gaps.append(
            f"A safeguarding case alerts every {routing.SAFEGUARDING_LEAD.lower()} and waits for one to record the "
            "referral, and no active user with an email address has that role."
        )
    return gaps


@register(Tags.security)
def ladder_can_be_walked(app_configs, **kwargs):
    try:
        gaps = ladder_gaps()
    except DatabaseError:  # no database yet (a build step): nothing to say
        return []
    return [
        CheckWarning(gap, hint="Give the role to someone in the admin (Users).", id="escalation.W001") for gap in gaps
    ]
