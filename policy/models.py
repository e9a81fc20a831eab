"""The organisation's policy: one active version at a time, every change a new version.

A version is never edited or deleted (a trigger refuses it, and the application's database role holds
no such privilege): the admin's "change" publishes a new version with who, when and why, and cases keep
the version they were recorded under (``Case.policy_version``), so an edit never rewrites history.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now

from policy import dates
from policy.worktime import OfficeHours

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


class BankHolidays(models.TextChoices):
    """Whose bank holidays the office closes on (from the ``holidays`` package)."""

    ENGLAND_AND_WALES = "ENG", "England and Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"
    NONE = "NONE", "None: open on bank holidays"


class WarningSignOff(models.TextChoices):
    NONE = "none", "No sign-off: the officer sends it (Cafcass)"
    MANAGER = "manager", "The Communications Manager"
    MANAGER_OR_DIRECTOR = "manager_or_director", "The Communications Manager or the case's service director (NHDC)"


class WarningBeforeBlock(models.TextChoices):
    ADVICE = "advice", "Advice only: a block may be proposed without one (NHDC)"
    REQUIRED = "required", "Required, except for zero-tolerance rules (HMPPS)"


class BlockApproval(models.TextChoices):
    MANAGER = "manager", "The Communications Manager (NHDC)"
    MANAGER_OR_DIRECTOR = "manager_or_director", "The Communications Manager or the case's service director"
    HEAD = "head", "The head of the organisation"


class ImmediateBlock(models.TextChoices):
    MANAGERS = "managers", "Managers only: the Communications Manager, under any rule (NHDC)"
    ZERO_TOLERANCE = "zero_tolerance", "Managers; officers too when the case cites a zero-tolerance rule"
    NOBODY = "nobody", "Nobody: every block is proposed and approved first"


DEFAULT_WARNING_TEMPLATE = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} page because it breaks our social media \
house rules: {{ rules }}.

Please read our social media acceptable use policy: {{ policy_url }}

If this behaviour continues we may block you from interacting with us on social media.

{{ organisation }} Communications Team""".replace("\\\n", "")


def _placeholder(name: str) -> str:
    return "{{ " + name + " }}"


def _placeholders_help(names: tuple[str, ...]) -> str:
    """The help text listing the placeholders a message may use (shown beside it in the admin)."""
    return "Placeholders: " + ", ".join(_placeholder(name) for name in names) + "."


WARNING_PLACEHOLDERS = ("name", "action", "post_kind", "channel", "rules", "policy_url", "organisation")

# What the team tells the account owner when an appeal arrives before its window opens (NHDC step 3:
# "After 12 months the owner of the account can appeal the decision to block.")
PREMATURE_APPEAL_PLACEHOLDERS = ("name", "received_on", "opens_on", "where", "policy_url", "organisation")
DEFAULT_PREMATURE_APPEAL_TEMPLATE = """Hello {{ name }},

Thank you for your appeal against our decision to block you from interacting with us on {{ where }}, \
which we received on {{ received_on }}.

Under our social media acceptable use policy the owner of an account can appeal a decision to block \
only once the waiting period has passed. We can consider an appeal against this block from {{ opens_on }}: \
please contact us again from that date.

Our social media acceptable use policy: {{ policy_url }}

{{ organisation }} Communications Team""".replace("\\\n", "")

# The appeal's outcome, to the account owner ("Any decision to reverse the block will be made in
# conjunction with the Managing Director.")
APPEAL_UPHELD_PLACEHOLDERS = (
    "name",
    "where",
    "decided_on",
    "reason",
    "next_appeal_on",
    "head",
    "policy_url",
    "organisation",
)
DEFAULT_APPEAL_UPHELD_TEMPLATE = """Hello {{ name }},

We have considered your appeal against our decision to block you from interacting with us on {{ where }}. \
The decision was made with our {{ head }} on {{ decided_on }}: the block stays in place.

You can appeal again from {{ next_appeal_on }}.

Our social media acceptable use policy: {{ policy_url }}

{{ organisation }} Communications Team""".replace("\\\n", "")
APPEAL_OVERTURNED_PLACEHOLDERS = ("name", "where", "decided_on", "reason", "head", "policy_url", "organisation")
DEFAULT_APPEAL_OVERTURNED_TEMPLATE = """Hello {{ name }},

We have considered your appeal against our decision to block you from interacting with us on {{ where }}. \
The decision was made with our {{ head }} on {{ decided_on }}: the block is lifted and you can interact \
with us again.

Please keep to our social media acceptable use policy: {{ policy_url }}

{{ organisation }} Communications Team""".replace("\\\n", "")

