"""Forms of the escalation pages: decisions, warnings, blocks, police reports and appeals.

Every form mixes in ``GovukFormMixin`` (GOV.UK classes, error states, ``aria-describedby``); the
rules themselves live in ``escalation.services``: these forms only check what a person typed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from escalation.constants import BlockScope
from escalation.windows import to_the_minute
from moderation import clock
from moderation.forms import GovukFormMixin
from policy import services as policy

APPROVE, REFUSE = "approve", "refuse"
HIDE, DELETE, LEAVE = "hidden", "deleted", "leave"
UPHOLD, OVERTURN = "uphold", "overturn"


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes (``name_day``, ``name_month``, ``name_year``).

    The day box carries the field's id. ``error_parts`` names the boxes in error (set by
    ``GovukDateField`` while cleaning); only those get the error style, and the error summary links
    to the first of them (``first_error_id``).
    """

    template_name = "escalation/_date_input_widget.html"
    parts = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self, attrs=None):
        super().__init__({name: forms.TextInput() for name, _, _ in self.parts}, attrs)
        self.error_parts: tuple[str, ...] = ()

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    @staticmethod
    def part_id(base_id: str, part: str) -> str:
        return base_id if part == "day" else f"{base_id}_{part}"

    def first_error_id(self, base_id: str) -> str:
        return self.part_id(base_id, self.error_parts[0] if self.error_parts else "day")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        base_id = context["widget"]["attrs"].get("id", f"id_{name}")
        in_error = "--error" in context["widget"]["attrs"].get("class", "")
        wrong = set(self.error_parts or [part for part, _, _ in self.parts]) if in_error else set()
        for sub, (part, label, width) in zip(context["widget"]["subwidgets"], self.parts, strict=True):
            sub["label"] = label
            sub["attrs"]["id"] = self.part_id(base_id, part)
            sub["attrs"].pop("aria-describedby", None)  # the fieldset is described, not each box
            css = f"govuk-input govuk-date-input__input govuk-input--width-{width}"
            sub["attrs"]["class"] = f"{css} govuk-input--error" if part in wrong else css
            if part in wrong:
                sub["attrs"]["aria-invalid"] = "true"
            else:
                sub["attrs"].pop("aria-invalid", None)
            sub["attrs"]["inputmode"] = "numeric"
        return context


class GovukDateField(forms.MultiValueField):
    """A date typed into the GOV.UK date input, with GOV.UK's error messages.

    Rendered by ``escalation/_date_field.html`` (a fieldset whose legend is the label). It is passed
    to ``Field.__init__``, which sets ``template_name`` on every field and so would hide a class
    attribute.
    """

    widget = GovukDateWidget

    def __init__(self, *, noun: str, allow_future: bool = False, **kwargs):
        self.noun = noun
        self.allow_future = allow_future
        parts = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        kwargs.setdefault("error_messages", {"required": f"Enter {noun.lower()}"})
        kwargs.setdefault("help_text", "For example, 27 3 2026")
        kwargs.setdefault("template_name", "escalation/_date_field.html")
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def clean(self, value):
        self.widget.error_parts = ()  # every box, unless cleaning names the wrong ones
        return super().clean(value)

    def _invalid(self, message: str, *parts: str) -> ValidationError:
        self.widget.error_parts = parts
        return ValidationError(message)

    def compress(self, data_list):
        if not data_list or not any(v.strip() for v in data_list):
            return None
        day, month, year = (_no_nul(v).strip() for v in data_list)
        missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
        if missing:
            raise self._invalid(f"{self.noun} must include a {' and a '.join(missing)}", *missing)
        wrong = [
            name
            for name, value, ok in (
                ("day", day, day.isdigit() and 1 <= int(day) <= 31),
                ("month", month, month.isdigit() and 1 <= int(month) <= 12),
                ("year", year, year.isdigit() and len(year) == 4),
            )
            if not ok
        ]
        if wrong:
            raise self._invalid(f"{self.noun} must be a real date", *wrong)
        try:
            value = date(int(year), int(month), int(day))
        except ValueError as error:
            raise self._invalid(f"{self.noun} must be a real date", "day") from error  # 30 February
        if not self.allow_future and value > timezone.localdate(clock.now()):
            raise self._invalid(f"{self.noun} must be today or in the past")
        return value


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


