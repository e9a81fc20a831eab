"""What happened: channels, accounts, posts, house rules, cases and their timeline."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Upper

from moderation import clock
from moderation.constants import (
    EDITABLE_IMPORT_STATUSES,
    FIRST_RESPONSE_EVENTS,
    CaseOutcome,
    CaseStatus,
    EventKind,
    FlagKind,
    FlagStatus,
    ImportStatus,
    Platform,
    PostKind,
    Priority,
    SafeguardingAgency,
    Severity,
    Visibility,
)
from policy import dates
from policy.roles import RESTRICTED_TEXT
from policy.titles import titles


def normalise_handle(handle: str) -> str:
    """``" @Some_User "`` → ``"some_user"``: handles compare without case or a leading @."""
    return handle.strip().lstrip("@").strip().lower()


class ServiceArea(models.Model):
    """A council service (Waste, Planning …) whose Service Director may sign off warnings."""

    name = models.CharField(max_length=120, unique=True)
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="service_areas",
        help_text="Service Directors who may sign off warnings on this area's cases.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Channel(models.Model):
    """One of the organisation's own social-media accounts."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    name = models.CharField(max_length=120)
    handle = models.CharField(max_length=120)
    url = models.URLField(blank=True)
    platform_page_id = models.CharField(
        "platform page id",
        max_length=64,
        blank=True,
        help_text="The platform's numeric id for this page or account (Meta's webhooks name it by this id). "
        "The channel list says when events arrive for an id no channel holds.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="channel_unique_platform_handle"),
            models.UniqueConstraint(
                fields=["platform", "platform_page_id"],
                condition=~models.Q(platform_page_id=""),
                name="channel_unique_platform_page_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"


class SocialAccount(models.Model):
    """A member of the public on one platform. ``handle`` is stored normalised (see normalise_handle)."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=120)
    display_name = models.CharField(max_length=200, blank=True)
    platform_user_id = models.CharField(max_length=120, blank=True)
    first_seen_at = models.DateTimeField(default=clock.now)
    # a legal hold (issue 14): nothing about the account is erased or purged while it is on
    legal_hold_reason = models.TextField(blank=True, editable=False)
    legal_hold_at = models.DateTimeField(null=True, blank=True, editable=False)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # erasure on request (issue 14): when its personal data was last erased, and by whom
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["platform", "handle"]
        indexes = [
            # the queue's and the API's search: a part of a handle or name (trigrams, pg_trgm), on the
            # same UPPER(…) expression Django's ``icontains`` compares
            GinIndex(OpClass(Upper("handle"), name="gin_trgm_ops"), name="account_handle_trgm_idx"),
            GinIndex(OpClass(Upper("display_name"), name="gin_trgm_ops"), name="account_name_trgm_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="account_unique_platform_handle"),
            models.CheckConstraint(condition=~Q(handle=""), name="account_handle_not_blank"),
            models.CheckConstraint(
                condition=Q(legal_hold_at__isnull=True, legal_hold_by__isnull=True, legal_hold_reason="")
                | Q(legal_hold_at__isnull=False) & ~Q(legal_hold_reason=""),
                name="account_legal_hold_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.get_platform_display()})"


class HouseRule(models.Model):
    """A category of unacceptable behaviour from the published policy."""

    code = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    zero_tolerance = models.BooleanField(
        default=False, help_text="Breaking it recommends a block straight away (HMPPS: discriminatory posts)."
    )
    safeguarding = models.BooleanField(default=False, help_text="Follow the safeguarding procedure.")
    channel_only_ban = models.BooleanField(
        default=False, help_text="The author is banned from that channel only (NHDC: misinformation)."
    )
    appeal_wait_months = models.PositiveSmallIntegerField(
        default=12, help_text="Calendar months after a block starts before an appeal is heard; 0 for at once."
    )
    suspected_offence = models.BooleanField(
        default=False, help_text='Breaking it may be a crime: a police report is suggested ("breaks the law").'
    )
    redact_on_delete = models.BooleanField(
        default=False,
        help_text="Personal information: deleting a post under it keeps no copy of its text (HMCTS).",
    )
    party_political = models.BooleanField(
        default=False,
        help_text="Offered first while a pre-election period is on (Hart: responses that are party-political).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


# Where a case stands in the queue: an open safeguarding case waiting for a lead (0), any other open
# safeguarding case (1), the rest (2). ``escalation.case_selectors.safeguarding_first`` orders by it and
# ``case_queue_order_idx`` indexes it: keep the expression the one both use.
SAFEGUARDING_RANK = models.Case(
    # (conditions in the order the migration writes them: the model and its migration then agree)
    models.When(safeguarding_at__isnull=False, safeguarding_decided_at__isnull=True, status="open", then=0),
    models.When(safeguarding_at__isnull=False, status="open", then=1),
    default=2,
    output_field=models.IntegerField(),
)


class Case(models.Model):
    """One incident involving one account.

    States: ``open`` → ``closed`` (with an outcome); a closed case can be reopened.
    Posts, warnings, blocks and appeals hang off it; its timeline is ``CaseEvent``.
    """

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="cases")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="cases")
    rules = models.ManyToManyField(HouseRule, related_name="cases")
    reason = models.TextField()
    reported_by = models.CharField(
        "Reported to us by",
        max_length=200,
        blank=True,
        help_text="Who told us about the post, if someone did (HMPPS: the public report comments by direct message).",
    )
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    outcome = models.CharField(max_length=30, choices=CaseOutcome.choices, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, null=True, blank=True, related_name="cases")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recorded_cases")
    recorded_at = models.DateTimeField(default=clock.now)
    response_due_at = models.DateTimeField(help_text="Working-day deadline for the first response.")
    # the policy the case was recorded under: a later version never moves its deadlines
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # safeguarding (Cafcass, HMPPS, Hart): marked once, never unmarked; the ordinary ladder waits for
    # a safeguarding lead's decision (``safeguarding_decided_at``), due within the policy's hours
    safeguarding_at = models.DateTimeField(null=True, blank=True, editable=False)
    safeguarding_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    safeguarding_reason = models.TextField(blank=True, editable=False)
    safeguarding_due_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="A safeguarding lead's decision is due by then (clock hours)."
    )
    safeguarding_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # a legal hold (issue 14): the case's records are neither erased nor purged while it is on
    legal_hold_reason = models.TextField(blank=True, editable=False)
    legal_hold_at = models.DateTimeField(null=True, blank=True, editable=False)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-recorded_at"]
        permissions = [
            ("record_case", "Can record a case"),
            ("manage_case", "Can assign, close and reopen cases"),
            ("moderate_post", "Can hide, delete and restore posts"),
            ("lead_safeguarding", "Can lead on safeguarding: read restricted text, record the referral"),
            ("hold_legal", "Can place and lift a legal hold on an account or a case"),
            ("erase_personal_data", "Can erase an account's personal data on request"),
        ]
        indexes = [
            models.Index(fields=["status", "response_due_at"], name="case_status_due_idx"),
            # the queue's default order with status=all (and the API's): read in order, never sorted
            models.Index(fields=["response_due_at", "id"], name="case_due_id_idx"),
            # an account's cases, newest first, a page at a time (the account page)
            models.Index(fields=["account", "-recorded_at", "-id"], name="case_account_recent_idx"),
            # the few safeguarding cases: kept out of a search of post text by those who may not read it
            # (``moderation.search``), and the queue's open ones on top (``safeguarding_first``)
            models.Index(
                fields=["status", "id"], condition=Q(safeguarding_at__isnull=False), name="case_safeguarding_idx"
            ),
            # the queue's default order (open safeguarding cases first, then by deadline), read in
            # order a page at a time rather than sorting every case: with status=all, and within a
            # status (without the second, the open queue read the first along all 95,000 closed cases)
            models.Index(
                SAFEGUARDING_RANK,
                F("safeguarding_due_at").asc(nulls_last=True),
                F("response_due_at"),
                F("id"),
                name="case_queue_order_idx",
            ),
            models.Index(
                F("status"),
                SAFEGUARDING_RANK,
                F("safeguarding_due_at").asc(nulls_last=True),
                F("response_due_at"),
                F("id"),
                name="case_status_queue_order_idx",
            ),
            # the reports' cases recorded in a range, with what their time to first action reads
            models.Index(fields=["recorded_at"], include=["id", "response_due_at"], name="case_recorded_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=CaseStatus.OPEN, closed_at__isnull=True, outcome="")
                | Q(status=CaseStatus.CLOSED, closed_at__isnull=False) & ~Q(outcome=""),
                name="case_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(
                    safeguarding_at__isnull=True, safeguarding_due_at__isnull=True, safeguarding_decided_at__isnull=True
                )
                | Q(safeguarding_at__isnull=False, safeguarding_due_at__isnull=False),
                name="case_safeguarding_is_stamped",
            ),
            models.CheckConstraint(
                condition=Q(legal_hold_at__isnull=True, legal_hold_by__isnull=True, legal_hold_reason="")
                | Q(legal_hold_at__isnull=False) & ~Q(legal_hold_reason=""),
                name="case_legal_hold_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} — {self.account}"

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_at is not None

    @property
    def is_safeguarding(self) -> bool:
        return self.safeguarding_at is not None

    @property
    def safeguarding_awaits_lead(self) -> bool:
        """Marked safeguarding and no lead has decided yet: the ordinary ladder waits."""
        return self.safeguarding_at is not None and self.safeguarding_decided_at is None


class SafeguardingReferral(models.Model):
    """A safeguarding lead's decision on a safeguarding case: the referral made (agency, reference, who
    referred and when) or that none was needed (with the reason), and what the person was signposted
    to. Written only by ``moderation.safeguarding.safeguarding_referral_record``; never edited."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="safeguarding_referrals")
    agency = models.CharField(max_length=20, choices=SafeguardingAgency.choices)
    reference = models.CharField(max_length=100, blank=True)
    referred_by = models.CharField(max_length=200, blank=True, help_text="Who made the referral.")
    referred_at = models.DateTimeField(null=True, blank=True)
    no_referral_reason = models.TextField(blank=True)
    signposted_to = models.TextField(blank=True, help_text="Where the person was directed for help.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agency=SafeguardingAgency.NONE, reference="") & ~Q(no_referral_reason="")
                | ~Q(agency=SafeguardingAgency.NONE)
                & ~Q(reference="")
                & ~Q(referred_by="")
                & Q(referred_at__isnull=False),
                name="safeguarding_referral_complete",
            ),
        ]

    def __str__(self) -> str:
        if self.agency == SafeguardingAgency.NONE:
            return "No referral needed"
        return f"{self.get_agency_display()}, reference {self.reference}"


