"""Crisis mode on and off (``escalation.periods``): one page for the people who may switch it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from escalation import periods, routing
from escalation.forms import CrisisEndForm, CrisisStartForm
from escalation.models import CrisisPeriod
from moderation.forms import apply_service_errors
from policy.dates import say_time

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
                        f"Crisis mode is on from {say_time(started.started_at)}. "
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


@login_required
def external_report_create(request, case_pk: int):
    """Record that the post or account was reported to the platform or another agency."""
    from django.shortcuts import get_object_or_404

    from escalation.external_reports import external_report_record
    from escalation.forms import ExternalReportForm
    from escalation.models import ExternalReport
    from moderation.models import Case

    if not routing.holds(request.user, routing.PERM_MODERATE_POST):
        raise PermissionDenied("Your role does not record reports to a platform or agency.")
    case = get_object_or_404(Case.objects.select_related("account", "channel"), pk=case_pk)
    routing.require_case_reader(request.user, case)
    form = ExternalReportForm(request.POST or None, platform=case.channel.get_platform_display())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = external_report_record(actor=request.user, case=case, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            reference = f", reference {report.reference}" if report.reference else ""
            messages.success(request, f"Recorded: reported to {report.recipient}{reference}.")
            return redirect("moderation:case_detail", case.pk)
    reports = list(ExternalReport.objects.filter(case=case).select_related("recorded_by"))
    return render(request, "escalation/external_report_form.html", {"case": case, "form": form, "reports": reports})