# The notice of a channel-only ban ("... will be removed and the author banned from that channel. If the
# author wishes to challenge their ban, they should contact the council's Communications Team.")
CHANNEL_BAN_PLACEHOLDERS = ("name", "post_kind", "channel", "rules", "team_email", "policy_url", "organisation")
DEFAULT_CHANNEL_BAN_TEMPLATE = """Hello {{ name }},

We have removed your {{ post_kind }} on our {{ channel }} page and banned you from that channel, because it \
was posted with the intent of spreading misleading or false information ({{ rules }}).

If you wish to challenge your ban, contact the {{ organisation }} Communications Team: {{ team_email }}

Our social media acceptable use policy: {{ policy_url }}

{{ organisation }} Communications Team""".replace("\\\n", "")

# Every message template: its field and the placeholders it may use (validated by one function).
MESSAGE_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "warning_template": WARNING_PLACEHOLDERS,
    "premature_appeal_template": PREMATURE_APPEAL_PLACEHOLDERS,
    "appeal_upheld_template": APPEAL_UPHELD_PLACEHOLDERS,
    "appeal_overturned_template": APPEAL_OVERTURNED_PLACEHOLDERS,
    "channel_ban_template": CHANNEL_BAN_PLACEHOLDERS,
}


def _working_days_field(help_text: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("60"))],
        help_text=help_text,
        **kwargs,
    )


