"""Reported to the platform or another agency (issue 12: HMCTS, Hart, HMPPS): a recorded action with a
reference, on the case's timeline, refused with a clear message when it cannot be right."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from escalation.external_reports import external_report_record
from escalation.models import ExternalReport
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories


def today():
    return timezone.localdate(clock.now())


def test_a_report_to_the_platform_is_recorded_with_its_event(officer):
    case = factories.OpenCaseFactory()
    report = external_report_record(
        actor=officer,
        case=case,
        reported_to="platform",
        recipient=" Facebook ",
        reference="FB-123",
        reported_on=today(),
    )
    assert (report.recipient, report.reference, report.recorded_by) == ("Facebook", "FB-123", officer)
    event = CaseEvent.objects.get(case=case, kind=EventKind.PLATFORM_REPORTED)
    assert event.after == {"recipient": "Facebook", "reference": "FB-123", "reported_on": today().isoformat()}


def test_refused_with_field_messages_and_nothing_written(officer, director, md):
    case = factories.OpenCaseFactory()
    with pytest.raises(ValidationError) as refused:
        external_report_record(
            actor=officer, case=case, reported_to="elsewhere", recipient="  ", reported_on=today() + timedelta(days=1)
        )
    assert set(refused.value.message_dict) == {"reported_to", "recipient", "reported_on"}
    assert "cannot be in the future" in refused.value.message_dict["reported_on"][0]
    for outsider in (director, md):
        with pytest.raises(PermissionDenied):
            external_report_record(
                actor=outsider, case=case, reported_to="agency", recipient="Ofcom", reported_on=today()
            )
    assert not ExternalReport.objects.exists()
    assert not CaseEvent.objects.filter(kind__in=[EventKind.PLATFORM_REPORTED, EventKind.AGENCY_REPORTED]).exists()


def test_the_page_records_it_and_the_case_timeline_says_so(client, officer):
    case = factories.OpenCaseFactory()
    client.force_login(officer)
    case_page = client.get(reverse("moderation:case_detail", args=[case.pk])).text
    assert reverse("escalation:external_report_create", args=[case.pk]) in case_page
    form = client.get(reverse("escalation:external_report_create", args=[case.pk]))
    assert form.status_code == 200
    assert case.channel.get_platform_display() in form.text  # the platform, filled in

    refused = client.post(reverse("escalation:external_report_create", args=[case.pk]), {"reported_to": "agency"})
    assert "There is a problem" in refused.text
    assert "Name the platform or agency" in refused.text
    assert not ExternalReport.objects.exists()

    day = today()
    done = client.post(
        reverse("escalation:external_report_create", args=[case.pk]),
        {
            "reported_to": "agency",
            "recipient": "Ofcom",
            "reference": "OF/77",
            "reported_on_day": day.day,
            "reported_on_month": day.month,
            "reported_on_year": day.year,
        },
        follow=True,
    )
    assert "Recorded: reported to Ofcom, reference OF/77." in done.text
    assert "Reported to another agency" in done.text
    assert f"Ofcom, reference OF/77, reported {day:%-d %B %Y}" in done.text


class TestAnyText(HypothesisTestCase):
    @settings(max_examples=30, deadline=None)
    @given(recipient=st.text(max_size=300), reference=st.text(max_size=300), note=st.text(max_size=3000))
    def test_any_text_is_stored_or_refused_with_a_message_never_an_error(self, recipient, reference, note):
        officer = factories.OfficerFactory()
        case = factories.OpenCaseFactory()
        try:
            report = external_report_record(
                actor=officer,
                case=case,
                reported_to="platform",
                recipient=recipient,
                reference=reference,
                note=note,
                reported_on=today(),
            )
        except ValidationError as error:
            refused = set(error.message_dict)
        else:
            refused = set()
            report.refresh_from_db()
            assert "\x00" not in report.recipient + report.reference + report.note
            assert 0 < len(report.recipient) <= 120
        if refused:
            assert refused <= {"recipient", "reference", "note"}
            assert not ExternalReport.objects.filter(case=case).exists()
