"""What was decided: warnings, blocks, appeals, police reports and the sign-offs between them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from escalation.constants import (
    AppealStatus,
    BlockKind,
    BlockScope,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from moderation import clock
from moderation.models import Case, Channel, SocialAccount

USER = settings.AUTH_USER_MODEL


class Warning(models.Model):
    """A written warning to an account, usually a direct message linking to the policy.

    States (``constants.WARNING_TRANSITIONS``): draft → awaiting_signoff → approved → sent;
    awaiting_signoff → draft when sign-off is refused (returned to the drafter with the reason);
    draft | approved → withdrawn.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="warnings")
    text = models.TextField()
    status = models.CharField(max_length=20, choices=WarningStatus.choices, default=WarningStatus.DRAFT)
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="drafted_warnings")
    drafted_at = models.DateTimeField(default=clock.now)
    sent_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-drafted_at"]
        permissions = [
            ("draft_warning", "Can draft a written warning"),
            ("signoff_any_warning", "Can sign off any written warning (Communications Manager)"),
            ("signoff_area_warning", "Can sign off warnings in own service areas (Service Director)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=WarningStatus.SENT) | Q(sent_at__isnull=False, sent_by__isnull=False),
                name="warning_sent_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"Warning {self.pk} on case {self.case_id} ({self.get_status_display()})"


class Block(models.Model):
    """A block of an account from one channel or from all channels.

    States (``constants.BLOCK_TRANSITIONS``): awaiting_signoff → active | refused; active → lifted.
    Immediate blocks and misinformation channel bans start ``active``.
    ``appeal_opens_at`` = start + the rule's wait in calendar months (29 Feb → 28 Feb); after an
    upheld appeal, 12 months after that decision. The scheduled task stamps
    ``appeal_window_flagged_at`` once the window has opened.
    """

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="blocks")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="blocks")
    kind = models.CharField(max_length=20, choices=BlockKind.choices, default=BlockKind.STANDARD)
    scope = models.CharField(max_length=10, choices=BlockScope.choices, default=BlockScope.ALL)
    # no index of their own on channel and the people (proposed, acknowledged, undone by): nothing
    # reads blocks by them (a channel's live blocks come by account through
    # block_one_live_per_account_scope), and each index cost every sweep's UPDATE an entry (issue 13)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    status = models.CharField(max_length=20, choices=BlockStatus.choices)
    reason = models.TextField()
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="proposed_blocks", db_index=False)
    proposed_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    appeal_opens_at = models.DateTimeField(null=True, blank=True)
    appeal_window_flagged_at = models.DateTimeField(null=True, blank=True)
    # the window (its appeal_opens_at) the Communications team's digest has named: a redelivered
    # digest task names each opened window once
    appeal_digest_sent_for = models.DateTimeField(null=True, blank=True)
    md_notified_at = models.DateTimeField(null=True, blank=True)
    md_acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    md_acknowledged_at = models.DateTimeField(null=True, blank=True)
    md_last_chased_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_reason = models.TextField(blank=True)
    undone_on_platform_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    undone_on_platform_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        permissions = [
            ("propose_block", "Can propose a block"),
            ("approve_block", "Can approve a block (Communications Manager)"),
            ("immediate_block", "Can block at once for extreme behaviour"),
            ("channel_ban", "Can ban an account from one channel for misinformation"),
            ("acknowledge_block", "Can acknowledge a block (Managing Director)"),
        ]
        indexes = [
            models.Index(
                fields=["appeal_opens_at"],
                condition=Q(status="active", appeal_window_flagged_at__isnull=True),
                name="block_appeal_window_due_idx",
            ),
            # "undo the block on the platform" in the lists' stage: only the few such blocks are indexed
            models.Index(
                fields=["case"],
                condition=Q(status="lifted", undone_on_platform_at__isnull=True),
                name="block_to_undo_case_idx",
            ),
            # the overdue chase: the active blocks the Managing Director has not acknowledged (a few)
            models.Index(
                fields=["started_at"],
                condition=Q(status="active", md_acknowledged_at__isnull=True),
                name="block_unacknowledged_idx",
            ),
        ]
        constraints = [
            # one live block (proposed or active) per account and scope
            models.UniqueConstraint(
                fields=["account", "scope", "channel"],
                condition=Q(status__in=["awaiting_signoff", "active"]),
                nulls_distinct=False,
                name="block_one_live_per_account_scope",
            ),
            models.CheckConstraint(
                condition=Q(scope=BlockScope.ALL, channel__isnull=True)
                | Q(scope=BlockScope.CHANNEL, channel__isnull=False),
                name="block_channel_matches_scope",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "lifted"])
                | Q(started_at__isnull=False, appeal_opens_at__isnull=False),
                name="block_started_has_dates",
            ),
            # separation of duties: whoever proposed a block never acknowledges it (nor its approver:
            # a trigger, escalation/migrations/0005)
            models.CheckConstraint(
                condition=Q(md_acknowledged_by__isnull=True) | ~Q(md_acknowledged_by=F("proposed_by")),
                name="block_acknowledger_is_not_proposer",
            ),
        ]

    def __str__(self) -> str:
        where = "all channels" if self.scope == BlockScope.ALL else str(self.channel)
        return f"Block {self.pk}: {self.account} on {where} ({self.get_status_display()})"

    @property
    def appeal_window_open(self) -> bool:
        from escalation.windows import window_open

        return window_open(self, clock.now())


