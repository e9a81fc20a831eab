"""Enquiry pages (issue 12): a post or a case recorded as an enquiry, refusals shown in the form, the
case page's deadline, reply to copy and handing on, the queue's kind tag and filter, and the admin."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from moderation import clock
from moderation.constants import EventKind
from moderation.enquiries import enquiry_record
from moderation.models import CaseEvent, Enquiry, OutboxMessage
from policy import services as policy
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 18, 11, tzinfo=LONDON)  # a Friday a week before Christmas


def received(day: date) -> dict:
    return {"received_on_day": str(day.day), "received_on_month": str(day.month), "received_on_year": str(day.year)}


def test_an_foi_request_with_no_name_or_address_is_refused_in_the_form(client, officer):
    post = factories.PostFactory(case=None)
    client.force_login(officer)
    with clock.travel_to(NOW):
        response = client.post(
            reverse("escalation:enquiry_from_post", args=[post.pk]),
            {"kind": "foi", **received(NOW.date()), "description": "Bin collection figures."},
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "accepted only from an identified person" in page
    assert "needs an address for correspondence" in page
    assert not Enquiry.objects.exists()
    post.refresh_from_db()
    assert post.case_id is None


def test_an_foi_request_from_a_post_shows_its_20_working_day_deadline_and_is_handed_on(
    client, officer, django_capture_on_commit_callbacks
):
    policy.revise(reason="Hart's FOI page.", foi_url="https://www.hart.gov.uk/foi")
    post = factories.PostFactory(case=None, text="Please send me the fly-tipping figures.")
    client.force_login(officer)
    with clock.travel_to(NOW):
        response = client.post(
            reverse("escalation:enquiry_from_post", args=[post.pk]),
            {
                "kind": "foi",
                **received(NOW.date()),
                "requester_name": "Sam Jones",
                "correspondence_address": "sam@example.org",
                "description": "Fly-tipping reports in Fleet, 2026.",
            },
            follow=True,
        )
        page = response.content.decode()
    assert "Recorded as a freedom of information request. Answer due by 20 January 2027." in page
    assert "Wednesday 20 January 2027" in page
    assert "20 working days from receipt" in page
    assert "House rules broken" not in page  # an enquiry breaks no rule
    assert "Why it was recorded" in page
    assert "Reply to copy" in page
    assert "https://www.hart.gov.uk/foi" in page
    enquiry = Enquiry.objects.get()
    with clock.travel_to(NOW), django_capture_on_commit_callbacks():
        response = client.post(
            reverse("escalation:enquiry_step", args=[enquiry.pk, "hand_on"]),
            {"team": "FOI team", "email": "foi@hart.example", "reference": "FOI-2026-42"},
            follow=True,
        )
    page = response.content.decode()
    assert "Handed on to FOI team. foi@hart.example is emailed the request." in page
    assert "FOI team, reference FOI-2026-42" in page
    assert OutboxMessage.objects.get(kind="enquiry_handed_on").recipients == ["foi@hart.example"]


def test_the_saved_reply_sent_is_recorded_and_stops_the_clock(client, officer):
    policy.revise(reason="Hart's complaints page.", complaints_url="https://www.hart.gov.uk/complaints")
    case = factories.OpenCaseFactory()
    enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=timezone.localdate(clock.now()))
    client.force_login(officer)
    page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
    assert "formal complaints procedure" in page
    assert "Not yet" in page
    response = client.post(reverse("escalation:enquiry_saved_reply_sent", args=[enquiry.pk]), follow=True)
    assert "Recorded: the saved reply was sent." in response.content.decode()
    event = CaseEvent.objects.get(case=case, kind=EventKind.ENQUIRY_SIGNPOSTED)
    assert event.after["url"] == "https://www.hart.gov.uk/complaints"
    enquiry.refresh_from_db()
    assert enquiry.signposted_at is not None


def test_a_holding_reply_without_its_date_is_refused_in_the_form(client, officer):
    case = factories.OpenCaseFactory()
    enquiry = enquiry_record(actor=officer, case=case, kind="question", received_on=timezone.localdate(clock.now()))
    client.force_login(officer)
    response = client.post(reverse("escalation:enquiry_step", args=[enquiry.pk, "reply"]), {"reply": "holding"})
    assert "says when they will get a full answer" in response.content.decode()
    assert not CaseEvent.objects.filter(kind=EventKind.ENQUIRY_HOLDING_REPLY).exists()


def test_the_queue_tags_enquiries_with_their_kind_and_filters_by_kind(client, officer):
    complaint = factories.OpenCaseFactory()
    enquiry_record(actor=officer, case=complaint, kind="complaint", received_on=timezone.localdate(clock.now()))
    ordinary = factories.OpenCaseFactory()
    client.force_login(officer)
    page = client.get(reverse("moderation:case_list")).content.decode()
    assert page.count("app-enquiry-tag") == 1
    assert ">Complaint</strong>" in page
    filtered = client.get(reverse("moderation:case_list"), {"kind": "complaint"}).content.decode()
    assert f"/cases/{complaint.pk}/" in filtered
    assert f"/cases/{ordinary.pk}/" not in filtered
    assert "Enquiry: Complaint" in filtered  # the filter's tag, to remove it
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("moderation:case_list"))
    for _ in range(5):
        enquiry_record(
            actor=officer,
            case=factories.OpenCaseFactory(),
            kind="question",
            received_on=timezone.localdate(clock.now()),
        )
    client.get(reverse("moderation:case_list"))  # the navigation counts, moved on by the writes, cached again
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("moderation:case_list")).content.decode()
    assert page.count("app-enquiry-tag") == 6
    assert len(many) == len(few)  # the kind comes with the cases: no query per row


def test_the_admin_lists_enquiries_read_only_within_the_case_reach(client, officer, director, service_area):
    mine = factories.OpenCaseFactory(service_area=service_area)
    enquiry_record(actor=officer, case=mine, kind="complaint", received_on=timezone.localdate(clock.now()))
    url = reverse("admin:moderation_enquiry_changelist")
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200
    assert "Complaint" in response.content.decode()
    assert client.get(reverse("admin:moderation_enquiry_add")).status_code == 403
    director.is_staff = True  # a Service Director's work is in the workspace: the admin stays shut
    director.save(update_fields=["is_staff"])
    client.force_login(director)
    assert client.get(url).status_code in (302, 403)


def test_asking_to_clarify_pauses_the_clock_on_the_case_page_and_their_reply_moves_the_date(client, officer):
    policy.revise(reason="England and Wales.", bank_holidays="ENG")
    start = datetime(2027, 3, 1, 10, tzinfo=LONDON)  # a Monday: due 31 March (Good Friday, Easter Monday)
    with clock.travel_to(start):
        case = factories.OpenCaseFactory()
        enquiry = enquiry_record(
            actor=officer,
            case=case,
            kind="foi",
            received_on=start.date(),
            requester_name="Sam Jones",
            correspondence_address="1 High Street, Fleet",
            description="Parking fines issued in 2026.",
        )
    client.force_login(officer)
    case_url = reverse("moderation:case_detail", args=[case.pk])
    with clock.travel_to(datetime(2027, 3, 2, 10, tzinfo=LONDON)):
        client.post(
            reverse("escalation:enquiry_step", args=[enquiry.pk, "clarify"]),
            {"asked_on_day": "2", "asked_on_month": "3", "asked_on_year": "2027"},
        )
        page = client.get(case_url).content.decode()
    assert "Clock paused" in page
    assert "Wednesday 31 March 2027" in page
    with clock.travel_to(datetime(2027, 3, 5, 10, tzinfo=LONDON)):
        response = client.post(
            reverse("escalation:enquiry_step", args=[enquiry.pk, "clarified"]),
            {"replied_on_day": "5", "replied_on_month": "3", "replied_on_year": "2027"},
            follow=True,
        )
    page = response.content.decode()
    assert "The clock restarted." in page
    assert "Monday 5 April 2027" in page
    assert "plus 3 working days paused to clarify" in page
    assert "Clock paused" not in page


def answered(day: date, **extra) -> dict:
    parts = {"answered_on_day": day.day, "answered_on_month": day.month, "answered_on_year": day.year}
    return {**{name: str(value) for name, value in parts.items()}, **extra}


def test_the_answer_step_closes_the_case_with_it_by_default(client, officer):
    case = factories.OpenCaseFactory()
    enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=timezone.localdate(clock.now()))
    client.force_login(officer)
    url = reverse("escalation:enquiry_step", args=[enquiry.pk, "answered"])
    page = client.get(url).content.decode()
    assert "Close the case too?" in page
    assert re.search(r'<input[^>]*value="yes"[^>]*checked', page)  # "yes" is chosen already
    response = client.post(url, answered(timezone.localdate(clock.now()), close_case="yes"), follow=True)
    assert "Answered: the enquiry and the case are closed (enquiry answered)." in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "enquiry_answered")


def test_the_answer_step_keeps_the_case_open_when_asked_or_when_a_decision_waits(client, officer):
    today = timezone.localdate(clock.now())
    client.force_login(officer)
    case = factories.OpenCaseFactory()
    enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=today)
    url = reverse("escalation:enquiry_step", args=[enquiry.pk, "answered"])
    response = client.post(url, answered(today, close_case="no"), follow=True)
    assert "Answered: the enquiry is closed. The case stays open." in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"

    waiting = factories.OpenCaseFactory()
    factories.AwaitingSignoffWarningFactory(case=waiting, drafted_by=officer)
    enquiry = enquiry_record(actor=officer, case=waiting, kind="complaint", received_on=today)
    url = reverse("escalation:enquiry_step", args=[enquiry.pk, "answered"])
    response = client.post(url, answered(today, close_case="yes"), follow=True)
    assert "The case stays open: A sign-off on the case waits for a decision" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "open"


def test_the_answer_step_asks_nothing_about_a_closed_case_and_refuses_no_choice(client, officer):
    from moderation.services import case_close

    today = timezone.localdate(clock.now())
    client.force_login(officer)
    case = factories.OpenCaseFactory()
    enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=today)
    url = reverse("escalation:enquiry_step", args=[enquiry.pk, "answered"])
    response = client.post(url, answered(today))
    assert response.status_code == 200
    assert "Select whether to close the case too" in response.content.decode()
    case_close(actor=officer, case=case, outcome="no_action")
    assert "Close the case too?" not in client.get(url).content.decode()
    page = client.post(url, answered(today), follow=True).content.decode()
    assert "Answered: the enquiry is closed." in page
    assert "The case stays open" not in page
    case.refresh_from_db()
    assert case.outcome == "no_action"
