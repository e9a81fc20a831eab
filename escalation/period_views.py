"""Crisis mode on and off (``escalation.periods``): one page for the people who may switch it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from escalation import periods, routing
from escalation.forms import CrisisEndForm, CrisisStartForm
from escalation.models import CrisisPeriod
from moderation.forms import apply_service_errors

HISTORY = 10


@login_required
def crisis(request):
    """Crisis mode: what is in force, the form to switch it, and the last periods."""
    if not routing.holds(request.user, routing.PERM_DECLARE_CRISIS):
        raise PermissionDenied("Only a manager can switch crisis mode on or off.")
    running = CrisisPeriod.objects.filter(in_force=True).select_related("started_by").first()
    start_form = CrisisStartForm(request.POST if request.method == "POST" and running is None else None)
    end_form = CrisisEndForm(request.POST if request.method == "POST" and running is not None else None)
    if request.method == "POST":
        form = end_form if running is not None else start_form
        if form.is_valid():
            try:
                if running is None:
                    started = periods.crisis_start(actor=request.user, reason=form.cleaned_data["reason"])
                    messages.success(
                        request,
                        f"Crisis mode is on from {timezone.localtime(started.started_at):%H:%M}. "
                        "The team has been emailed and the queue lists urgent work first.",
                    )
                else:
                    periods.crisis_end(actor=request.user, crisis=running, note=form.cleaned_data["note"])
                    messages.success(request, "Crisis mode is off. The team has been emailed.")
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return redirect("escalation:crisis")
    history = list(
        CrisisPeriod.objects.filter(in_force=False)
        .select_related("started_by", "ended_by")
        .order_by("-started_at")[:HISTORY]
    )
    return render(
        request,
        "escalation/crisis.html",
        {"running": running, "start_form": start_form, "end_form": end_form, "history": history},
    )
