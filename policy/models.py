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


DEFAULT_WARNING_TEMPLATE = """Hello {{ name }},

We have {{ action }} your {{ post_kind }} on our {{ channel }} page because it breaks our social media \
house rules: {{ rules }}.

Please read our social media acceptable use policy: {{ policy_url }}

If this behaviour continues we may block you from interacting with us on social media.

{{ organisation }} Communications Team""".replace("\\\n", "")


def _placeholder(name: str) -> str:
    return "{{ " + name + " }}"


WARNING_PLACEHOLDERS = ("name", "action", "post_kind", "channel", "rules", "policy_url", "organisation")


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

    # --- messages
    warning_template = models.TextField(
        "Written warning",
        default=DEFAULT_WARNING_TEMPLATE,
        help_text="Placeholders: " + ", ".join(_placeholder(name) for name in WARNING_PLACEHOLDERS) + ".",
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
            days = ", ".join(f"{d:%-d %B %Y}" for d in sorted(both))
            errors["extra_working_days"] = f"A day cannot be both closed and an extra working day: {days}."
        if self.head_acknowledges_blocks and not self.head_informed_of_blocks:
            errors["head_acknowledges_blocks"] = "The head cannot acknowledge a block they are not told of."
        errors.update(_template_errors("warning_template", self.warning_template, WARNING_PLACEHOLDERS))
        if errors:
            raise ValidationError(errors)

    # --- what the rest of the code reads
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
        return {field: "Unknown placeholder: " + ", ".join(_placeholder(name) for name in unknown)}
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
