"""The reports page and its downloads (issue 14), for the roles holding ``escalation.read_reports``:
the Communications Manager, Service directors and the Managing Director. Reads only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from escalation import routing, statements
from escalation.forms import ReportForm
from escalation.reports import (
    ReportFilters,
    TrendMonth,
    as_csv,
    as_databook,
    build_report,
    trend_bars,
)
from moderation import clock
from policy.signals import data_downloaded

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


def may_read_reports(user) -> bool:
    return routing.holds(user, routing.PERM_READ_REPORTS)


def require_report_reader(user) -> None:
    if not may_read_reports(user):
        raise PermissionDenied("Your role does not read the reports.")


def may_export_statements(user) -> bool:
    """The bulk statements of reasons name every case's facts: the report readers who read every case
    (the Communications Manager, the Managing Director), not a Service director (their own areas only)."""
    return may_read_reports(user) and routing.reads_every_case(user)


def filters_from(form: ReportForm) -> ReportFilters:
    data = form.cleaned_data
    return ReportFilters(
        start=data["start"],
        end=data["end"],
        channel=data.get("channel"),
        rule=data.get("rule"),
        service_area=data.get("service_area"),
        officer=data.get("officer"),
    )


@login_required
def report(request):
    """The figures for the chosen range and filters, the monthly trend (chart and table), the downloads."""
    require_report_reader(request.user)
    form = ReportForm(request.GET)
    context = {"form": form, "report": None, "trend_columns": TrendMonth.COLUMNS}
    if form.is_valid():
        result = build_report(filters_from(form), now=clock.now())
        query = request.GET.urlencode()
        context.update(
            report=result,
            chart=trend_bars(result.trend),
            downloads=[
                (label, reverse("escalation:report_download", args=[fmt]) + (f"?{query}" if query else ""))
                for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"), ("ods", "OpenDocument (ODS)"))
            ],
            statement_downloads=[
                (label, reverse("escalation:statements_download", args=[fmt]) + (f"?{query}" if query else ""))
                for fmt, label in (("jsonl", "JSON lines"), ("csv", "CSV"))
            ]
            if may_export_statements(request.user)
            else [],
        )
    return render(request, "escalation/report.html", context, status=200 if form.is_valid() else 400)


@login_required
def report_download(request, fmt: str):
    """The same figures as the page, as CSV, XLSX or ODS. Bad filters answer 400 with the reason."""
    require_report_reader(request.user)
    if fmt not in DOWNLOADS:
        return HttpResponse("Choose CSV, XLSX or ODS.", status=404, content_type="text/plain; charset=utf-8")
    form = ReportForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(
            f"The report cannot be made: {errors}.", status=400, content_type="text/plain; charset=utf-8"
        )
    filters = filters_from(form)
    result = build_report(filters, now=clock.now())
    content_type, extension = DOWNLOADS[fmt]
    body = as_csv(result).encode("utf-8-sig") if fmt == "csv" else as_databook(result).export(fmt)
    response = HttpResponse(body, content_type=content_type)
    name = f"moderation-report-{filters.start:%Y-%m-%d}-to-{filters.end:%Y-%m-%d}.{extension}"
    data_downloaded(request, "report", format=fmt, start=str(filters.start), end=str(filters.end))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


STATEMENT_FORMATS = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@login_required
def statements_download(request, fmt: str):
    """Every statement of reasons for decisions made in the range, as JSON lines or CSV (the range of
    the report form; its other filters do not apply)."""
    if not may_export_statements(request.user):
        raise PermissionDenied("Your role does not export the statements of reasons.")
    if fmt not in STATEMENT_FORMATS:
        return HttpResponse("Choose JSON lines or CSV.", status=404, content_type="text/plain; charset=utf-8")
    form = ReportForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(
            f"The export cannot be made: {errors}.", status=400, content_type="text/plain; charset=utf-8"
        )
    filters = filters_from(form)
    items = statements.between(*filters.bounds(), reader=request.user)
    body = statements.as_json_lines(items) if fmt == "jsonl" else statements.as_csv(items)
    response = HttpResponse(body.encode("utf-8-sig" if fmt == "csv" else "utf-8"), content_type=STATEMENT_FORMATS[fmt])
    name = f"statements-of-reasons-{filters.start:%Y-%m-%d}-to-{filters.end:%Y-%m-%d}.{fmt}"
    data_downloaded(
        request, "statements_of_reasons", format=fmt, start=str(filters.start), end=str(filters.end), rows=len(items)
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