class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # plain ids, no foreign key: a version outlives the account that published it
    created_by_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_by_label = models.CharField(max_length=200, blank=True, editable=False)
    reason = models.TextField(help_text="Why this version: what changed and on whose authority.")
    preset = models.CharField(max_length=20, blank=True, editable=False)
    notes = models.TextField(
        blank=True,
        help_text="Where the published policy is silent and this configuration chose, say so here.",
    )

    # --- the organisation
    organisation_name = models.CharField(max_length=200)
    policy_url = models.URLField("Social media policy URL", max_length=500)
    privacy_notice_url = models.URLField("Privacy notice URL", max_length=500, blank=True)
    complaints_url = models.URLField("Complaints page URL", max_length=500, blank=True)
    foi_url = models.URLField("Freedom of information page URL", max_length=500, blank=True)
    contact_url = models.URLField("Contact page URL", max_length=500, blank=True)
    team_email = models.EmailField(
        "Team mailbox", help_text="The communications team's shared inbox: it receives the appeal-window digest."
    )

    # --- the working calendar
    working_weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=WEEKDAYS), default=list, help_text="The days the team works."
    )
    opening_time = models.TimeField(default=time(9))
    closing_time = models.TimeField(default=time(17))
    bank_holidays = models.CharField(max_length=4, choices=BankHolidays.choices, default=BankHolidays.ENGLAND_AND_WALES)
    closure_days = ArrayField(
        models.DateField(), default=list, blank=True, help_text="Extra days the team is closed (a Christmas shutdown)."
    )
    extra_working_days = ArrayField(
        models.DateField(), default=list, blank=True, help_text="Days the team works though the calendar says not."
    )
    emergency_weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=WEEKDAYS),
        default=list,
        blank=True,
        help_text="Emergency cover: the days someone watches the channels for urgent cases. None: no cover.",
    )
    emergency_on_bank_holidays = models.BooleanField(
        default=False, help_text="Emergency cover continues on bank holidays and closure days."
    )
    emergency_opening_time = models.TimeField(default=time(9))
    emergency_closing_time = models.TimeField(default=time(17))

    # --- targets
    first_response_working_days = _working_days_field("First response to a case (NHDC 1, HMCTS 2).")
    signoff_due_working_days = _working_days_field("A sign-off is chased after this long.")
    acknowledgement_due_working_days = _working_days_field("The head of the organisation's acknowledgement.")
    warning_lookback_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="A warning within this many months makes a block the recommended next step.",
    )
    police_force = models.CharField(max_length=200, help_text="The force a police report names unless changed.")
    safeguarding_response_hours = models.PositiveSmallIntegerField(
        "Safeguarding response target (hours)",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text="A safeguarding lead records a decision within this many hours of a case being marked "
        "safeguarding: clock hours, every day and night, weekends and bank holidays included (Cafcass: "
        "'Where safeguarding concerns are present, our ... child protection policies will be followed').",
    )

    # --- sessions (issue 9: the idle timeout is set in the policy)
    # --- retention (issue 14): how long each kind of record keeps its personal data. The nightly
    # ``purge_retention`` task redacts what is due; the decision record (cases, timeline, warnings,
    # blocks, appeals, their dates and rules) is kept, and a legal hold stops it all.
    retention_evidence_months = models.PositiveSmallIntegerField(
        "Evidence files: months kept after the case closes",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Then the files are deleted from storage and their links and descriptions cleared.",
    )
    retention_post_text_months = models.PositiveSmallIntegerField(
        "Post text of closed cases with no block: months kept after the case closes",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Then the text of the case's posts (and every earlier version) is redacted.",
    )
    retention_uncased_post_months = models.PositiveSmallIntegerField(
        "Posts in no case: months kept after they arrived",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Posts taken in that nobody recorded a case for; then their text is redacted.",
    )
    retention_block_years = models.PositiveSmallIntegerField(
        "Blocks and appeals: years kept after the block is lifted",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="For as long as the block lasts and then this many years (6: the limitation period for a "
        "claim); then the text of the case's posts and the appeals' grounds are redacted.",
    )

    session_idle_minutes = models.PositiveSmallIntegerField(
        "Sign out after this many minutes without activity",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    session_absolute_hours = models.PositiveSmallIntegerField(
        "Sign out this many hours after signing in, whatever the activity",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )

    # --- role titles, as the organisation says them (every page, email and API answer uses these)
    title_officer = models.CharField("Officer's title", max_length=80, default="Communications officer")
    title_manager = models.CharField("Manager's title", max_length=80, default="Communications manager")
    title_director = models.CharField("Service director's title", max_length=80, default="Service director")
    title_head = models.CharField(
        "Head of the organisation's title",
        max_length=80,
        default="Managing Director",
        help_text="Who is told of blocks and decides appeals: Managing Director, Chief Executive, Head of News.",
    )

    # --- subject access (issue 14): what an account owner's "everything about this account" shows of staff
    subject_access_staff_names = models.BooleanField(
        "Staff names in a subject access export",
        default=False,
        help_text=(
            "Off: each member of staff appears by their role title (the titles above), wherever the export "
            "would name them. On: by name, as the case timeline records them."
        ),
    )

    # --- the ladder
    warning_signoff = models.CharField(
        "Who signs off a written warning",
        max_length=24,
        choices=WarningSignOff.choices,
        default=WarningSignOff.MANAGER_OR_DIRECTOR,
    )
    warning_before_block = models.CharField(
        "A warning before a block", max_length=12, choices=WarningBeforeBlock.choices, default=WarningBeforeBlock.ADVICE
    )
    head_informed_of_blocks = models.BooleanField("The head of the organisation is told of every block", default=True)
    head_acknowledges_blocks = models.BooleanField(
        "The head of the organisation must acknowledge every block", default=True
    )
    appeals = models.BooleanField(
        "Blocks can be appealed",
        default=True,
        help_text="Off where the policy enters into no dialogue about its decisions (Cafcass).",
    )
    appeal_wait_after_upheld_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MaxValueValidator(120)],
        help_text="Calendar months after an appeal is turned down before another is heard.",
    )
    channel_ban_challenge_any_time = models.BooleanField(
        "A channel-only ban can be challenged at any time", default=True
    )
    block_approval = models.CharField(
        "Who approves a block",
        max_length=24,
        choices=BlockApproval.choices,
        default=BlockApproval.MANAGER,
        help_text="Who decides a proposed block (never the person who proposed it).",
    )
    immediate_block = models.CharField(
        "Who may block at once",
        max_length=16,
        choices=ImmediateBlock.choices,
        default=ImmediateBlock.MANAGERS,
        help_text="An immediate block starts without approval, for extreme behaviour; the head is told of it.",
    )

    # --- messages
    warning_template = models.TextField(
        "Written warning",
        default=DEFAULT_WARNING_TEMPLATE,
        help_text=_placeholders_help(WARNING_PLACEHOLDERS),
    )
    premature_appeal_template = models.TextField(
        "Reply to an appeal made too early",
        default=DEFAULT_PREMATURE_APPEAL_TEMPLATE,
        help_text=_placeholders_help(PREMATURE_APPEAL_PLACEHOLDERS),
    )
    appeal_upheld_template = models.TextField(
        "Appeal outcome: upheld (the block stays)",
        default=DEFAULT_APPEAL_UPHELD_TEMPLATE,
        help_text=_placeholders_help(APPEAL_UPHELD_PLACEHOLDERS),
    )
    appeal_overturned_template = models.TextField(
        "Appeal outcome: overturned (the block is lifted)",
        default=DEFAULT_APPEAL_OVERTURNED_TEMPLATE,
        help_text=_placeholders_help(APPEAL_OVERTURNED_PLACEHOLDERS),
    )
    channel_ban_template = models.TextField(
        "Channel-ban notice",
        default=DEFAULT_CHANNEL_BAN_TEMPLATE,
        help_text=_placeholders_help(CHANNEL_BAN_PLACEHOLDERS),
    )

    class Meta:
        ordering = ["-number"]
        get_latest_by = "number"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opening_time__lt=models.F("closing_time")), name="policy_opening_before_closing"
            ),
            models.CheckConstraint(condition=~models.Q(working_weekdays=[]), name="policy_has_working_days"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}: {self.organisation_name}" if self.number else self.organisation_name

    # --- validation: a policy that cannot work is refused, with the reason
    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.working_weekdays:
            errors["working_weekdays"] = "Choose at least one working day: the deadlines need one."
        elif not set(self.working_weekdays) <= set(EVERY_DAY):
            errors["working_weekdays"] = "Working days are Monday to Sunday."
        if self.opening_time and self.closing_time and self.opening_time >= self.closing_time:
            errors["closing_time"] = "Closing time must be after opening time."
        if self.emergency_weekdays and self.emergency_opening_time >= self.emergency_closing_time:
            errors["emergency_closing_time"] = "Emergency cover must end after it starts."
        both = set(self.closure_days or []) & set(self.extra_working_days or [])
        if both:
            days = ", ".join(dates.say_date(d) for d in sorted(both))
            errors["extra_working_days"] = f"A day cannot be both closed and an extra working day: {days}."
        if self.head_acknowledges_blocks and not self.head_informed_of_blocks:
            errors["head_acknowledges_blocks"] = "The head cannot acknowledge a block they are not told of."
        if self.block_approval == BlockApproval.HEAD and self.head_acknowledges_blocks:
            errors["head_acknowledges_blocks"] = (
                "The head of the organisation approves every block, so they cannot also acknowledge it (whoever "
                "approves a block never acknowledges it): untick this, or choose another approver."
            )
        for field, placeholders in MESSAGE_PLACEHOLDERS.items():
            errors.update(_template_errors(field, getattr(self, field), placeholders))
        if errors:
            raise ValidationError(errors)

    # --- what the rest of the code reads
    def message(self, field: str, **context) -> str:
        """The message template ``field`` (one of ``MESSAGE_PLACEHOLDERS``) filled with ``context``, as
        plain text: placeholders only (template tags are refused on save), nothing escaped here — a
        page escapes it when it shows it."""
        from django.template import Context, Template

        if field not in MESSAGE_PLACEHOLDERS:
            raise ValueError(f"not a message template: {field}")
        return Template(getattr(self, field)).render(Context(context, autoescape=False)).strip()

    @property
    def office_hours(self) -> OfficeHours:
        """The working calendar every working-day deadline is counted in."""
        return _office_hours(
            self.opening_time,
            self.closing_time,
            tuple(sorted(self.working_weekdays)),
            self.bank_holidays,
            tuple(sorted(self.closure_days or [])),
            tuple(sorted(self.extra_working_days or [])),
        )

    @property
    def emergency_hours(self) -> OfficeHours | None:
        """The emergency-cover calendar urgent cases are timed in, or None when there is no cover."""
        if not self.emergency_weekdays:
            return None
        holidays = BankHolidays.NONE if self.emergency_on_bank_holidays else self.bank_holidays
        closures = () if self.emergency_on_bank_holidays else tuple(sorted(self.closure_days or []))
        return _office_hours(
            self.emergency_opening_time,
            self.emergency_closing_time,
            tuple(sorted(self.emergency_weekdays)),
            holidays,
            closures,
            tuple(sorted(self.extra_working_days or [])),
        )


