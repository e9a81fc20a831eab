"""Forms of the workspace, rendered in GOV.UK Frontend markup (templates/forms/)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.renderers import TemplatesSetting

WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.SelectMultiple: "govuk-select",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
    forms.CheckboxInput: "govuk-checkboxes__input",
}


class GovukRenderer(TemplatesSetting):
    """``{{ form }}`` and ``{{ form.field.as_field_group }}`` produce GOV.UK form groups."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class GovukFormMixin:
    """Adds GOV.UK classes, the error state and hint/error ``aria-describedby`` to every widget.

    ``mark_optional``: label optional fields "(optional)", as GOV.UK forms do (not in filters).
    """

    mark_optional = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            css = next((c for t, c in WIDGET_CLASSES.items() if isinstance(widget, t)), "govuk-input")
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            field = self.fields.get(name)
            if field is None or isinstance(field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            attrs = field.widget.attrs
            css = attrs.get("class", "")
            if css and "--error" not in css:
                attrs["class"] = f"{css} {css.split()[0]}--error"
            attrs["aria-describedby"] = f"{attrs.get('aria-describedby', '')} id_{name}-error".strip()


class SignInForm(GovukFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }


class GovukFilterForm(GovukFormMixin, forms.Form):
    """The form django-filter builds for a FilterSet: every filter is optional, so none is marked."""

    mark_optional = False
