"""Admin actions that call services: one message per selected row saying what happened to it.

``run_per_row`` applies a service to each selected object; ``form_action`` first asks for the
details a decision needs (a reason, a police reference …) on an intermediate page, keeping the
selection, then does the same. Refusals (wrong role, wrong state, own request, missing reason)
come back as error messages for that row; nothing is half-done because each call is atomic.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Your role does not allow this."


def run_per_row(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    apply: Callable[[Model], str],
) -> None:
    """Call ``apply(obj)`` (which calls a service and returns what happened) for each row."""
    for obj in queryset:
        try:
            outcome = apply(obj)
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}: not done. {error_text(error)}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{obj}: {outcome}", messages.SUCCESS)


def form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[Model, dict], str],
    intro: str = "",
):
    """Ask for ``form_class`` on an intermediate page, then ``apply(obj, cleaned_data)`` per row."""
    form = form_class(request.POST, request.FILES) if "apply" in request.POST else form_class()
    if "apply" in request.POST and form.is_valid():
        run_per_row(modeladmin, request, queryset, lambda obj: apply(obj, form.cleaned_data))
        return None
    return TemplateResponse(
        request,
        "admin/moderation/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "queryset": queryset,
            "opts": modeladmin.model._meta,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), label="Reason")


class OptionalNoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, label="Note")