def parse_time(value: str) -> time | None:
    """``14:30``, ``14.30``, ``2:30pm``, ``9am``; None when it is not a time."""
    match = _TIME.match(value)
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match[2] is None:
        return None  # "14" alone is ambiguous
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _reason_field(label: str, *, required: bool, help_text: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": "Give a reason"},
    )


class DecisionForm(GovukFormMixin, forms.Form):
    """Approve or refuse a warning or block sign-off. A refusal needs a reason."""

    mark_optional = False  # the hint says when the reason is needed

    decision = forms.ChoiceField(
        label="Approve or refuse this request",
        choices=[(APPROVE, "Approve"), (REFUSE, "Refuse")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose approve or refuse", "invalid_choice": "Choose approve or refuse"},
    )
    reason = _reason_field(
        "Reason",
        required=False,
        help_text="Needed if you refuse: the person who asked sees it. Optional if you approve.",
    )

    def clean_reason(self):
        return _no_nul(self.cleaned_data["reason"]).strip()

    def clean(self):
        data = super().clean()
        if data.get("decision") == REFUSE and not data.get("reason"):
            self.add_error("reason", "Give a reason for refusing")
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == APPROVE


class WarningTextForm(GovukFormMixin, forms.Form):
    text = forms.CharField(
        label="Warning message",
        widget=forms.Textarea(attrs={"rows": 15}),
        error_messages={"required": "Write the warning"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "text"
        ].help_text = f"Sent as a private direct message. It must link to our policy: {policy.current().policy_url}"

    def clean_text(self):
        return _no_nul(self.cleaned_data["text"]).strip()


class WithdrawForm(GovukFormMixin, forms.Form):
    reason = _reason_field("Why is the warning withdrawn?", required=True)

    def clean_reason(self):
        return _no_nul(self.cleaned_data["reason"]).strip()


class BlockForm(GovukFormMixin, forms.Form):
    """Where to block and why. A channel ban has no scope: it is the case's channel."""

    scope = forms.ChoiceField(
        label="Block the account from",
        widget=forms.RadioSelect,
        choices=BlockScope.choices,
        error_messages={"required": "Choose where to block the account"},
    )
    reason = _reason_field(
        "Reason",
        required=True,
        help_text="What the account did and why a block is needed. It is kept on the case file.",
        rows=5,
    )

    def __init__(self, *args, channel=None, with_scope: bool = True, visible_posts: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Say why the account should be blocked"
        if visible_posts:
            # an immediate block asks what to do with the post(s) still showing
            noun = "post" if visible_posts == 1 else f"{visible_posts} posts"
            self.fields["posts_now"] = forms.ChoiceField(
                label=f"The case's {noun} still visible on the channel",
                widget=forms.RadioSelect,
                choices=[(HIDE, "Hide now"), (DELETE, "Delete now"), (LEAVE, "Leave visible")],
                error_messages={"required": f"Choose what to do with the visible {noun.split()[-1]}"},
            )
        if not with_scope:
            del self.fields["scope"]
        elif channel is not None:
            self.fields["scope"].choices = [
                (BlockScope.CHANNEL, f"This channel only: {channel.name}"),
                (BlockScope.ALL, "All our channels"),
            ]

    def clean_reason(self):
        return _no_nul(self.cleaned_data["reason"]).strip()


class PoliceReportForm(GovukFormMixin, forms.Form):
    force = forms.CharField(
        label="Police force",
        max_length=120,
        help_text="The force the matter was reported to",
        error_messages={"required": "Name the police force"},
    )
    reference = forms.CharField(
        label="Police reference",
        max_length=120,
        help_text="The crime or incident reference the police gave",
        error_messages={"required": "Give the police reference"},
    )
    reported_on = GovukDateField(label="Date reported", noun="The date reported")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the policy's police force (NHDC: Hertfordshire Constabulary) unless another is typed
        self.fields["force"].initial = policy.current().police_force

    def clean_force(self):
        return _no_nul(self.cleaned_data["force"]).strip()

    def clean_reference(self):
        return _no_nul(self.cleaned_data["reference"]).strip()


class AppealForm(GovukFormMixin, forms.Form):
    received_on = GovukDateField(label="Date received", noun="The date received")
    received_time = forms.CharField(
        label="Time received",
        max_length=10,
        help_text="For example, 14:30 or 2:30pm",
        error_messages={"required": "Enter the time it was received"},
    )
    received_via = forms.CharField(
        label="How it arrived",
        max_length=120,
        required=False,
        help_text="For example, direct message, email, letter",
    )
    # the exact moment the form was shown: a received time left at its default (the minute shown)
    # stands for this instant, so cutting the seconds off never moves it before a ban's start
    received_default = forms.CharField(required=False, widget=forms.HiddenInput)
    grounds = forms.CharField(
        label="Grounds of the appeal",
        required=False,
        help_text="What the account owner says, in their words or a summary",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_time"].widget.attrs["class"] += " govuk-input--width-5"
        if not self.is_bound:
            now = timezone.localtime(clock.now())
            self.initial.setdefault("received_on", now.date())
            self.initial.setdefault("received_time", now.strftime("%H:%M"))
            self.initial.setdefault("received_default", now.isoformat())

    def clean_received_time(self):
        value = parse_time(_no_nul(self.cleaned_data["received_time"]))
        if value is None:
            raise ValidationError("Enter a real time, for example 14:30")
        return value

    def _default_instant(self) -> datetime | None:
        """The instant the form was shown (from the hidden field), or None when missing or not a time."""
        try:
            value = datetime.fromisoformat(_no_nul(self.data.get(self.add_prefix("received_default"), "")).strip())
        except ValueError:
            return None
        if timezone.is_naive(value) or value > clock.now():
            return None
        return timezone.localtime(value)

    def clean_received_via(self):
        return _no_nul(self.cleaned_data["received_via"]).strip()

    def clean_grounds(self):
        return _no_nul(self.cleaned_data["grounds"]).strip()

    def clean(self):
        data = super().clean()
        day, at = data.get("received_on"), data.get("received_time")
        if day and at:
            received = timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())
            shown = self._default_instant()
            if shown is not None and to_the_minute(shown) == received:
                received = shown  # left at the default: the moment the form was shown, to the microsecond
            if received > clock.now():
                self.add_error("received_time", "The time received cannot be in the future")
            else:
                data["received_at"] = received
        return data


class AppealDecisionForm(GovukFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Uphold or overturn the block",
        widget=forms.RadioSelect,
        choices=[(UPHOLD, "Uphold: the block stays"), (OVERTURN, "Overturn: lift the block")],
        error_messages={"required": "Choose uphold or overturn", "invalid_choice": "Choose uphold or overturn"},
    )
    reason = _reason_field(
        "Reason for the decision",
        required=True,
        help_text="Recorded on the case timeline; the officer tells the account owner.",
        rows=4,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Give the reason for the decision"

    def clean_reason(self):
        return _no_nul(self.cleaned_data["reason"]).strip()

    @property
    def overturn(self) -> bool:
        return self.cleaned_data["decision"] == OVERTURN


class AcknowledgeForm(GovukFormMixin, forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_note(self):
        return _no_nul(self.cleaned_data["note"]).strip()


class CrisisStartForm(GovukFormMixin, forms.Form):
    """Switch crisis mode on: the reason goes to the team and onto every open case's timeline."""

    reason = forms.CharField(
        label="What has happened?",
        max_length=2000,
        help_text="The team is emailed this, and it is recorded on every open case. For example: "
        "“Flooding in Hitchin: urgent service updates only until further notice”.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter what has happened",
            "max_length": "What has happened must be 2,000 characters or fewer",
        },
    )

    def clean_reason(self):
        value = _no_nul(self.cleaned_data["reason"]).strip()
        if not value:
            raise ValidationError("Enter what has happened")
        return value


class CrisisEndForm(GovukFormMixin, forms.Form):
    note = forms.CharField(
        label="Anything the team should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 2,000 characters or fewer"},
    )

    def clean_note(self):
        return _no_nul(self.cleaned_data["note"]).strip()


class ExternalReportForm(GovukFormMixin, forms.Form):
    """Reported to the platform (its own reporting tools) or to another agency, with its reference."""

    reported_to = forms.ChoiceField(
        label="Reported to",
        choices=[("platform", "The platform, through its reporting tools"), ("agency", "Another agency")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the platform or another agency"},
    )
    recipient = forms.CharField(
        label="Platform or agency",
        max_length=120,
        help_text="For example Facebook, X, Ofcom or Action Fraud",
        error_messages={
            "required": "Name the platform or agency",
            "max_length": "The name must be 120 characters or fewer",
        },
    )
    reference = forms.CharField(
        label="Reference (optional)",
        max_length=120,
        required=False,
        help_text="The report or case number they gave, if any",
        error_messages={"max_length": "The reference must be 120 characters or fewer"},
    )
    reported_on = GovukDateField(label="Date reported", noun="The date reported")
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, platform: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].initial = platform

    def clean_recipient(self):
        return _no_nul(self.cleaned_data["recipient"]).strip()

    def clean_reference(self):
        return _no_nul(self.cleaned_data["reference"]).strip()

    def clean_note(self):
        return _no_nul(self.cleaned_data["note"]).strip()

# --- Safeguarding (issue 12): marking a case, and the lead's decision ------------------------------


class SafeguardingMarkForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this a safeguarding concern?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="For example, a child at risk, a threat of self-harm or suicide, abuse or exploitation. "
        "Do not copy the post's text: only safeguarding leads will read it.",
        error_messages={"required": "Say why this is a safeguarding concern"},
    )

    def clean_reason(self):
        return _no_nul(self.cleaned_data["reason"]).strip()


class SafeguardingReferralForm(GovukFormMixin, forms.Form):
    """The lead's decision. A referral needs the reference, who referred and when (now unless
    changed); "no referral needed" needs the reason. The service checks the same and says so."""

    mark_optional = False

    agency = forms.ChoiceField(
        label="Where did you refer the case?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the case was referred, or that no referral is needed"},
    )
    reference = forms.CharField(
        label="Reference",
        max_length=100,
        required=False,
        help_text="The incident, crime or referral number the agency gave",
    )
    referred_by = forms.CharField(label="Who made the referral", max_length=200, required=False)
    referred_on = GovukDateField(label="Date referred", noun="The date referred", required=False)
    referred_time = forms.CharField(
        label="Time referred", max_length=5, required=False, help_text="24-hour clock, for example 23:40"
    )
    no_referral_reason = forms.CharField(
        label="If no referral is needed, why not?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    signposted_to = forms.CharField(
        label="What was the person signposted to? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text="For example, Samaritans on 116 123, Childline on 0800 1111, or 999 in an emergency",
    )

    def __init__(self, *args, user=None, **kwargs):
        from moderation.constants import SafeguardingAgency

        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = SafeguardingAgency.choices
        now = timezone.localtime(clock.now())
        self.fields["referred_on"].initial = [str(now.day), str(now.month), str(now.year)]
        self.fields["referred_time"].initial = now.strftime("%H:%M")
        if user is not None:
            self.fields["referred_by"].initial = user.get_full_name() or user.get_username()
        self.style_fields()

    def clean_referred_time(self):
        value = _no_nul(self.cleaned_data["referred_time"]).strip()
        if not value:
            return None
        try:
            return datetime.strptime(value, "%H:%M").time()  # noqa: DTZ007 - a wall-clock time, zoned below
        except ValueError:
            raise ValidationError("Enter the time as hours and minutes, for example 23:40") from None

    def referred_at(self):
        """The moment referred (London), or None for now."""
        day, at = self.cleaned_data.get("referred_on"), self.cleaned_data.get("referred_time")
        if day is None and at is None:
            return None
        now = timezone.localtime(clock.now())
        return timezone.make_aware(datetime.combine(day or now.date(), at or now.time().replace(second=0)))

class ReportForm(GovukFormMixin, forms.Form):
    """The reports page's filters (a GET form): the range (default: the last full month) and four filters.

    A date that is not a date is a field error; a range that ends before it starts, or spans more
    than two years, is refused with a message on the range (``escalation.reports.MAX_RANGE_DAYS``).
    """

    mark_optional = False

    start = GovukDateField(label="From", noun="The start date", help_text="For example, 1 11 2026")
    end = GovukDateField(label="To", noun="The end date", allow_future=True, help_text="For example, 30 11 2026")
    channel = forms.ModelChoiceField(queryset=None, required=False, empty_label="All channels", label="Channel")
    rule = forms.ModelChoiceField(queryset=None, required=False, empty_label="All house rules", label="House rule")
    service_area = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All service areas", label="Service area"
    )
    officer = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All officers",
        label="Officer",
        help_text="Cases the officer recorded or is assigned",
    )

    def __init__(self, data, **kwargs):
        from escalation.reports import last_full_month
        from moderation.models import Channel, HouseRule, ServiceArea
        from moderation.selectors import team_members

        data = data.copy()
        # no range typed (the first visit, or the filters alone): the last full month
        if not any(key.startswith(("start_", "end_")) for key in data):
            start, end = last_full_month(timezone.localdate(clock.now()))
            for name, day in (("start", start), ("end", end)):
                for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
                    data[f"{name}_{part}"] = str(value)
        super().__init__(data, **kwargs)
        self.fields["channel"].queryset = Channel.objects.order_by("platform", "name")
        self.fields["rule"].queryset = HouseRule.objects.order_by("position", "title")
        self.fields["service_area"].queryset = ServiceArea.objects.order_by("name")
        self.fields["officer"].queryset = team_members()
        self.fields["officer"].label_from_instance = lambda user: user.get_full_name() or user.get_username()

    def clean(self):
        from escalation.reports import MAX_RANGE_DAYS

        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be the same as or after the start date")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", "The range can be at most two years: choose a shorter range")
        return cleaned


# --- Legal holds and erasure (issue 14; escalation.retention_views) ---------------------------------


class LegalHoldForm(GovukFormMixin, forms.Form):
    """Place or lift a legal hold: the reason goes on the timeline."""

    reason = forms.CharField(
        label="Why?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why", "max_length": "The reason must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, placing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        if placing:
            field.label = "Why is the legal hold needed?"
            field.help_text = "For example “Claim issued in the county court, reference K00XX123: keep everything”."
            field.error_messages["required"] = "Enter why the legal hold is needed"
        else:
            field.label = "Why can the legal hold be lifted?"
            field.help_text = "For example “The claim was settled on 3 March”."
            field.error_messages["required"] = "Enter why the legal hold can be lifted"

    def clean_reason(self):
        value = _no_nul(self.cleaned_data["reason"]).strip()
        if not value:
            raise ValidationError(self.fields["reason"].error_messages["required"])
        return value


class EraseForm(GovukFormMixin, forms.Form):
    """Erase an account's personal data: the manager confirms the request was checked."""

    confirm = forms.BooleanField(
        label="The account owner asked us to erase their personal data, and we have checked it is them",
        error_messages={"required": "Confirm the account owner asked for erasure and you have checked it is them"},
    )
