"""States of the escalation objects and the moves allowed between them (one table per model)."""

from django.db import models


class WarningStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    APPROVED = "approved", "Signed off"
    SENT = "sent", "Sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


WARNING_TRANSITIONS: dict[str, set[str]] = {
    WarningStatus.DRAFT: {WarningStatus.AWAITING_SIGNOFF, WarningStatus.WITHDRAWN},
    # a refused sign-off returns the warning to its drafter
    WarningStatus.AWAITING_SIGNOFF: {WarningStatus.APPROVED, WarningStatus.DRAFT},
    WarningStatus.APPROVED: {WarningStatus.SENT, WarningStatus.WITHDRAWN},
    WarningStatus.SENT: set(),
    WarningStatus.WITHDRAWN: set(),
}


class BlockStatus(models.TextChoices):
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    ACTIVE = "active", "Active"
    REFUSED = "refused", "Refused"
    LIFTED = "lifted", "Lifted"


BLOCK_TRANSITIONS: dict[str, set[str]] = {
    BlockStatus.AWAITING_SIGNOFF: {BlockStatus.ACTIVE, BlockStatus.REFUSED},
    BlockStatus.ACTIVE: {BlockStatus.LIFTED},
    BlockStatus.REFUSED: set(),
    BlockStatus.LIFTED: set(),
}


class BlockScope(models.TextChoices):
    CHANNEL = "channel", "This channel only"
    ALL = "all", "All our channels"


class BlockKind(models.TextChoices):
    STANDARD = "standard", "Block"
    IMMEDIATE = "immediate", "Immediate block"
    CHANNEL_BAN = "channel_ban", "Channel ban (misinformation)"


class AppealStatus(models.TextChoices):
    PREMATURE = "premature", "Premature"
    UNDER_REVIEW = "under_review", "Under review"
    UPHELD = "upheld", "Upheld"
    OVERTURNED = "overturned", "Overturned"


APPEAL_TRANSITIONS: dict[str, set[str]] = {
    AppealStatus.PREMATURE: set(),
    AppealStatus.UNDER_REVIEW: {AppealStatus.UPHELD, AppealStatus.OVERTURNED},
    AppealStatus.UPHELD: set(),
    AppealStatus.OVERTURNED: set(),
}


class SignOffKind(models.TextChoices):
    WARNING = "warning", "Written warning"
    BLOCK = "block", "Block"
    APPEAL = "appeal", "Appeal decision"


class SignOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class Recommendation(models.TextChoices):
    WARNING = "warning", "Issue a written warning"
    BLOCK = "block", "Propose a block"
    NONE = "none", "Nothing more: the account is blocked"
    CHANNEL_BAN = "channel_ban", "Ban from the channel (misinformation)"
    IMMEDIATE_BLOCK = "immediate_block", "Block immediately"