class Post(models.Model):
    """A post, comment, reply or message on one of our channels.

    Visibility: visible → hidden | deleted; hidden → restored | deleted; restored → hidden | deleted.
    A deleted post cannot be restored (it is gone from the platform).
    """

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="posts")
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="posts")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="posts")
    external_id = models.CharField(max_length=200, blank=True, help_text="The platform's id for the post.")
    url = models.URLField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=PostKind.choices, default=PostKind.COMMENT)
    posted_at = models.DateTimeField()
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.VISIBLE)
    visibility_changed_at = models.DateTimeField(null=True, blank=True)
    visibility_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    in_reply_to = models.CharField(
        max_length=200, blank=True, help_text="The platform's id of the post this one replies to, when known."
    )
    ingested_by = models.ForeignKey(
        "Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        help_text="The integration that sent the post through the API; empty when a person recorded it.",
    )
    imported_from = models.ForeignKey(
        "CsvImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        help_text="The CSV import that brought the post in, when one did.",
    )
    created_at = models.DateTimeField(default=clock.now)
    # its text (and every earlier version) was redacted by erasure or retention (issue 14)
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["posted_at"]
        indexes = [
            # the queue's search of post text: English full-text search (``moderation.search``), over
            # the posts on a case alone (a search finds cases: the other posts never match one)
            GinIndex(
                SearchVector("text", config="english"),
                condition=Q(case__isnull=False),
                name="post_case_text_search_idx",
            ),
            # "is a post of this case removed?" (the queue's stage with status=all, the API): only the
            # few removed posts are indexed, so the lookup never scans the posts table
            models.Index(
                fields=["case"], condition=Q(visibility__in=["hidden", "deleted"]), name="post_removed_case_idx"
            ),
            # the reports count posts in by date range and month (an index-only scan, not the whole table)
            models.Index(fields=["created_at", "channel"], name="post_created_channel_idx"),
            # the retention purge's posts in no case still holding text: only those are indexed, so the
            # nightly run never reads the posts it has already redacted
            models.Index(
                fields=["created_at", "id"],
                condition=Q(case__isnull=True, redacted_at__isnull=True),
                name="post_uncased_unredacted_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="post_unique_channel_external_id",
            ),
            models.UniqueConstraint(
                fields=["channel", "url"],
                condition=Q(external_id="") & ~Q(url=""),
                name="post_unique_channel_url",
            ),
        ]

    def __str__(self) -> str:
        # a post of a safeguarding case never shows its text where no reader is known (admin lists,
        # pickers, logs): the pages that know the reader use ``policy.roles.case_text_for``
        if self.case_id is not None and self.case.safeguarding_at is not None:
            return f"{self.get_kind_display()} by {self.account}: {RESTRICTED_TEXT}"
        text = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"{self.get_kind_display()} by {self.account}: {text}"


