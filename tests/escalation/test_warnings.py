"""Written warnings and their sign-off: draft → awaiting sign-off → approved → sent (or withdrawn).

Routing (NHDC): a warning is signed off by the Communications Manager or the case's Service
Director, never by the person who asked. Every state change writes exactly one timeline event;
every refusal leaves the rows as they were.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from escalation import routing
from escalation.constants import SignOffKind, SignOffStatus, WarningStatus
from escalation.models import SignOff, Warning
from escalation.services import (
    signoff_decide,
    warning_draft,
    warning_mark_sent,
    warning_revise,
    warning_submit,
    warning_withdraw,
)
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Visibility
from moderation.models import CaseEvent
from tests import factories
from tests.factories import rule

LONDON = ZoneInfo("Europe/London")
POLICY = settings.SOCIAL_MEDIA_POLICY_URL
WITH_LINK = f"Please read our social media policy: {POLICY}"
NOT_DRAFTERS = [routing.SERVICE_DIRECTOR, routing.MANAGING_DIRECTOR]


@pytest.fixture
def case(db, service_area):
    return factories.OpenCaseFactory(
        service_area=service_area,
        account__display_name="Sam Smith",
        channel__name="NHDC Facebook",
        rules=[rule("abusive")],
    )


@pytest.fixture
def draft(case, officer):
    return warning_draft(actor=officer, case=case)


@pytest.fixture
def signoff(draft, officer):
    """The officer drafted the warning and sent it for sign-off."""
    return warning_submit(actor=officer, warning=draft)


def warning_in(status: str, case) -> Warning:
    """A warning on ``case`` in ``status`` (one factory per state)."""
    if status == WarningStatus.DRAFT:
        return factories.DraftWarningFactory(case=case)
    if status == WarningStatus.AWAITING_SIGNOFF:
        return factories.AwaitingSignoffWarningFactory(case=case)
    if status == WarningStatus.APPROVED:
        return factories.ApprovedWarningFactory(case=case)
    if status == WarningStatus.SENT:
        return factories.SentWarningFactory(case=case)
    return factories.DraftWarningFactory(case=case, status=WarningStatus.WITHDRAWN, withdrawn_at=clock.now())


def events() -> int:
    return CaseEvent.objects.count()


def new_events(since: int) -> list[CaseEvent]:
    return list(CaseEvent.objects.order_by("id")[since:])


def warning_row(warning: Warning) -> tuple:
    warning.refresh_from_db()
    return (warning.status, warning.text, warning.sent_by_id, warning.sent_at, warning.withdrawn_at)


def signoff_row(signoff: SignOff) -> tuple:
    signoff.refresh_from_db()
    return (signoff.status, signoff.decided_by_id, signoff.decided_at, signoff.reason)


# --- Drafting --------------------------------------------------------------------------------


class TestWarningDraft:
    def test_drafts_from_the_template_with_the_policy_link_and_the_account_name(self, case, officer):
        before = events()

        warning = warning_draft(actor=officer, case=case)

        warning.refresh_from_db()
        assert warning.status == WarningStatus.DRAFT
        assert warning.drafted_by == officer
        assert POLICY in warning.text
        assert "Hello Sam Smith," in warning.text
        assert "NHDC Facebook" in warning.text
        assert rule("abusive").title.lower() in warning.text
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_DRAFTED
        assert event.actor == officer
        assert (event.subject_type, event.subject_id) == ("warning", warning.pk)
        assert event.after == {"text": warning.text}

    def test_an_account_without_a_display_name_is_greeted_by_its_handle(self, officer):
        case = factories.OpenCaseFactory(account__display_name="", account__handle="angry_resident")

        warning = warning_draft(actor=officer, case=case)

        assert "Hello @angry_resident," in warning.text

    @pytest.mark.parametrize(
        ("visibility", "action"),
        [(Visibility.VISIBLE, "noted"), (Visibility.HIDDEN, "hidden"), (Visibility.DELETED, "removed")],
    )
    def test_the_template_says_what_was_done_to_the_post(self, case, officer, visibility, action):
        case.posts.update(visibility=visibility)

        warning = warning_draft(actor=officer, case=case)

        assert f"We have {action} your comment" in warning.text

    def test_drafts_the_text_given(self, case, manager):
        warning = warning_draft(actor=manager, case=case, text=f"  Stop it.\x00 {WITH_LINK}  ")

        assert warning.text == f"Stop it. {WITH_LINK}"
        assert warning.drafted_by == manager

    @pytest.mark.parametrize("text", ["Stop it now.", "", "   ", "See https://example.com/other-policy"])
    def test_refuses_text_without_the_policy_link(self, case, officer, text):
        before = events()

        with pytest.raises(ValidationError) as excinfo:
            warning_draft(actor=officer, case=case, text=text)

        assert "text" in excinfo.value.message_dict
        assert not Warning.objects.exists()
        assert events() == before

    @pytest.mark.parametrize(
        "in_progress", [WarningStatus.DRAFT, WarningStatus.AWAITING_SIGNOFF, WarningStatus.APPROVED]
    )
    def test_one_warning_in_progress_per_case(self, case, officer, in_progress):
        existing = warning_in(in_progress, case)
        before = events()

        with pytest.raises(ValidationError) as excinfo:
            warning_draft(actor=officer, case=case)

        assert excinfo.value.code == "conflict"
        assert list(case.warnings.all()) == [existing]
        assert events() == before

    @pytest.mark.parametrize("finished", [WarningStatus.SENT, WarningStatus.WITHDRAWN])
    def test_a_new_warning_can_follow_a_finished_one(self, case, officer, finished):
        warning_in(finished, case)

        warning = warning_draft(actor=officer, case=case)

        assert case.warnings.count() == 2
        assert warning.status == WarningStatus.DRAFT

    def test_refused_on_a_closed_case(self, officer):
        case = factories.OpenCaseFactory(status=CaseStatus.CLOSED, outcome=CaseOutcome.NO_ACTION, closed_at=clock.now())
        before = events()

        with pytest.raises(ValidationError) as excinfo:
            warning_draft(actor=officer, case=case)

        assert excinfo.value.code == "conflict"
        assert not Warning.objects.exists()
        assert events() == before

    @pytest.mark.parametrize("role", NOT_DRAFTERS)
    def test_refused_for_roles_that_do_not_draft(self, case, role):
        before = events()

        with pytest.raises(PermissionDenied):
            warning_draft(actor=factories.UserFactory(role=role), case=case)

        assert not Warning.objects.exists()
        assert events() == before


# --- Revising ----------------------------------------------------------------------------------


class TestWarningRevise:
    def test_changes_the_text_of_a_draft(self, draft, officer):
        old_text = draft.text
        before = events()

        warning_revise(actor=officer, warning=draft, text=f"Shorter. {WITH_LINK}")

        assert warning_row(draft)[:2] == (WarningStatus.DRAFT, f"Shorter. {WITH_LINK}")
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_REVISED
        assert event.actor == officer
        assert (event.before, event.after) == ({"text": old_text}, {"text": f"Shorter. {WITH_LINK}"})

    def test_the_same_text_again_returns_quietly(self, draft, officer):
        before_row, before = warning_row(draft), events()

        warning_revise(actor=officer, warning=draft, text=draft.text)

        assert warning_row(draft) == before_row
        assert events() == before

    def test_refuses_text_without_the_policy_link(self, draft, officer):
        before_row, before = warning_row(draft), events()

        with pytest.raises(ValidationError):
            warning_revise(actor=officer, warning=draft, text="No link here.")

        assert warning_row(draft) == before_row
        assert events() == before

    @pytest.mark.parametrize(
        "status",
        [WarningStatus.AWAITING_SIGNOFF, WarningStatus.APPROVED, WarningStatus.SENT, WarningStatus.WITHDRAWN],
    )
    def test_only_a_draft_can_be_revised(self, case, officer, status):
        warning = warning_in(status, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(ValidationError) as excinfo:
            warning_revise(actor=officer, warning=warning, text=f"New words. {WITH_LINK}")

        assert excinfo.value.code == "conflict"
        assert warning.get_status_display().lower() in excinfo.value.messages[0]
        assert warning_row(warning) == before_row
        assert events() == before


# --- Sending for sign-off ----------------------------------------------------------------------


class TestWarningSubmit:
    def test_creates_a_pending_sign_off_due_in_one_working_day(self, draft, officer):
        before = events()
        with clock.travel_to(datetime(2026, 1, 16, 15, 0, tzinfo=LONDON)):  # a Friday afternoon
            signoff = warning_submit(actor=officer, warning=draft)

        signoff.refresh_from_db()
        assert (signoff.kind, signoff.status, signoff.warning, signoff.case) == (
            SignOffKind.WARNING,
            SignOffStatus.PENDING,
            draft,
            draft.case,
        )
        assert signoff.requested_by == officer
        assert signoff.requested_at == datetime(2026, 1, 16, 15, 0, tzinfo=LONDON)
        assert signoff.due_at == datetime(2026, 1, 19, 15, 0, tzinfo=LONDON)
        assert warning_row(draft)[0] == WarningStatus.AWAITING_SIGNOFF
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_SUBMITTED
        assert event.actor == officer
        assert event.after == {"status": WarningStatus.AWAITING_SIGNOFF, "signoff": signoff.pk}

    def test_submitting_again_returns_the_same_sign_off(self, signoff, draft, officer):
        before = events()

        again = warning_submit(actor=officer, warning=draft)

        assert again == signoff
        assert SignOff.objects.count() == 1
        assert events() == before

    @pytest.mark.parametrize("status", [WarningStatus.APPROVED, WarningStatus.SENT, WarningStatus.WITHDRAWN])
    def test_refused_unless_a_draft(self, case, officer, status):
        warning = warning_in(status, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(ValidationError) as excinfo:
            warning_submit(actor=officer, warning=warning)

        assert excinfo.value.code == "conflict"
        assert warning_row(warning) == before_row
        assert not SignOff.objects.exists()
        assert events() == before

    @pytest.mark.parametrize("role", NOT_DRAFTERS)
    def test_refused_for_roles_that_do_not_draft(self, draft, role):
        before_row, before = warning_row(draft), events()

        with pytest.raises(PermissionDenied):
            warning_submit(actor=factories.UserFactory(role=role), warning=draft)

        assert warning_row(draft) == before_row
        assert not SignOff.objects.exists()
        assert events() == before


# --- Deciding the sign-off ---------------------------------------------------------------------


class TestWarningSignOff:
    @pytest.mark.parametrize("decider", ["manager", "director"], ids=["communications-manager", "case-director"])
    def test_approved_by_the_manager_or_the_cases_service_director(self, request, signoff, draft, decider):
        user = request.getfixturevalue(decider)
        before = events()
        moment = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)

        with clock.travel_to(moment):
            signoff_decide(actor=user, signoff=signoff, approve=True)

        assert signoff_row(signoff) == (SignOffStatus.APPROVED, user.pk, moment, "")
        assert warning_row(draft)[0] == WarningStatus.APPROVED
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_APPROVED
        assert event.actor == user
        assert event.before == {"status": WarningStatus.AWAITING_SIGNOFF}
        assert event.after == {"status": WarningStatus.APPROVED, "signoff": signoff.pk}

    @pytest.mark.parametrize("approve", [True, False], ids=["approve", "refuse"])
    @pytest.mark.parametrize("decider", ["other_director", "officer", "other_officer", "md"])
    def test_refused_for_a_role_that_cannot_decide(self, request, signoff, draft, decider, approve):
        user = request.getfixturevalue(decider)
        before_signoff, before_warning, before = signoff_row(signoff), warning_row(draft), events()

        with pytest.raises(PermissionDenied):
            signoff_decide(actor=user, signoff=signoff, approve=approve, reason="Not for me to say.")

        assert signoff_row(signoff) == before_signoff
        assert warning_row(draft) == before_warning
        assert events() == before

    def test_a_service_director_cannot_decide_on_a_case_with_no_service_area(self, director, officer):
        case = factories.OpenCaseFactory(service_area=None)
        signoff = warning_submit(actor=officer, warning=warning_draft(actor=officer, case=case))
        before = signoff_row(signoff)

        with pytest.raises(PermissionDenied):
            signoff_decide(actor=director, signoff=signoff, approve=True)

        assert signoff_row(signoff) == before

    @pytest.mark.parametrize("approve", [True, False], ids=["approve", "refuse"])
    def test_the_requester_cannot_decide_their_own_request_even_as_a_manager(self, case, manager, approve):
        own = warning_submit(actor=manager, warning=warning_draft(actor=manager, case=case))
        before_signoff, before_warning, before = signoff_row(own), warning_row(own.warning), events()

        with pytest.raises(PermissionDenied) as excinfo:
            signoff_decide(actor=manager, signoff=own, approve=approve, reason="Changed my mind.")

        assert "someone else" in str(excinfo.value)
        assert signoff_row(own) == before_signoff
        assert warning_row(own.warning) == before_warning
        assert events() == before

    def test_another_manager_decides_a_managers_request(self, case, manager, other_manager):
        own = warning_submit(actor=manager, warning=warning_draft(actor=manager, case=case))

        signoff_decide(actor=other_manager, signoff=own, approve=True)

        assert signoff_row(own)[:2] == (SignOffStatus.APPROVED, other_manager.pk)

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_refusal_needs_a_reason(self, signoff, draft, manager, reason):
        before_signoff, before_warning, before = signoff_row(signoff), warning_row(draft), events()

        with pytest.raises(ValidationError) as excinfo:
            signoff_decide(actor=manager, signoff=signoff, approve=False, reason=reason)

        assert "reason" in excinfo.value.message_dict
        assert signoff_row(signoff) == before_signoff
        assert warning_row(draft) == before_warning
        assert events() == before

    def test_a_refusal_returns_the_warning_to_its_drafter_with_the_reason(self, signoff, draft, director):
        before = events()
        moment = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)

        with clock.travel_to(moment):
            signoff_decide(actor=director, signoff=signoff, approve=False, reason="  Too harsh: soften it. ")

        assert signoff_row(signoff) == (SignOffStatus.REFUSED, director.pk, moment, "Too harsh: soften it.")
        assert warning_row(draft)[0] == WarningStatus.DRAFT
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_REFUSED
        assert event.actor == director
        assert event.note == "Too harsh: soften it."
        assert event.after == {"status": WarningStatus.DRAFT, "signoff": signoff.pk}

    def test_a_refused_warning_can_be_revised_and_sent_again(self, signoff, draft, officer, manager):
        signoff_decide(actor=manager, signoff=signoff, approve=False, reason="Too harsh.")

        warning_revise(actor=officer, warning=draft, text=f"Please be civil. {WITH_LINK}")
        second = warning_submit(actor=officer, warning=draft)

        assert second != signoff
        assert second.status == SignOffStatus.PENDING
        assert list(draft.signoffs.order_by("id").values_list("status", flat=True)) == [
            SignOffStatus.REFUSED,
            SignOffStatus.PENDING,
        ]

    @pytest.mark.parametrize("first_approves", [True, False], ids=["approved", "refused"])
    @pytest.mark.parametrize("second_approves", [True, False], ids=["then-approve", "then-refuse"])
    def test_an_already_decided_sign_off_names_the_first_decider(
        self, signoff, draft, manager, director, first_approves, second_approves
    ):
        signoff_decide(actor=manager, signoff=signoff, approve=first_approves, reason="First view.")
        before_signoff, before_warning, before = signoff_row(signoff), warning_row(draft), events()

        with pytest.raises(ValidationError) as excinfo:
            signoff_decide(actor=director, signoff=signoff, approve=second_approves, reason="Second view.")

        message = excinfo.value.messages[0]
        assert message.startswith("Already decided by")
        assert manager.get_full_name() in message
        assert signoff_row(signoff) == before_signoff
        assert warning_row(draft) == before_warning
        assert events() == before


# --- Sending and withdrawing -------------------------------------------------------------------


class TestWarningMarkSent:
    def test_an_approved_warning_is_sent_and_stamped(self, case, officer):
        warning = warning_in(WarningStatus.APPROVED, case)
        before = events()
        moment = datetime(2026, 1, 21, 9, 30, tzinfo=UTC)

        with clock.travel_to(moment):
            warning_mark_sent(actor=officer, warning=warning)

        status, _, sent_by, sent_at, _ = warning_row(warning)
        assert (status, sent_by, sent_at) == (WarningStatus.SENT, officer.pk, moment)
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_SENT
        assert event.actor == officer
        assert (event.before, event.after) == ({"status": WarningStatus.APPROVED}, {"status": WarningStatus.SENT})

    def test_the_whole_way_from_draft_to_sent(self, signoff, draft, officer, manager):
        signoff_decide(actor=manager, signoff=signoff, approve=True)
        warning_mark_sent(actor=officer, warning=draft)

        assert warning_row(draft)[0] == WarningStatus.SENT
        assert list(CaseEvent.objects.filter(case=draft.case).values_list("kind", flat=True)) == [
            EventKind.WARNING_DRAFTED,
            EventKind.WARNING_SUBMITTED,
            EventKind.WARNING_APPROVED,
            EventKind.WARNING_SENT,
        ]

    def test_sent_again_returns_quietly(self, case, other_officer):
        warning = warning_in(WarningStatus.SENT, case)
        before_row, before = warning_row(warning), events()

        warning_mark_sent(actor=other_officer, warning=warning)

        assert warning_row(warning) == before_row
        assert events() == before

    @pytest.mark.parametrize("status", [WarningStatus.DRAFT, WarningStatus.AWAITING_SIGNOFF, WarningStatus.WITHDRAWN])
    def test_only_an_approved_warning_can_be_sent(self, case, officer, status):
        warning = warning_in(status, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(ValidationError) as excinfo:
            warning_mark_sent(actor=officer, warning=warning)

        assert excinfo.value.code == "conflict"
        assert warning_row(warning) == before_row
        assert warning_row(warning)[2:4] == (None, None)
        assert events() == before

    @pytest.mark.parametrize("role", NOT_DRAFTERS)
    def test_refused_for_roles_that_do_not_draft(self, case, role):
        warning = warning_in(WarningStatus.APPROVED, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(PermissionDenied):
            warning_mark_sent(actor=factories.UserFactory(role=role), warning=warning)

        assert warning_row(warning) == before_row
        assert events() == before


class TestWarningWithdraw:
    @pytest.mark.parametrize("status", [WarningStatus.DRAFT, WarningStatus.APPROVED])
    def test_withdraws_with_a_reason(self, case, officer, status):
        warning = warning_in(status, case)
        before = events()
        moment = datetime(2026, 1, 22, 14, 0, tzinfo=UTC)

        with clock.travel_to(moment):
            warning_withdraw(actor=officer, warning=warning, reason="The resident apologised.")

        status_after, _, _, _, withdrawn_at = warning_row(warning)
        assert (status_after, withdrawn_at) == (WarningStatus.WITHDRAWN, moment)
        [event] = new_events(before)
        assert event.kind == EventKind.WARNING_WITHDRAWN
        assert event.actor == officer
        assert event.before == {"status": status}
        assert event.note == "The resident apologised."

    @pytest.mark.parametrize("reason", ["", "  \n"])
    def test_needs_a_reason(self, case, officer, reason):
        warning = warning_in(WarningStatus.DRAFT, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(ValidationError) as excinfo:
            warning_withdraw(actor=officer, warning=warning, reason=reason)

        assert "reason" in excinfo.value.message_dict
        assert warning_row(warning) == before_row
        assert events() == before

    @pytest.mark.parametrize("status", [WarningStatus.AWAITING_SIGNOFF, WarningStatus.SENT])
    def test_refused_while_awaiting_sign_off_or_once_sent(self, case, officer, status):
        warning = warning_in(status, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(ValidationError) as excinfo:
            warning_withdraw(actor=officer, warning=warning, reason="No longer needed.")

        assert excinfo.value.code == "conflict"
        assert warning_row(warning) == before_row
        assert events() == before

    def test_withdrawn_again_returns_quietly(self, case, officer):
        warning = warning_in(WarningStatus.WITHDRAWN, case)
        before_row, before = warning_row(warning), events()

        warning_withdraw(actor=officer, warning=warning, reason="Again.")

        assert warning_row(warning) == before_row
        assert events() == before

    @pytest.mark.parametrize("role", NOT_DRAFTERS)
    def test_refused_for_roles_that_do_not_draft(self, case, role):
        warning = warning_in(WarningStatus.DRAFT, case)
        before_row, before = warning_row(warning), events()

        with pytest.raises(PermissionDenied):
            warning_withdraw(actor=factories.UserFactory(role=role), warning=warning, reason="Not needed.")

        assert warning_row(warning) == before_row
        assert events() == before
