"""Your notifications: how each person hears of what waits for them, and what they were told.

The page reads and writes only the signed-in person's own choice: it takes no user id."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from escalation import notify
from escalation.models import NotificationChoice
from moderation.forms import GovukFormMixin, apply_service_errors


class NotificationPreferenceForm(GovukFormMixin, forms.Form):
    choice = forms.ChoiceField(
        label="How do you want to hear of decisions waiting for you, refusals and appeals?",
        choices=NotificationChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want to hear of what waits for you."},
    )


@login_required
def preferences(request):
    """GET: the choice and the last notifications; POST: change the choice (one's own only)."""
    form = NotificationPreferenceForm(request.POST or None, initial={"choice": notify.preference_of(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            preference = notify.preference_set(actor=request.user, choice=form.cleaned_data["choice"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Saved: {preference.get_choice_display().lower()}.")
            return redirect("escalation:notification_preferences")
    return render(
        request,
        "escalation/notification_preferences.html",
        {"form": form, "recent": notify.recent_for(request.user)},
    )