class PostTextRevision(models.Model):
    """A text of a post other than the one it shows. Every version is kept: an abusive comment
    edited into something mild is still evidence.

    Kinds: ``replaced`` — an earlier text, replaced when the platform reported an edit (the post
    now shows the newer text); ``not_applied`` — a newer text the platform reported for a post in
    a case, which keeps the text staff recorded. Rows are only added; deleting a post for
    personal information redacts them with the post (``services.post_set_visibility``).
    """

    class Kind(models.TextChoices):
        REPLACED = "replaced", "Replaced by an edit"
        NOT_APPLIED = "not_applied", "Edit not applied: the post is in a case"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="text_revisions")
    text = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    received_at = models.DateTimeField(default=clock.now, help_text="When the edit that made this revision arrived.")
    reported_by = models.ForeignKey(
        "Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The integration that reported the edit (Meta webhooks).",
    )

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({dates.say_datetime(self.received_at)})"


class Evidence(models.Model):
    """A screenshot, PDF or link attached to a case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    url = models.URLField(max_length=500, blank=True)
    description = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=clock.now)
    # its file was deleted from storage and its link and description cleared (erasure or retention)
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url="") | Q(redacted_at__isnull=False), name="evidence_has_file_or_url"
            ),
        ]

    def __str__(self) -> str:
        if self.redacted_at is not None:
            return f"Evidence {self.pk} (removed)"
        if self.case_id is not None and self.case.safeguarding_at is not None:
            return f"Evidence {self.pk}"  # a safeguarding case's evidence may describe the post
        return self.description or self.url or self.file.name


class CaseEvent(models.Model):
    """The case timeline. Append-only: PostgreSQL refuses UPDATE, DELETE and TRUNCATE on this table.

    Written only by ``moderation.events.record_event`` from services, in their transaction.
    ``actor`` is null for the system (scheduled tasks); ``actor_label`` keeps a readable name.
    """

    # read by case through caseevent_case_at_idx (case, at): an index of its own on case was one
    # more entry for every event written (issue 13)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField(default=clock.now)
    subject_type = models.CharField(max_length=40, help_text="What changed: case, post, warning, block …")
    subject_id = models.BigIntegerField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at_idx"),
            # the reports count actions by kind over a date range and by month
            models.Index(fields=["at", "kind"], name="caseevent_at_kind_idx"),
            # a case's first action (``moderation.selectors.first_response_at``): one index-only probe a case,
            # for the queue's clock and the reports' time to first action
            models.Index(
                fields=["case", "at", "id"],
                condition=Q(kind__in=FIRST_RESPONSE_EVENTS),
                name="caseevent_first_response_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_label}"

    def get_kind_display(self) -> str:
        """The kind as read: the head of the organisation's events in the policy's title."""
        if self.kind == EventKind.MD_NOTIFIED:
            return f"{titles().start.head} notified"
        if self.kind == EventKind.MD_ACKNOWLEDGED:
            return f"{titles().start.head} acknowledged"
        return EventKind(self.kind).label if self.kind in EventKind.values else self.kind


class Integration(models.Model):
    """A named system (a social-media management tool, a script) that pushes posts through the API.

    It authenticates with a token of which only the SHA-256 hash is stored; the token itself is
    shown once, when the integration is created. States: active → revoked (``revoked_at`` stamped,
    ``is_active`` off); a revoked token never works again — create a new integration instead.
    """

    name = models.CharField(max_length=120, unique=True)
    channels = models.ManyToManyField(
        Channel, related_name="integrations", blank=True, help_text="The channels it may send posts for."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to tell tokens apart."
    )
    is_active = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True) | Q(is_active=False, revoked_at__isnull=False),
                name="integration_revoked_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return self.name


MAX_ELECTION_PERIOD_DAYS = 183


class ElectionPeriodQuerySet(models.QuerySet):
    def on(self, day) -> models.QuerySet:
        """The periods that include ``day`` (a London date)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class ElectionPeriod(models.Model):
    """A pre-election period, set in the admin (Hart: "during a pre-election period ... we may have to remove
    responses if they are political-party specific"). While one is on, every workspace page says so, the
    party-political house rules are offered first and the flag rules tied to it run."""

    name = models.CharField(max_length=200, help_text='For example "District council elections, 6 May 2027".')
    starts_on = models.DateField(help_text="The first day (usually when the notice of election is published).")
    ends_on = models.DateField(help_text="The last day of the period: polling day.")

    objects = ElectionPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="election_period_in_order"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                raise ValidationError({"ends_on": "The last day must be the same as or after the first day."})
            if (self.ends_on - self.starts_on).days > MAX_ELECTION_PERIOD_DAYS:
                raise ValidationError(
                    {"ends_on": "A pre-election period lasts at most 6 months: check the first and last day."}
                )

    def is_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class FlagRule(models.Model):
    """An automatic flag rule, managed by administrators. A flag never hides, warns or blocks: people decide.

    ``word_list`` matches any of ``terms`` (one per line) as a whole word, ignoring case; ``pattern``
    matches a regular expression (ignoring case); ``phone_number``, ``email_address`` and
    ``postcode`` detect UK personal data; ``repeat_contact`` flags an account's post when it is at
    least the ``repeat_threshold``-th post by that account within ``repeat_window_minutes``.
    """

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    terms = models.TextField(blank=True, help_text="Word lists: one word or phrase per line; whole words, any case.")
    pattern = models.TextField(blank=True, help_text="Patterns: a Python regular expression, matched ignoring case.")
    house_rule = models.ForeignKey(
        HouseRule,
        on_delete=models.PROTECT,
        related_name="flag_rules",
        help_text="The house rule a post matching this rule may break.",
    )
    repeat_threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Repeat contact: N posts by one account …"
    )
    repeat_window_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="… within M minutes.")
    election_period = models.ForeignKey(
        ElectionPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flag_rules",
        help_text="Runs only during this pre-election period (party and candidate names); empty to run always.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def term_list(self) -> list[str]:
        return [line.strip() for line in self.terms.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == FlagKind.WORD_LIST and not self.term_list():
            raise ValidationError({"terms": "Enter at least one word or phrase, one per line."})
        if self.kind == FlagKind.PATTERN:
            if not self.pattern.strip():
                raise ValidationError({"pattern": "Enter the regular expression to look for."})
            try:
                re.compile(self.pattern, re.IGNORECASE)
            except re.error as error:
                raise ValidationError(
                    {"pattern": f"This is not a valid regular expression: {error}."}, code="invalid"
                ) from error
        if self.kind == FlagKind.REPEAT_CONTACT and not (self.repeat_threshold and self.repeat_window_minutes):
            raise ValidationError(
                {"repeat_threshold": "Give both the number of posts (N) and the window in minutes (M)."}
            )
        if self.kind == FlagKind.REPEAT_CONTACT and self.repeat_threshold < 2:
            raise ValidationError({"repeat_threshold": "N must be at least 2."})


class Flag(models.Model):
    """A post an automatic rule flagged for a person to look at.

    States: ``open`` → ``dismissed`` ("not a problem", stamped who and when) or ``open`` →
    ``confirmed`` (a case was recorded for the post). Dismissed and confirmed are final.
    ``reason`` says why, without personal data (a phone number is reported as "a UK phone number").
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(FlagRule, on_delete=models.PROTECT, related_name="flags")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=clock.now)
    status = models.CharField(max_length=20, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "rule"], name="flag_unique_post_rule"),
            models.CheckConstraint(
                condition=Q(status=FlagStatus.DISMISSED, dismissed_at__isnull=False, dismissed_by__isnull=False)
                | ~Q(status=FlagStatus.DISMISSED) & Q(dismissed_at__isnull=True),
                name="flag_dismissed_is_stamped",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="flag_status_created_idx")]

    def __str__(self) -> str:
        # the reason quotes the words matched: not on a safeguarding case's post, where no reader is known
        if self.post.case_id is not None and self.post.case.safeguarding_at is not None:
            return f"{self.rule}: {RESTRICTED_TEXT}"
        return f"{self.rule}: {self.reason}"


class ImportSource(models.Model):
    """Where CSV files come from (a social-media management tool's export), with its saved column mapping.

    ``columns`` maps our fields (``moderation.csvfiles.FIELDS``) to the source's column headings; it
    is saved when a file from the source is first matched and offered for every later file.
    ``channel`` is the channel for rows that name none (exports of a single profile).
    """

    name = models.CharField(max_length=120, unique=True)
    columns = models.JSONField(default=dict, blank=True)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The channel of rows that name none.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    columns_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    columns_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # "Hootsuite export" and "hootsuite export" are one source: the upload form finds it either way
            models.UniqueConstraint(
                Lower("name"),
                name="importsource_name_unique_ignoring_case",
                violation_error_message="There is already a source with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CsvImport(models.Model):
    """One uploaded CSV file and what became of it. Imported whole or not at all.

    States (``ImportStatus``): mapping → ready (its columns are matched) → queued → running →
    completed | failed (a problem in any row: nothing stored; the problems are kept); mapping,
    ready and failed may be discarded. The uploaded file is deleted once the posts are stored or the
    upload is discarded: the posts, not the file, are the record.
    """

    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64)
    headings = models.JSONField(default=list)
    row_count = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    columns = models.JSONField(default=dict, blank=True, help_text="The mapping this file is read with.")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=clock.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    # each start is a new attempt; a task works only for the attempt it was queued for, so a late
    # delivery of an earlier attempt's task (after a failure and "Try again") changes nothing
    attempt = models.PositiveIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True, help_text="When a worker began this attempt.")
    finished_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0, help_text="Posts stored by this import.")
    existing_count = models.PositiveIntegerField(default=0, help_text="Rows whose post was already stored.")
    repeated_count = models.PositiveIntegerField(default=0, help_text="Rows repeating an earlier row of the file.")
    flagged_count = models.PositiveIntegerField(default=0, help_text="Posts an automatic rule flagged.")
    problem_count = models.PositiveIntegerField(default=0)
    nul_count = models.PositiveIntegerField(
        default=0,
        help_text="NUL characters removed from the file when it was read (PostgreSQL cannot store them).",
    )
    problems = models.JSONField(
        default=list, blank=True, help_text="The first problems found: row, field, column and message."
    )
    failure = models.TextField(blank=True, help_text="Why the file as a whole could not be imported.")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        permissions = [("import_posts", "Can import posts from a CSV file")]
        indexes = [models.Index(fields=["sha256"], name="csvimport_sha256_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["completed", "failed"]) | Q(finished_at__isnull=False),
                name="csvimport_finished_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.source})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def is_editable(self) -> bool:
        """Its columns can be matched again, or it can be discarded: it has not started or it failed."""
        return self.status in EDITABLE_IMPORT_STATUSES


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up (retry it by hand)"


class OutboxMessage(models.Model):
    """An email to send, written in the transaction of the decision that calls for it (the
    transactional outbox, ``moderation.outbox``): it exists if and only if the decision committed.

    States: pending → sent; pending → failed after ``settings.OUTBOX_MAX_ATTEMPTS`` attempts (an
    administrator's *Retry now* makes it pending again). ``key`` is the idempotency key (one row per
    notice, whoever writes it again); ``message_id`` is the Message-ID header every attempt carries,
    so a mail system can drop a second copy.
    """

    key = models.CharField(max_length=200, unique=True, help_text="One row per notification, e.g. block-notice:42.")
    message_id = models.CharField(max_length=250, unique=True, help_text="The Message-ID header of every attempt.")
    kind = models.CharField(max_length=60, help_text="The email's template.")
    subject = models.CharField(max_length=250)
    body = models.TextField()
    from_email = models.CharField(max_length=250)
    recipients = models.JSONField(default=list)
    recipient_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="The people the email went to (the addresses above, as they were when it was written).",
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_sent = models.CharField(
        max_length=200, blank=True, help_text="Dotted path of a function called in the sending transaction."
    )
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="Not tried again before this.")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing email"
        permissions = [("retry_outboxmessage", "Can retry an outgoing email now")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due_idx", condition=Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="outbox_sent_is_stamped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.key})"


class MetaDelivery(models.Model):
    """A Meta webhook delivery, kept before it is answered 200 (Meta never sends an answered one
    again). The worker applies it (``moderation.webhooks.meta_delivery_apply``); one the broker lost
    (a worker killed between taking the task and recording it) is applied by the minutely catch-up.
    Deleted a week after it was applied: its posts are stored by then."""

    body = models.BinaryField(help_text="The request's body as it came (it may hold NULs and lone surrogates).")
    received_at = models.DateTimeField(default=clock.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "Meta webhook delivery"
        verbose_name_plural = "Meta webhook deliveries"
        indexes = [
            models.Index(fields=["received_at"], name="metadelivery_waiting_idx", condition=Q(applied_at__isnull=True)),
            models.Index(fields=["applied_at"], name="metadelivery_applied_idx", condition=Q(applied_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"Meta delivery {self.pk}"


from moderation.enquiry_models import Enquiry, EnquiryKind, EnquiryStatus  # noqa: E402, F401  (issue 12)
