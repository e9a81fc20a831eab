"""Enquiries (issue 12, "Requests the law or the policy clocks"): their kinds' rules from the policies,
their legal deadlines, handing on to the owning team, and the first-response clock they stop."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from escalation.case_selectors import case_queue
from moderation import clock
from moderation.constants import EventKind
from moderation.enquiries import (
    enquiry_answered,
    enquiry_ask_to_clarify,
    enquiry_clarified,
    enquiry_hand_on,
    enquiry_record,
    enquiry_record_from_post,
    enquiry_reply_record,
    one_calendar_month_after,
    saved_reply,
)
from moderation.models import CaseEvent, Enquiry, OutboxMessage
from policy import services as policy
from policy.models import BankHolidays
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def today() -> date:
    return timezone.localdate(clock.now())


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def foi(officer, case, received_on: date, **kwargs) -> Enquiry:
    fields = {
        "requester_name": "Sam Jones",
        "correspondence_address": "sam@example.org",
        "description": "The number of fly-tipping reports in Fleet in 2026.",
        **kwargs,
    }
    return enquiry_record(actor=officer, case=case, kind="foi", received_on=received_on, **fields)


def a_case_on(day: date):
    with clock.travel_to(at(day)):
        return factories.OpenCaseFactory()


@pytest.mark.parametrize(
    ("holidays", "received", "due"),
    [
        # Christmas Day (Fri), Boxing Day's substitute (Mon 28th) and New Year's Day (Fri) are not counted
        (BankHolidays.ENGLAND_AND_WALES, date(2026, 12, 18), date(2027, 1, 20)),
        # Scotland adds 2 January (a Saturday in 2027: its substitute is Monday 4 January)
        (BankHolidays.SCOTLAND, date(2026, 12, 18), date(2027, 1, 21)),
        # Good Friday 26 March 2027 and Easter Monday 29 March in England and Wales
        (BankHolidays.ENGLAND_AND_WALES, date(2027, 3, 19), date(2027, 4, 20)),
        # Scotland has Good Friday but no Easter Monday
        (BankHolidays.SCOTLAND, date(2027, 3, 19), date(2027, 4, 19)),
    ],
)
def test_an_foi_request_is_due_20_working_days_after_receipt_in_the_policys_bank_holidays(
    officer, holidays, received, due
):
    policy.revise(reason="The calendar of this test.", bank_holidays=holidays)
    case = a_case_on(received)
    with clock.travel_to(at(received, 15)):
        enquiry = foi(officer, case, received)
    assert enquiry.due_on == due
    event = CaseEvent.objects.get(case=case, kind=EventKind.ENQUIRY_RECORDED)
    assert event.after == {"kind": "foi", "received_on": received.isoformat(), "due_on": due.isoformat()}


@pytest.mark.parametrize(
    ("received", "due"),
    [(date(2027, 1, 31), date(2027, 2, 28)), (date(2028, 1, 31), date(2028, 2, 29))],
)
def test_a_subject_access_request_is_due_one_calendar_month_after_receipt(officer, received, due):
    case = a_case_on(received)
    with clock.travel_to(at(received, 15)):
        enquiry = enquiry_record(actor=officer, case=case, kind="subject_access", received_on=received)
    assert enquiry.due_on == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 11, 30)))
def test_one_calendar_month_is_the_same_day_next_month_or_its_last_day(received):
    due = one_calendar_month_after(received)
    assert (due.year * 12 + due.month) - (received.year * 12 + received.month) == 1
    assert due.day == received.day or (due.day < received.day and (due + timedelta(days=1)).day == 1)


def test_an_foi_request_with_no_name_or_address_is_refused_and_nothing_written(officer):
    case = factories.OpenCaseFactory()
    with pytest.raises(ValidationError) as refused:
        foi(officer, case, today(), requester_name=" ", correspondence_address="", description="")
    messages = refused.value.message_dict
    assert "only from an identified person" in messages["requester_name"][0]
    assert "address for correspondence" in messages["correspondence_address"][0]
    assert "clear description" in messages["description"][0]
    with pytest.raises(ValidationError) as refused:
        enquiry_record(actor=officer, case=case, kind="consultation", received_on=today())
    assert "identified person" in refused.value.message_dict["requester_name"][0]
    assert not Enquiry.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.ENQUIRY_RECORDED).exists()


def test_only_officers_and_managers_record_enquiries(officer, manager, director, md):
    for outsider in (director, md):
        with pytest.raises(PermissionDenied):
            enquiry_record(actor=outsider, case=factories.OpenCaseFactory(), kind="question", received_on=today())
    for member in (officer, manager):
        assert enquiry_record(actor=member, case=factories.OpenCaseFactory(), kind="question", received_on=today())


def test_asking_to_clarify_pauses_the_clock_and_the_deadline_moves_by_the_paused_working_days(officer):
    policy.revise(reason="England and Wales.", bank_holidays=BankHolidays.ENGLAND_AND_WALES)
    received = date(2027, 3, 1)  # a Monday; 20 working days, skipping Good Friday and Easter Monday: 31 March
    case = a_case_on(received)
    with clock.travel_to(at(received)):
        enquiry = foi(officer, case, received)
    assert enquiry.due_on == date(2027, 3, 31)
    with clock.travel_to(at(date(2027, 3, 2))):
        enquiry = enquiry_ask_to_clarify(actor=officer, enquiry=enquiry, asked_on=date(2027, 3, 2))
    assert enquiry.status == "clarifying"
    with clock.travel_to(at(date(2027, 3, 5))):  # Tuesday to Friday: 3 working days paused
        enquiry = enquiry_clarified(actor=officer, enquiry=enquiry, replied_on=date(2027, 3, 5))
    enquiry.refresh_from_db()
    # three more working days after 31 March: 1, 2 and 5 April
    assert (enquiry.paused_working_days, enquiry.due_on, enquiry.status) == (3, date(2027, 4, 5), "open")
    event = CaseEvent.objects.get(case=case, kind=EventKind.ENQUIRY_CLARIFIED)
    assert event.before == {"due_on": "2027-03-31"}
    assert event.after["paused_working_days"] == 3


def test_a_reply_before_they_clarify_is_refused(officer):
    enquiry = foi(officer, factories.OpenCaseFactory(), today())
    with pytest.raises(ValidationError, match="not paused"):
        enquiry_clarified(actor=officer, enquiry=enquiry, replied_on=today())


def test_handing_on_is_recorded_and_the_team_is_emailed_through_the_outbox(officer, django_capture_on_commit_callbacks):
    enquiry = foi(officer, factories.OpenCaseFactory(), today())
    with django_capture_on_commit_callbacks():
        enquiry_hand_on(actor=officer, enquiry=enquiry, team="FOI team", email="foi@hart.example", reference="FOI-42")
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.handed_to_team, enquiry.handed_reference) == ("handed_on", "FOI team", "FOI-42")
    message = OutboxMessage.objects.get(kind="enquiry_handed_on")
    assert message.recipients == ["foi@hart.example"]
    assert "FOI-42" in message.subject
    assert f"Answer due by: {enquiry.due_on:%-d %B %Y}" in message.body
    assert "sam@example.org" in message.body
    event = CaseEvent.objects.get(kind=EventKind.ENQUIRY_HANDED_ON)
    assert event.after == {"team": "FOI team", "email": "foi@hart.example", "reference": "FOI-42"}


def test_handing_on_with_no_team_or_a_bad_email_is_refused_and_nobody_emailed(officer):
    enquiry = foi(officer, factories.OpenCaseFactory(), today())
    with pytest.raises(ValidationError) as refused:
        enquiry_hand_on(actor=officer, enquiry=enquiry, team=" ", email="not an email")
    assert set(refused.value.message_dict) == {"team", "email"}
    assert not OutboxMessage.objects.filter(kind="enquiry_handed_on").exists()


def test_the_answer_closes_the_enquiry(officer):
    enquiry = foi(officer, factories.OpenCaseFactory(), today())
    enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today())
    enquiry.refresh_from_db()
    assert enquiry.status == "answered"
    with pytest.raises(ValidationError, match="has been answered"):
        enquiry_reply_record(actor=officer, enquiry=enquiry, reply="reply")


@pytest.mark.parametrize("reply", ["reply", "holding", "signpost"])
def test_a_reply_a_holding_reply_or_a_signpost_stops_the_first_response_clock(officer, reply):
    recorded = at(date(2027, 3, 1))
    with clock.travel_to(recorded):
        case = factories.OpenCaseFactory(response_due_at=recorded + timedelta(days=1))
        enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=date(2027, 3, 1))
    with clock.travel_to(recorded + timedelta(hours=2)):
        enquiry_reply_record(actor=officer, enquiry=enquiry, reply=reply, full_answer_by=date(2027, 3, 10))
    with clock.travel_to(recorded + timedelta(days=7)):
        assert case not in list(case_queue({"overdue": "true"}, user=officer).qs)
        assert case in list(case_queue({"kind": "complaint"}, user=officer).qs)
        assert case not in list(case_queue({"kind": "foi"}, user=officer).qs)
    enquiry.refresh_from_db()
    assert (enquiry.signposted_at is not None) == (reply == "signpost")


def test_an_enquiry_nobody_answered_is_still_overdue(officer):
    recorded = at(date(2027, 3, 1))
    with clock.travel_to(recorded):
        case = factories.OpenCaseFactory(response_due_at=recorded + timedelta(days=1))
        enquiry_record(actor=officer, case=case, kind="complaint", received_on=date(2027, 3, 1))
    with clock.travel_to(recorded + timedelta(days=7)):
        assert case in list(case_queue({"overdue": "true"}, user=officer).qs)


def test_a_holding_reply_needs_the_date_of_the_full_answer(officer):
    enquiry = enquiry_record(actor=officer, case=factories.OpenCaseFactory(), kind="question", received_on=today())
    with pytest.raises(ValidationError) as refused:
        enquiry_reply_record(actor=officer, enquiry=enquiry, reply="holding")
    assert "full answer" in refused.value.message_dict["full_answer_by"][0]
    assert not CaseEvent.objects.filter(kind=EventKind.ENQUIRY_HOLDING_REPLY).exists()


def test_a_post_in_no_case_becomes_a_case_and_an_enquiry(officer):
    post = factories.PostFactory(case=None)
    enquiry = enquiry_record_from_post(
        actor=officer,
        post=post,
        kind="foi",
        received_on=today(),
        requester_name="Sam Jones",
        correspondence_address="sam@example.org",
        description="Fleet fly-tipping figures.",
    )
    post.refresh_from_db()
    assert post.case == enquiry.case
    assert not enquiry.case.rules.exists()
    kinds = list(CaseEvent.objects.filter(case=enquiry.case).order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.CASE_RECORDED, EventKind.ENQUIRY_RECORDED]


def test_saved_replies_come_from_the_policys_signposting_urls():
    policy.revise(
        reason="Hart's pages.",
        complaints_url="https://www.hart.gov.uk/complaints",
        foi_url="https://www.hart.gov.uk/foi",
        contact_url="",
    )
    assert "https://www.hart.gov.uk/complaints" in saved_reply("complaint")["text"]
    assert "formal complaints procedure" in saved_reply("complaint")["text"]
    assert saved_reply("foi")["url"] == "https://www.hart.gov.uk/foi"
    assert saved_reply("question") == {"missing": "Contact page URL"}


class TestAnyText(HypothesisTestCase):
    @settings(max_examples=30, deadline=None)
    @given(
        name=st.text(max_size=260),
        address=st.text(max_size=4100),
        description=st.text(max_size=4100),
        team=st.text(max_size=160),
    )
    def test_any_text_is_stored_or_refused_with_a_message_never_an_error(self, name, address, description, team):
        officer = factories.OfficerFactory()
        case = factories.OpenCaseFactory()
        refused: set[str] = set()
        try:
            enquiry = foi(
                officer, case, today(), requester_name=name, correspondence_address=address, description=description
            )
        except ValidationError as error:
            refused = set(error.message_dict)
        if refused:
            assert refused <= {"requester_name", "correspondence_address", "description"}
            assert not Enquiry.objects.filter(case=case).exists()
            return
        enquiry.refresh_from_db()
        assert "\x00" not in enquiry.requester_name + enquiry.correspondence_address + enquiry.description
        assert all((enquiry.requester_name, enquiry.correspondence_address, enquiry.description))
        try:
            enquiry_hand_on(actor=officer, enquiry=enquiry, team=team)
        except ValidationError as error:
            refused = set(error.message_dict)
        if refused:
            assert refused == {"team"}
            assert not CaseEvent.objects.filter(case=case, kind=EventKind.ENQUIRY_HANDED_ON).exists()
        else:
            enquiry.refresh_from_db()
            assert 0 < len(enquiry.handed_to_team) <= 120


def test_a_team_or_reference_over_several_lines_is_kept_on_one_line_for_the_emails_subject(
    officer, django_capture_on_commit_callbacks
):
    enquiry = foi(officer, factories.OpenCaseFactory(), today())
    with django_capture_on_commit_callbacks():
        enquiry_hand_on(actor=officer, enquiry=enquiry, team="FOI\nteam", email="foi@hart.example", reference="A\r\nB")
    message = OutboxMessage.objects.get(kind="enquiry_handed_on")
    assert "\n" not in message.subject
    assert "FOI team" in message.subject
    assert "A B" in message.subject


class TestTheAnswerClosesTheCase:
    """An enquiry answered (handed on or not) closes its case too when asked, with the outcome a reader
    expects: "Enquiry answered" when nothing else was done on the case, else the moderation action."""

    def test_a_handed_on_enquiry_answered_closes_its_case_as_enquiry_answered(self, officer):
        case = factories.OpenCaseFactory()
        enquiry = foi(officer, case, today())
        enquiry_hand_on(actor=officer, enquiry=enquiry, team="FOI team", reference="FOI-42")
        answered = enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        assert answered.case_kept_open == ""
        case.refresh_from_db()
        assert (case.status, case.outcome) == ("closed", "enquiry_answered")
        assert case.get_outcome_display() == "Enquiry answered"
        closed = CaseEvent.objects.get(case=case, kind=EventKind.CASE_CLOSED)
        assert closed.after == {"status": "closed", "outcome": "enquiry_answered"}
        assert closed.note == "Closed with the enquiry's answer."
        assert closed.actor == officer
        kinds = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
        assert kinds[-2:] == [EventKind.ENQUIRY_ANSWERED, EventKind.CASE_CLOSED]

    def test_a_case_whose_post_was_hidden_closes_as_post_removed(self, officer):
        from moderation.models import Post

        case = factories.OpenCaseFactory()
        Post.objects.filter(case=case).update(visibility="hidden")
        enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=today())
        enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        case.refresh_from_db()
        assert case.outcome == "post_removed"

    def test_a_warning_sent_on_the_case_is_its_outcome(self, officer):
        from moderation.events import record_event

        case = factories.OpenCaseFactory()
        record_event(case=case, kind=EventKind.WARNING_SENT, actor=officer, subject=case)
        enquiry = enquiry_record(actor=officer, case=case, kind="complaint", received_on=today())
        enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        case.refresh_from_db()
        assert case.outcome == "warned"

    def test_not_asked_the_case_stays_open(self, officer):
        case = factories.OpenCaseFactory()
        enquiry = foi(officer, case, today())
        assert enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today()).case_kept_open == ""
        case.refresh_from_db()
        assert case.status == "open"
        assert not CaseEvent.objects.filter(case=case, kind=EventKind.CASE_CLOSED).exists()

    def test_a_pending_sign_off_keeps_the_case_open_but_the_answer_is_recorded(self, officer):
        case = factories.OpenCaseFactory()
        factories.AwaitingSignoffWarningFactory(case=case, drafted_by=officer)
        enquiry = foi(officer, case, today())
        answered = enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        assert "sign-off" in answered.case_kept_open
        case.refresh_from_db()
        enquiry.refresh_from_db()
        assert (case.status, enquiry.status) == ("open", "answered")

    def test_a_safeguarding_case_waiting_for_its_lead_stays_open(self, officer):
        from moderation.safeguarding import case_mark_safeguarding

        case = factories.OpenCaseFactory()
        case_mark_safeguarding(actor=officer, case=case, reason="A risk to the author.")
        enquiry = foi(officer, case, today())
        answered = enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        assert "safeguarding" in answered.case_kept_open
        case.refresh_from_db()
        assert case.status == "open"

    def test_an_already_closed_case_is_left_as_it_is(self, officer):
        from moderation.services import case_close

        case = factories.OpenCaseFactory()
        enquiry = foi(officer, case, today())
        case_close(actor=officer, case=case, outcome="no_action")
        enquiry_answered(actor=officer, enquiry=enquiry, answered_on=today(), close_case=True)
        case.refresh_from_db()
        assert case.outcome == "no_action"
        assert CaseEvent.objects.filter(case=case, kind=EventKind.CASE_CLOSED).count() == 1