class PoliceReport(models.Model):
    """The matter was reported to the police (recorded by the Communications Manager)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="police_reports")
    block = models.ForeignKey(Block, on_delete=models.PROTECT, null=True, blank=True, related_name="police_reports")
    force = models.CharField(max_length=120)
    reference = models.CharField(max_length=120)
    reported_on = models.DateField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)
    md_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_on"]
        permissions = [("report_police", "Can record a police report")]
        constraints = [
            models.UniqueConstraint(fields=["force", "reference"], name="policereport_unique_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.force} {self.reference}"


class Appeal(models.Model):
    """An account owner's appeal against a block.

    States (``constants.APPEAL_TRANSITIONS``): recorded as ``premature`` (with ``window_opens_at``)
    when it arrives before the window opens, otherwise ``under_review`` → upheld | overturned,
    decided by the Managing Director through a sign-off.
    """

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="appeals")
    status = models.CharField(max_length=20, choices=AppealStatus.choices)
    received_at = models.DateTimeField()
    received_via = models.CharField(max_length=120, blank=True, help_text="Direct message, email, letter …")
    grounds = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)
    window_opens_at = models.DateTimeField(help_text="When appeals against the block could first be heard.")
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [
            ("record_appeal", "Can record an appeal"),
            ("decide_appeal", "Can decide an appeal (Managing Director)"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["block"], condition=Q(status="under_review"), name="appeal_one_under_review_per_block"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal {self.pk} against block {self.block_id} ({self.get_status_display()})"


class SignOff(models.Model):
    """A decision waiting for a role: a warning, a block or an appeal.

    pending → approved | refused. The requester can never decide their own request (a database
    constraint); a refusal needs a reason (a database constraint too).
    """

    kind = models.CharField(max_length=20, choices=SignOffKind.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="signoffs")
    warning = models.ForeignKey(Warning, on_delete=models.PROTECT, null=True, blank=True, related_name="signoffs")
    block = models.ForeignKey(Block, on_delete=models.PROTECT, null=True, blank=True, related_name="signoffs")
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, null=True, blank=True, related_name="signoffs")
    status = models.CharField(max_length=20, choices=SignOffStatus.choices, default=SignOffStatus.PENDING)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="requested_signoffs")
    requested_at = models.DateTimeField(default=clock.now)
    due_at = models.DateTimeField()
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    last_chased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        verbose_name = "sign-off"
        # the reports read every decision table; the permission has to hang on one model (issue 14). Not
        # "view_…": the roles migration (0002) gives every role each "view_" permission it finds
        permissions = [("read_reports", "Can read the reports and download them and the statements of reasons")]
        # "recently decided" on /decisions/: a decider's newest decisions without sorting them all
        indexes = [
            models.Index("decided_by", models.F("decided_at").desc(), name="signoff_decider_recent_idx"),
            # the reports' sign-offs asked for in a range, with what their time to sign-off reads
            models.Index(
                fields=["requested_at"], include=["status", "decided_at", "due_at"], name="signoff_requested_idx"
            ),
            # the overdue chase: pending sign-offs by deadline (the few pending of tens of thousands)
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="signoff_pending_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="signoff_decider_is_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(status=SignOffStatus.PENDING, decided_by__isnull=True, decided_at__isnull=True)
                | Q(
                    status__in=[SignOffStatus.APPROVED, SignOffStatus.REFUSED],
                    decided_by__isnull=False,
                    decided_at__isnull=False,
                ),
                name="signoff_decided_is_stamped",
            ),
            models.CheckConstraint(
                condition=~Q(status=SignOffStatus.REFUSED) | ~Q(reason=""),
                name="signoff_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind=SignOffKind.WARNING, warning__isnull=False, block__isnull=True, appeal__isnull=True)
                | Q(kind=SignOffKind.BLOCK, warning__isnull=True, block__isnull=False, appeal__isnull=True)
                | Q(kind=SignOffKind.APPEAL, warning__isnull=True, block__isnull=True, appeal__isnull=False),
                name="signoff_subject_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "warning", "block", "appeal"],
                condition=Q(status="pending"),
                nulls_distinct=False,
                name="signoff_one_pending_per_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sign-off {self.pk} ({self.get_status_display()})"

    @property
    def subject(self) -> Warning | Block | Appeal:
        return self.warning or self.block or self.appeal


class CrisisPeriod(models.Model):
    """Crisis mode, switched on and off by a manager with a reason (Hart: "During this time, normal
    communications activity may be paused to focus on timely and accurate messages on social media").

    While one is in force the queue lists urgent work first, every page says so, and the cases handled
    under it carry the switch on their timelines. At most one is in force (a database constraint).
    """

    reason = models.TextField()
    started_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    end_note = models.TextField(blank=True)
    in_force = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "crisis mode period"
        permissions = [("declare_crisis", "Can switch crisis mode on and off")]
        constraints = [
            models.UniqueConstraint(fields=["in_force"], condition=Q(in_force=True), name="crisis_one_in_force"),
            models.CheckConstraint(
                condition=Q(in_force=True, ended_at__isnull=True, ended_by__isnull=True)
                | Q(in_force=False, ended_at__isnull=False, ended_by__isnull=False),
                name="crisis_ended_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"Crisis mode from {self.started_at:%Y-%m-%d %H:%M}"


class ReportedTo(models.TextChoices):
    PLATFORM = "platform", "The platform"
    AGENCY = "agency", "Another agency"


class ExternalReport(models.Model):
    """The post or account was reported to the platform through its own reporting tools, or to another
    agency (HMCTS, Hart, HMPPS: "report ... to the associated social media platform"). Police reports
    have their own record (``PoliceReport``): the head of the organisation is told of those."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="external_reports")
    reported_to = models.CharField(max_length=10, choices=ReportedTo.choices)
    recipient = models.CharField(max_length=120, help_text="The platform or agency, e.g. Facebook, Ofcom.")
    reference = models.CharField(max_length=120, blank=True)
    reported_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-reported_on", "-pk"]
        verbose_name = "report to a platform or agency"
        verbose_name_plural = "reports to platforms and agencies"

    def __str__(self) -> str:
        return f"{self.recipient} {self.reference}".strip()


class NotificationChoice(models.TextChoices):
    EACH = "each", "An email for each event"
    DIGEST = "digest", "One email a day listing them (a daily digest)"
    NONE = "none", "No emails"


class NotificationPreference(models.Model):
    """How one person wants to hear of what waits for them (``escalation.notify``). No row: each event."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="notification_preference")
    choice = models.CharField(max_length=10, choices=NotificationChoice.choices, default=NotificationChoice.EACH)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "notification preference"

    def __str__(self) -> str:
        return f"{self.user}: {self.get_choice_display()}"


class NotificationDelivery(models.TextChoices):
    EMAIL = "email", "Emailed"
    DIGEST = "digest", "In the daily digest"
    SKIPPED = "skipped", "Not sent: emails turned off"
    NO_ADDRESS = "no_address", "Not sent: no email address"


class Notification(models.Model):
    """One person told (or, by their choice, not told) of one event: who, what, where it went.

    Written in the transaction of the decision (``escalation.notify``); ``key`` is the event's
    idempotency key, unique per person. ``outbox`` is the email that carried it: the event's own, or
    the daily digest once that is written (empty while the digest waits, and when nothing is sent).
    """

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=60)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=250)
    url = models.CharField(max_length=500, blank=True, help_text="The page it is about (a path on this site).")
    created_at = models.DateTimeField(default=clock.now)
    delivery = models.CharField(max_length=12, choices=NotificationDelivery.choices)
    outbox = models.ForeignKey(
        "moderation.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent_idx"),
            models.Index(
                fields=["user"], name="notification_digest_due_idx", condition=Q(delivery="digest", outbox__isnull=True)
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["key", "user"], name="notification_once_per_person")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user}"


class RetentionRun(models.Model):
    """One run of the retention purge (``escalation.retention.retention_purge``): when, and how many
    records of each kind it redacted. Written by the task only; read-only in the admin. Nothing here
    names a person or quotes what was redacted."""

    started_at = models.DateTimeField(default=clock.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    evidence_files = models.PositiveIntegerField(default=0, help_text="Evidence files deleted from storage.")
    post_texts = models.PositiveIntegerField(default=0, help_text="Posts of closed cases with no block redacted.")
    uncased_post_texts = models.PositiveIntegerField(default=0, help_text="Posts in no case redacted.")
    blocked_post_texts = models.PositiveIntegerField(
        default=0, help_text="Posts of cases whose blocks were lifted long enough ago redacted."
    )
    appeals = models.PositiveIntegerField(default=0, help_text="Appeals whose grounds were redacted.")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "retention run"

    def __str__(self) -> str:
        return f"Retention run {self.pk}"

    @property
    def total(self) -> int:
        return self.evidence_files + self.post_texts + self.uncased_post_texts + self.blocked_post_texts + self.appeals


class ReportTally(models.Model):
    """What the reports add up (issue 14), per UTC hour and channel: posts in, cases opened and the
    actions and appeals of the timeline, counted in PostgreSQL as the rows are written.

    Triggers on the posts, cases and timeline tables (``escalation/migrations/0015_report_tally.py``)
    append one row of differences per statement (+1 for a post written, −1 for one deleted, the old hour
    −1 and the new +1 when a post's time or channel changes): nothing is locked, so no two writers ever
    wait for each other. The beat task ``compact_report_tally`` sums each hour's rows into one. The
    reports read the sum of every row, so they never lag behind the tables. An hour, not a day: the
    range's bounds (local midnights) are whole UTC hours whatever the season, so the tally needs no
    time zone.
    """

    hour = models.DateTimeField()
    channel_id = models.BigIntegerField()
    posts_in = models.IntegerField(db_default=0)
    cases_opened = models.IntegerField(db_default=0)
    posts_hidden = models.IntegerField(db_default=0)
    posts_deleted = models.IntegerField(db_default=0)
    warnings_sent = models.IntegerField(db_default=0)
    blocks = models.IntegerField(db_default=0)
    channel_bans = models.IntegerField(db_default=0)
    police_reports = models.IntegerField(db_default=0)
    appeals_logged = models.IntegerField(db_default=0)
    appeals_premature = models.IntegerField(db_default=0)
    appeals_upheld = models.IntegerField(db_default=0)
    appeals_overturned = models.IntegerField(db_default=0)

    COUNTS = (
        "posts_in",
        "cases_opened",
        "posts_hidden",
        "posts_deleted",
        "warnings_sent",
        "blocks",
        "channel_bans",
        "police_reports",
        "appeals_logged",
        "appeals_premature",
        "appeals_upheld",
        "appeals_overturned",
    )

    class Meta:
        indexes = [models.Index(fields=["hour", "channel_id"], name="reporttally_hour_channel_idx")]

    def __str__(self) -> str:
        return f"{self.hour.isoformat()}, channel {self.channel_id}"


class ReportCase(models.Model):
    """Each case's clock as the reports read it (issue 14): when it was recorded, when its first action
    was due and when it came (the earliest of its first-response events), kept by PostgreSQL triggers
    on the cases and timeline tables (escalation 0017) in the statement that writes them, so never
    behind. Time to first action over a month then reads one index range instead of a probe of the
    timeline per case."""

    case_id = models.BigIntegerField(primary_key=True)
    channel_id = models.BigIntegerField()
    recorded_at = models.DateTimeField()
    response_due_at = models.DateTimeField()
    first_action_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["recorded_at"],
                include=["channel_id", "response_due_at", "first_action_at"],
                name="reportcase_recorded_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Case {self.case_id}"