def _template_errors(field: str, text: str, placeholders: tuple[str, ...]) -> dict[str, str]:
    """A message template that would not render, or names a placeholder it cannot have, is refused."""
    import re

    from django.template import Template, TemplateSyntaxError

    if "{%" in (text or ""):
        return {field: "Use placeholders such as {{ name }} only: template tags ({% … %}) are not allowed."}
    if (text or "").count("{{") != (text or "").count("}}"):
        return {field: "The message cannot be read: a placeholder is not closed with }}."}
    try:
        Template(text or "")
    except TemplateSyntaxError as error:
        return {field: f"The message cannot be read: {error}"}
    unknown = sorted(set(re.findall(r"{{\s*([^}|\s]+)", text or "")) - set(placeholders))
    if unknown:
        return {
            field: "Unknown placeholder: "
            + ", ".join(_placeholder(name) for name in unknown)
            + ". This message may use: "
            + ", ".join(_placeholder(name) for name in placeholders)
            + "."
        }
    return {}


_calendars: dict[tuple, OfficeHours] = {}


def _office_hours(opening, closing, weekdays, holidays, closures, extra) -> OfficeHours:
    from django.conf import settings

    key = (opening, closing, weekdays, holidays, closures, extra, settings.TIME_ZONE)
    if key not in _calendars:
        _calendars[key] = OfficeHours(
            start=opening,
            end=closing,
            weekdays=weekdays,
            tz=settings.TIME_ZONE,
            country="" if holidays == BankHolidays.NONE else "GB",
            subdiv="" if holidays == BankHolidays.NONE else holidays,
            closures=closures,
            extra_working_days=extra,
        )
    return _calendars[key]
