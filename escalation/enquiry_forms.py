"""The forms of enquiries (issue 12): record one, reply, ask to clarify, hand on, record the answer.

The kinds' rules (an FOI request needs a name, an address and a description) are the service's
(``moderation.enquiries``): its messages are shown on these forms' fields."""

from __future__ import annotations

from django import forms

from escalation.forms import GovukDateField, _no_nul
from moderation.forms import GovukFormMixin
from moderation.models import EnquiryKind


def _text(label: str, *, max_length: int, required: bool = False, rows: int = 0, hint: str = "", noun: str = ""):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    messages = {"max_length": f"{noun or label} must be {max_length:,} characters or fewer"}
    if required:
        messages["required"] = f"Enter {(noun or label).lower()}"
    return forms.CharField(
        label=label if required else f"{label} (optional)",
        max_length=max_length,
        required=required,
        widget=widget,
        help_text=hint,
        error_messages=messages,
    )


class CleanTextMixin:
    def clean(self):
        data = super().clean()
        return {key: _no_nul(value).strip() if isinstance(value, str) else value for key, value in data.items()}


class EnquiryForm(CleanTextMixin, GovukFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label="What kind of enquiry is it?",
        choices=EnquiryKind.choices,
        widget=forms.RadioSelect,
        help_text="A Freedom of Information request is due in 20 working days, a subject access request in one "
        "calendar month; a complaint is signposted to the formal complaints procedure",
        error_messages={"required": "Choose what kind of enquiry it is"},
    )
    received_on = GovukDateField(label="Date received", noun="The date received")
    requester_name = _text(
        "Name of the person asking", max_length=200, hint="Needed for Freedom of Information requests and consultations"
    )
    correspondence_address = _text(
        "Address for correspondence",
        max_length=4000,
        rows=3,
        hint="An email or postal address: needed for Freedom of Information requests",
        noun="The address",
    )
    description = _text(
        "What they ask for",
        max_length=4000,
        rows=4,
        hint="A clear description of the information or service",
        noun="The description",
    )


class ReplyForm(CleanTextMixin, GovukFormMixin, forms.Form):
    reply = forms.ChoiceField(
        label="What did you send?",
        choices=[
            ("reply", "A reply"),
            ("holding", "A holding reply: we'll answer fully by a date"),
            ("signpost", "A signpost to the right place"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reply, a holding reply or a signpost"},
    )
    full_answer_by = GovukDateField(
        label="Full answer by (for a holding reply)",
        noun="The date of the full answer",
        allow_future=True,
        required=False,
    )
    text = _text("What you sent", max_length=4000, rows=4, noun="The reply")


class ClarifyForm(CleanTextMixin, GovukFormMixin, forms.Form):
    asked_on = GovukDateField(label="Date you asked them to clarify", noun="The date asked")
    note = _text("What you asked", max_length=4000, rows=3, noun="The note")


class ClarifiedForm(CleanTextMixin, GovukFormMixin, forms.Form):
    replied_on = GovukDateField(label="Date they replied", noun="The date they replied")
    note = _text("Note", max_length=4000, rows=3, noun="The note")


class HandOnForm(CleanTextMixin, GovukFormMixin, forms.Form):
    team = _text(
        "Team it is handed on to",
        max_length=120,
        required=True,
        hint="For example the FOI team, Complaints, Waste services",
        noun="The team's name",
    )
    email = forms.EmailField(
        label="Team's email address (optional)",
        required=False,
        max_length=254,
        help_text="They are emailed the request and its deadline",
        error_messages={"invalid": "Enter the team's email address in the correct format, like foi@example.gov.uk"},
    )
    reference = _text(
        "Reference", max_length=120, hint="The team's own reference, if they gave one", noun="The reference"
    )
    note = _text("Note", max_length=4000, rows=3, noun="The note")


class AnsweredForm(CleanTextMixin, GovukFormMixin, forms.Form):
    answered_on = GovukDateField(label="Date it was answered", noun="The date answered")
    note = _text("Note", max_length=4000, rows=3, noun="The note")
    close_case = forms.TypedChoiceField(
        label="Close the case too?",
        choices=[("yes", "Yes, close the case"), ("no", "No, keep the case open")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
        help_text="Its outcome is what was done on the case, or “Enquiry answered” if nothing was",
        error_messages={"required": "Select whether to close the case too"},
    )

    def __init__(self, *args, case_open: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not case_open:  # closed already: nothing to ask
            del self.fields["close_case"]
