"""Forms of the workspace, rendered in GOV.UK Frontend markup (templates/forms/)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.http import QueryDict
from django.utils import timezone

from moderation import clock
from moderation.constants import CaseOutcome, PostKind, Priority
from moderation.csvfiles import FIELDS, channel_label
from moderation.intake import posted_at_check
from policy.titles import lazily

WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.SelectMultiple: "govuk-select",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
    forms.CheckboxInput: "govuk-checkboxes__input",
}


class GovukBoundField(BoundField):
    """A field whose ``aria-describedby`` names the hint and error elements the GOV.UK templates
    render (``<auto_id>-hint``, ``<auto_id>-error``), worked out when it is rendered: a hint set after
    the form is built, or an error added by a service afterwards, is named; a missing one never is.

    A field rendered in a fieldset (radios, checkboxes, the date input) is described on the fieldset,
    as GOV.UK does, not on each input (Django's ``use_fieldset``).
    """

    @property
    def aria_describedby(self):
        if self.field.widget.attrs.get("aria-describedby"):
            return None  # a template that renders its own hint said which
        ids = []
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                ids.append(f"{self.auto_id}-hint")
            if self.errors:
                ids.append(f"{self.auto_id}-error")
        return " ".join(ids)

    @property
    def error_target_id(self) -> str:
        """Where the error summary's link for this field lands: its input, the first radio or
        checkbox of a group, the first box in error of a date."""
        first_error_id = getattr(self.field.widget, "first_error_id", None)
        if first_error_id is not None:
            return first_error_id(self.auto_id)
        if isinstance(self.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"{self.auto_id}_0"
        return self.id_for_label or self.auto_id


class GovukRenderer(TemplatesSetting):
    """``{{ form }}`` and ``{{ form.field.as_field_group }}`` produce GOV.UK form groups."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class GovukFormMixin:
    """Adds GOV.UK classes and the error state to every widget (``GovukBoundField`` links each
    field's hint and error through ``aria-describedby``).

    ``mark_optional``: label optional fields "(optional)", as GOV.UK forms do (not in filters).
    """

    mark_optional = True
    bound_field_class = GovukBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Give every field its GOV.UK class; forms that add fields call it again."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            css = next((c for t, c in WIDGET_CLASSES.items() if isinstance(widget, t)), "govuk-input")
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                widget.attrs["class"] = " ".join([css, *classes])

    def add_error(self, field, error):
        """Every error, from cleaning or from a service afterwards, puts its field in the error state."""
        super().add_error(field, error)
        for name in self._errors or {}:
            field_ = self.fields.get(name)
            if field_ is None or isinstance(field_.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            attrs = field_.widget.attrs
            classes = attrs.get("class", "").split()
            if classes and f"{classes[0]}--error" not in classes:
                attrs["class"] = " ".join([*classes, f"{classes[0]}--error"])


class SignInForm(GovukFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # each error names its field once (the summary and the field say the same thing)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"


class GovukFilterForm(GovukFormMixin, forms.Form):
    """The form django-filter builds for a FilterSet: every filter is optional, so none is marked."""

    mark_optional = False


# --- Recording a case and working on it (moderation.views) -----------------------------------

DATETIME_HINT = "For example, 27/03/2026 14:05"
_UK_DATETIME = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?)?$")


def strip_nul(data):
    """A copy of submitted ``data`` without NUL characters (PostgreSQL refuses them in text)."""
    if data is None:
        return None
    if isinstance(data, QueryDict):
        clean = data.copy()
        for key in clean:
            clean.setlist(key, [v.replace("\x00", "") if isinstance(v, str) else v for v in data.getlist(key)])
        return clean
    return {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in data.items()}


class StripNulMixin:
    """Drops NUL characters from what was typed before any field sees it: nothing else is lost."""

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(strip_nul(data), *args, **kwargs)


def read_datetime(value: str) -> datetime | None:
    """``27/03/2026 14:05`` (UK order) or ISO 8601 as typed: naive (a London wall-clock time) unless it
    names its offset; None when it is neither."""
    value = " ".join(value.split())
    match = _UK_DATETIME.match(value)
    try:
        if match:
            day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
            return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - London wall clock
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_local_datetime(value: str) -> datetime | None:
    """``27/03/2026 14:05`` (UK order, London time) or ISO 8601; None when it is neither."""
    moment = read_datetime(value)
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ZoneInfo(settings.TIME_ZONE))
    return moment


class LocalDateTimeField(forms.CharField):
    """A date and time typed as ``DD/MM/YYYY HH:MM`` (or ISO 8601), on the London wall clock."""

    def __init__(self, *, noun: str, **kwargs):
        self.noun = noun
        kwargs.setdefault("help_text", DATETIME_HINT)
        kwargs.setdefault("error_messages", {"required": f"Enter {noun}"})
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        moment = parse_local_datetime(value)
        if moment is None:
            raise ValidationError(
                f"{self.noun[0].upper()}{self.noun[1:]} must be a real date and time, like 27/03/2026 14:05",
                code="invalid",
            )
        if moment > clock.now() + timedelta(minutes=5):
            raise ValidationError(f"{self.noun[0].upper()}{self.noun[1:]} must be in the past", code="future")
        return moment


class PostedAtField(LocalDateTimeField):
    """When a post was made, typed by a person: the rule every way in applies (``intake.posted_at_check``:
    the API, Meta's webhook and the CSV import alike), its message shown as the field's error.

    A time the clocks skipped is refused, a repeated one is the first; not before 1970; at most a day
    ahead. The person recording it has seen the post, so a time ahead of now is refused as well.
    """

    def __init__(self, *, noun: str = "the date and time of the post", **kwargs):
        super().__init__(noun=noun, **kwargs)

    def clean(self, value):
        value = forms.CharField.clean(self, value)
        if not value:
            return None
        typed = " ".join(value.split())
        moment = read_datetime(typed)
        if moment is None:
            raise ValidationError(
                f"{self.noun[0].upper()}{self.noun[1:]} must be a real date and time, like 27/03/2026 14:05",
                code="invalid",
            )
        try:
            moment = posted_at_check(
                moment, raw=typed, now=clock.now(), future_hint=": dates are read day first (DD/MM/YYYY)"
            )
        except ValueError as error:
            raise ValidationError(str(error), code="posted_at") from error
        if moment > clock.now() + timedelta(minutes=5):
            raise ValidationError(f"{self.noun[0].upper()}{self.noun[1:]} must be in the past", code="future")
        return moment


def evidence_file_errors(file) -> str | None:
    """What is wrong with an uploaded evidence file, in GOV.UK's words, or None when it is fine."""
    from moderation.services import EVIDENCE_TYPES, MAX_EVIDENCE_BYTES, sniff_evidence_type

    if file.size == 0:
        return "The selected file is empty"
    if file.size > MAX_EVIDENCE_BYTES:
        return f"The selected file must be smaller than {MAX_EVIDENCE_BYTES // (1024 * 1024)}MB"
    if sniff_evidence_type(file) not in EVIDENCE_TYPES:
        return "The selected file must be an image (PNG, JPEG, GIF or WebP) or a PDF"
    return None


EVIDENCE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.png,.jpg,.jpeg,.gif,.webp,.pdf"


class EvidenceFileField(forms.FileField):
    """An image or a PDF of 10 MB at most, checked from its first bytes, not from its name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "A screenshot or a PDF, up to 10MB")
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault(
            "error_messages",
            {"empty": "The selected file is empty", "invalid": "The selected file could not be read; choose it again"},
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file:
            problem = evidence_file_errors(file)
            if problem:
                raise ValidationError(problem, code="invalid_file")
        return file


class ChannelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        platform = obj.get_platform_display()
        return obj.name if platform.split()[0].lower() in obj.name.lower() else f"{obj.name} ({platform})"


class RuleChoiceField(forms.ModelMultipleChoiceField):
    """House rules as checkboxes, each with its guidance as the checkbox hint."""

    def label_from_instance(self, obj) -> str:
        return obj.title


class CaseRecordForm(StripNulMixin, GovukFormMixin, forms.Form):
    """Record a case: where, who, the post, the rules broken and why. Fast to fill."""

    channel = ChannelChoiceField(
        queryset=None,
        label="Channel",
        empty_label="Choose a channel",
        error_messages={"required": "Select the channel the post is on", "invalid_choice": "Select a channel"},
    )
    handle = forms.CharField(
        label="Account handle",
        max_length=120,
        help_text="For example, @binrage77",
        error_messages={"required": "Enter the account's handle"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false", "autocomplete": "off"}),
    )
    display_name = forms.CharField(
        label="Display name",
        max_length=200,
        required=False,
        help_text="As shown on the post",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    text = forms.CharField(
        label="Post text",
        help_text="Copy it exactly. For an image or a video, describe it.",
        error_messages={"required": "Enter the text of the post"},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    url = forms.URLField(
        label="Post address (URL)",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="A post already recorded leads to its case",
        error_messages={"invalid": "Enter the post's address in the correct format, like https://facebook.com/…"},
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    posted_at = PostedAtField(
        label="Date and time of the post",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label="Kind of post",
        choices=PostKind.choices,
        initial=PostKind.COMMENT,
        widget=forms.RadioSelect,
        template_name="moderation/includes/radios_inline_field.html",
        error_messages={"required": "Select the kind of post"},
    )
    rules = RuleChoiceField(
        queryset=None,
        label="House rules broken",
        help_text="Select all that apply",
        widget=forms.CheckboxSelectMultiple,
        template_name="moderation/includes/rules_field.html",
        error_messages={"required": "Select at least one house rule that was broken"},
    )
    reason = forms.CharField(
        label="Why it is unacceptable",
        help_text="What the post says or does that breaks the rules, in a sentence or two",
        error_messages={"required": "Say why the post is unacceptable"},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reported_by = forms.CharField(
        label="Who reported it to us (optional)",
        max_length=200,
        required=False,
        help_text="If someone told us about the post, for example “a member of the public, by direct message”. "
        "Leave it empty if we found it ourselves.",
        error_messages={"max_length": "Who reported it must be 200 characters or fewer"},
    )
    service_area = forms.ModelChoiceField(
        queryset=None,
        label="Service area",
        required=False,
        empty_label="None",
        help_text=lazily("Its {t.director} may sign off a warning"),
    )
    priority = forms.TypedChoiceField(
        label="Priority",
        choices=Priority.choices,
        coerce=int,
        initial=Priority.NORMAL,
        widget=forms.RadioSelect,
        template_name="moderation/includes/radios_inline_field.html",
        error_messages={"required": "Select a priority"},
    )
    evidence = EvidenceFileField(label="Evidence", required=False)
    external_id = forms.CharField(
        required=False, max_length=200, widget=forms.HiddenInput, help_text="The platform's id, from a flagged post"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from moderation.models import Case, Channel, ElectionPeriod, HouseRule, ServiceArea

        self.fields["channel"].queryset = Channel.objects.filter(is_active=True).order_by("name")
        rules = HouseRule.objects.filter(is_active=True).order_by("position", "title")
        if ElectionPeriod.objects.on(timezone.localdate(clock.now())).exists():
            # Hart: in a pre-election period, responses that are political-party specific may be removed
            rules = rules.order_by("-party_political", "position", "title")
            self.fields["rules"].help_text = (
                f"{self.fields['rules'].help_text} A pre-election period is on: party-political rules come first."
            ).strip()
        self.fields["rules"].queryset = rules
        self.fields["service_area"].queryset = ServiceArea.objects.order_by("name")
        if not self.is_bound:
            self.initial.setdefault("posted_at", f"{timezone.localtime(clock.now()):%d/%m/%Y %H:%M}")
            last = (
                Case.objects.filter(recorded_by=user, channel__is_active=True).order_by("-recorded_at").first()
                if user is not None and user.is_authenticated
                else None
            )
            if last is not None:
                self.initial.setdefault("channel", last.channel_id)

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip()
        if not handle.lstrip("@").strip():
            raise ValidationError("Enter the account's handle")
        return handle

    def full_clean(self):
        super().full_clean()
        # a file is never sent back to the browser: say so when the rest of the form has a problem
        if self.is_bound and self.errors and self.files.get("evidence") and "evidence" not in self.errors:
            again = "Choose the file again: files are not kept when a form has a problem"
            self.fields["evidence"].help_text = again
            self["evidence"].help_text = again  # the bound field, made while cleaning, keeps its own copy


class VisibilityForm(forms.Form):
    """Hide, delete or restore a post (buttons on the case page)."""

    visibility = forms.ChoiceField(choices=[(v, v) for v in ("hidden", "deleted", "restored")])


class AssignForm(StripNulMixin, GovukFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, label="Assign to", empty_label="Nobody (unassigned)"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        from moderation.selectors import team_members

        self.fields["assignee"].queryset = team_members()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class CloseForm(StripNulMixin, GovukFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=CaseOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of the case"},
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "close_%s")
        super().__init__(*args, **kwargs)


class ReopenForm(StripNulMixin, GovukFormMixin, forms.Form):
    note = forms.CharField(
        label="Why reopen it",
        error_messages={"required": "Say why the case is reopened"},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reopen_%s")
        super().__init__(*args, **kwargs)


class EvidenceForm(StripNulMixin, GovukFormMixin, forms.Form):
    """Attach a screenshot or PDF, or a link, to a case (one of the two is needed)."""

    mark_optional = False  # neither file nor link is optional on its own

    file = EvidenceFileField(label="File", required=False)
    url = forms.URLField(
        label="Link",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="For example, an archived copy of the post",
        error_messages={"invalid": "Enter the link in the correct format, like https://archive.org/…"},
    )
    description = forms.CharField(
        label="Description (optional)", max_length=300, required=False, help_text="What it shows, in a few words"
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("file") and not cleaned.get("url"):
            raise ValidationError("Choose a file or give a link", code="required")
        return cleaned


def apply_service_errors(form, error, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            name = (aliases or {}).get(name, name)
            for item in errors:
                form.add_error(name if name in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)


# --- CSV import (moderation.views.import_*) ----------------------------------------------------------

NEW_SOURCE = "new"


class ImportUploadForm(StripNulMixin, GovukFormMixin, forms.Form):
    """Which tool the export comes from (a known source, or a new one named here), and the file."""

    mark_optional = False  # the source's name is needed exactly when "Another source" is chosen

    source = forms.ChoiceField(
        label="Where does the file come from?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the file comes from"},
    )
    source_name = forms.CharField(
        label="Name of the source",
        required=False,
        max_length=120,
        help_text="For example “Hootsuite export” or “Sprout Social inbox”. How its columns are matched is "
        "saved under this name.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="An export with a heading row: comma, semicolon or tab separated, UTF-8 with or without "
        "a byte-order mark.",
        error_messages={"required": "Choose the CSV file to upload", "empty": "The file is empty"},
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = {str(source.pk): source for source in sources}
        self.fields["source"].choices = [(pk, source.name) for pk, source in self.sources.items()] + [
            (NEW_SOURCE, "Another source")
        ]
        self.fields["file"].widget.attrs["accept"] = ".csv,.tsv,.txt,text/csv"
        if not self.sources:
            self.fields["source"].required = False

    def clean(self):
        data = super().clean()
        choice = data.get("source") or NEW_SOURCE
        data["source_object"] = self.sources.get(choice)
        if data["source_object"] is None and not (data.get("source_name") or "").strip():
            self.add_error("source_name", "Enter the name of the source")
        return data


class ImportColumnsForm(GovukFormMixin, forms.Form):
    """For each of our fields, the column of the file that holds it; and the channel of every row."""

    mark_optional = False

    def __init__(self, *args, headings: list[str], examples: dict[str, str], channels, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Not in this file")] + [
            (heading, f"{heading} (e.g. {_shorten(examples[heading])})" if heading in examples else heading)
            for heading in headings
        ]
        for spec in FIELDS:
            label = spec.label if spec.required else f"{spec.label} (optional)"
            self.fields[spec.key] = forms.ChoiceField(label=label, choices=choices, required=False, help_text=spec.hint)
        self.fields["default_channel"] = ImportChannelChoiceField(
            queryset=channels,
            required=False,
            label="Channel of rows that name none",
            help_text="For an export of one channel, or rows whose channel cell is empty.",
            empty_label="None: every row names its channel",
        )
        self.style_fields()

    def columns(self) -> dict[str, str]:
        return {spec.key: self.cleaned_data[spec.key] for spec in FIELDS if self.cleaned_data.get(spec.key)}


class ImportChannelChoiceField(forms.ModelChoiceField):
    """A channel offered on the import pages: always with its platform (see ``channel_label``)."""

    def label_from_instance(self, obj) -> str:
        return channel_label(obj)


def _shorten(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
