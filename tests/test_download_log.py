"""Every download of personal or bulk data is in the security log (issue 14): who, what, with which
filters or range, once per download; a refused download writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.models import SecurityEvent, SecurityEventKind
from moderation.models import Evidence
from tests import factories

pytestmark = pytest.mark.django_db

RANGE = {"start_day": "1", "start_month": "11", "start_year": "2026", "end_day": "30", "end_month": "11"}
RANGE["end_year"] = "2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


def downloads() -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=SecurityEventKind.DATA_DOWNLOADED).order_by("id"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_a_report_file(client, manager, fmt):
    client.force_login(manager)
    response = client.get(reverse("escalation:report_download", args=[fmt]), RANGE, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 200
    (event,) = downloads()
    assert (event.actor_id, event.ip_address) == (manager.pk, "198.51.100.9")
    assert event.detail["what"] == "report"
    assert event.detail["format"] == fmt
    assert (event.detail["start"], event.detail["end"]) == ("2026-11-01", "2026-11-30")
    assert event.detail["filters"]["start_month"] == "11"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_statements_of_reasons_in_bulk(client, manager, fmt):
    client.force_login(manager)
    assert client.get(reverse("escalation:statements_download", args=[fmt]), RANGE).status_code == 200
    (event,) = downloads()
    assert event.actor_id == manager.pk
    assert event.detail["what"] == "statements_of_reasons"
    assert (event.detail["format"], event.detail["rows"]) == (fmt, 0)


def test_a_cases_statements_of_reasons(client, officer):
    case = factories.OpenCaseFactory(recorded_by=officer)
    client.force_login(officer)
    assert client.get(reverse("moderation:case_statements", args=[case.pk])).status_code == 200
    (event,) = downloads()
    assert (event.actor_id, event.detail) == (officer.pk, {"what": "case_statements_of_reasons", "case": case.pk})


def test_a_subject_access_zip(client, manager, officer):
    case = factories.OpenCaseFactory(recorded_by=officer)
    client.force_login(manager)
    assert client.post(reverse("moderation:account_subject_access", args=[case.account_id])).status_code == 200
    (event,) = downloads()
    assert event.actor_id == manager.pk
    assert event.detail["what"] == "subject_access"
    assert event.detail["account"] == case.account_id
    assert event.detail["contents"]["cases"] == 1


def test_an_evidence_file(client, officer):
    case = factories.OpenCaseFactory(recorded_by=officer)
    evidence = Evidence.objects.create(
        case=case, file=SimpleUploadedFile("shot.png", PNG, content_type="image/png"), added_by=officer
    )
    client.force_login(officer)
    response = client.get(reverse("moderation:evidence_file", args=[case.pk, evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    (event,) = downloads()
    assert event.detail == {"what": "evidence_file", "case": case.pk, "evidence": evidence.pk}


def test_a_refused_or_bad_download_writes_nothing(client, officer, manager):
    client.force_login(officer)
    assert client.get(reverse("escalation:report_download", args=["csv"]), RANGE).status_code == 403
    assert client.get(reverse("escalation:statements_download", args=["csv"]), RANGE).status_code == 403
    case = factories.OpenCaseFactory(recorded_by=officer)
    assert client.post(reverse("moderation:account_subject_access", args=[case.account_id])).status_code == 403
    client.force_login(manager)
    bad = client.get(reverse("escalation:report_download", args=["csv"]), {**RANGE, "start_month": "13"})
    assert bad.status_code == 400
    assert downloads() == []


def test_reading_the_report_page_is_not_a_download(client, manager):
    client.force_login(manager)
    assert client.get(reverse("escalation:report"), RANGE).status_code == 200
    assert downloads() == []
