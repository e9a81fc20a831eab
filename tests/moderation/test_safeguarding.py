"""Safeguarding cases (Cafcass, HMPPS, Hart): marked at recording or later, the leads alerted at once
(any hour, weekends too), the ladder held until a lead records the referral, the clock in hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation import routing
from escalation.models import Block, Warning
from escalation.services import block_immediate, block_propose, channel_ban, warning_draft
from moderation import clock
from moderation.constants import EventKind, Platform, SafeguardingAgency
from moderation.models import CaseEvent, HouseRule, OutboxMessage, SafeguardingReferral
from moderation.safeguarding import case_mark_safeguarding, safeguarding_referral_record
from moderation.services import PostData, case_record
from tests import factories
from tests.factories import rule

LONDON = ZoneInfo("Europe/London")
SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 10, tzinfo=LONDON)  # a Saturday, out of every office's hours


@pytest.fixture
def lead(db):
    return factories.SafeguardingLeadFactory(username="sophie", email="sophie@council.example")


@pytest.fixture
def self_harm(db):
    return HouseRule.objects.create(
        code="self-harm", title="Explicit detail of self-harm or suicide", safeguarding=True, position=90
    )


def record(officer, channel, rules, text="I can't go on, I've got the tablets ready"):
    return case_record(
        actor=officer,
        platform=Platform.FACEBOOK,
        handle="@worried_resident",
        posts=[PostData(channel=channel, posted_at=clock.now() - timedelta(minutes=5), text=text, external_id="p1")],
        rules=rules,
        reason="Self-harm disclosure in reply to our post.",
    ).case


def events(case, kind):
    return list(CaseEvent.objects.filter(case=case, kind=kind))


class TestMarkedAtRecording:
    def test_a_safeguarding_rule_marks_the_case_and_alerts_the_leads_at_a_weekend(
        self, officer, manager, channel, lead, self_harm, django_capture_on_commit_callbacks, mailoutbox
    ):
        other_lead = factories.SafeguardingLeadFactory(username="sam_lead", email="sam.lead@council.example")
        factories.SafeguardingLeadFactory(username="gone", email="gone@council.example", is_active=False)
        with clock.travel_to(SATURDAY_NIGHT), django_capture_on_commit_callbacks(execute=True):
            case = record(officer, channel, [self_harm])
        case.refresh_from_db()
        assert case.safeguarding_at == SATURDAY_NIGHT
        # the clock runs in hours, day and night: 4 hours after 23:10 on Saturday is 03:10 on Sunday
        assert case.safeguarding_due_at == SATURDAY_NIGHT + timedelta(hours=4)
        assert case.safeguarding_by == officer
        assert len(events(case, EventKind.SAFEGUARDING_MARKED)) == 1
        [alerted] = events(case, EventKind.SAFEGUARDING_LEADS_ALERTED)
        assert sorted(alerted.after["emails"]) == ["sam.lead@council.example", "sophie@council.example"]
        # one email per active lead, to that lead only; never the officer, manager or an inactive lead
        assert sorted(m.to[0] for m in mailoutbox) == ["sam.lead@council.example", "sophie@council.example"]
        assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)
        assert {officer.email, manager.email, "gone@council.example"}.isdisjoint({m.to[0] for m in mailoutbox})
        assert "SAFEGUARDING" in mailoutbox[0].subject
        # the email names the case and links to it, but never carries the post's text
        assert f"/cases/{case.pk}/" in mailoutbox[0].body
        assert "tablets" not in mailoutbox[0].body
        rows = OutboxMessage.objects.filter(case_id=case.pk, kind="safeguarding_alert")
        assert {r.key for r in rows} == {
            f"safeguarding-alert:{case.pk}:{lead.pk}",
            f"safeguarding-alert:{case.pk}:{other_lead.pk}",
        }
        assert all(r.status == "sent" for r in rows)

    def test_an_ordinary_rule_marks_nothing(self, officer, channel, lead, mailoutbox):
        case = record(officer, channel, [rule("abusive")], text="You are idiots")
        case.refresh_from_db()
        assert case.safeguarding_at is None
        assert not events(case, EventKind.SAFEGUARDING_MARKED)
        assert not OutboxMessage.objects.filter(kind="safeguarding_alert").exists()

    def test_the_target_hours_come_from_the_policy(self, officer, channel, lead, self_harm):
        from policy import services as policy

        version = policy.current()
        version.pk, version.number, version.safeguarding_response_hours = None, None, 1
        policy.publish(version=version, reason="One hour for safeguarding.")
        with clock.travel_to(SATURDAY_NIGHT):
            case = record(officer, channel, [self_harm])
        case.refresh_from_db()
        assert case.safeguarding_due_at == SATURDAY_NIGHT + timedelta(hours=1)


class TestMarkedLater:
    def test_any_team_member_marks_with_a_reason(
        self, officer, channel, lead, django_capture_on_commit_callbacks, mailoutbox
    ):
        case = factories.OpenCaseFactory(channel=channel)
        with django_capture_on_commit_callbacks(execute=True):
            case_mark_safeguarding(actor=officer, case=case, reason="The author says they are 14 and unsafe at home.")
        case.refresh_from_db()
        assert case.safeguarding_awaits_lead
        assert [m.to for m in mailoutbox] == [["sophie@council.example"]]
        # marking again changes nothing and alerts nobody twice
        with django_capture_on_commit_callbacks(execute=True):
            case_mark_safeguarding(actor=officer, case=case, reason="Again")
        assert len(events(case, EventKind.SAFEGUARDING_MARKED)) == 1
        assert len(mailoutbox) == 1

    @pytest.mark.parametrize("reason", ["", "   ", "\x00"])
    def test_a_reason_is_required(self, officer, lead, reason):
        case = factories.OpenCaseFactory()
        with pytest.raises(ValidationError) as error:
            case_mark_safeguarding(actor=officer, case=case, reason=reason)
        assert "safeguarding concern" in str(error.value)
        case.refresh_from_db()
        assert case.safeguarding_at is None
        assert not CaseEvent.objects.filter(case=case, kind=EventKind.SAFEGUARDING_MARKED).exists()

    @pytest.mark.parametrize("role", [routing.SERVICE_DIRECTOR, routing.MANAGING_DIRECTOR])
    def test_roles_outside_the_team_cannot_mark(self, db, role):
        case = factories.OpenCaseFactory()
        with pytest.raises(PermissionDenied):
            case_mark_safeguarding(actor=factories.UserFactory(role=role), case=case, reason="Concern")
        case.refresh_from_db()
        assert case.safeguarding_at is None


@pytest.fixture
def held_case(officer, lead):
    case = factories.OpenCaseFactory(rules=[rule("abusive")])
    case_mark_safeguarding(actor=officer, case=case, reason="Risk to a child.")
    case.refresh_from_db()
    return case


class TestLadderHeld:
    def test_warning_block_and_ban_are_refused_until_the_lead_decides(self, officer, manager, held_case, lead):
        misinformation = factories.OpenCaseFactory(rules=[rule("misinformation")])
        case_mark_safeguarding(actor=officer, case=misinformation, reason="Risk to an adult.")
        before = CaseEvent.objects.count()
        refusals = [
            lambda: warning_draft(actor=officer, case=held_case),
            lambda: block_propose(actor=officer, case=held_case, scope="all", reason="Abuse"),
            lambda: block_immediate(actor=manager, case=held_case, scope="all", reason="Extreme"),
            lambda: channel_ban(actor=officer, case=misinformation, reason="Misinformation"),
        ]
        for refuse in refusals:
            with pytest.raises(ValidationError) as error:
                refuse()
            assert "safeguarding lead" in str(error.value)
        assert CaseEvent.objects.count() == before
        assert not Warning.objects.exists()
        assert not Block.objects.exists()

        safeguarding_referral_record(
            actor=lead,
            case=held_case,
            agency=SafeguardingAgency.PLATFORM,
            reference="FB-SAFETY-991",
            referred_by="Sophie Lead",
            signposted_to="Samaritans 116 123",
        )
        # after the lead's decision the ordinary ladder is open again
        assert warning_draft(actor=officer, case=held_case).pk


class TestPendingSignOffs:
    def test_a_sign_off_asked_before_the_marking_waits_for_the_lead_and_tops_the_inbox(
        self, client, officer, manager, lead
    ):
        from escalation.constants import SignOffStatus, WarningStatus
        from escalation.selectors import signoffs_for
        from escalation.services import signoff_decide

        older = factories.AwaitingSignoffWarningFactory(drafted_by=officer)
        warning = factories.AwaitingSignoffWarningFactory(drafted_by=officer)
        case_mark_safeguarding(actor=officer, case=warning.case, reason="A risk to a child.")
        signoff = warning.signoffs.get()
        assert list(signoffs_for(manager)) == [signoff, older.signoffs.get()]
        client.force_login(manager)
        page = client.get("/decisions/").content.decode()
        assert page.index("app-safeguarding-tag") < page.index(f"/decisions/{older.signoffs.get().pk}/")
        with pytest.raises(ValidationError) as error:
            signoff_decide(actor=manager, signoff=signoff, approve=True)
        assert "safeguarding lead" in str(error.value)
        signoff.refresh_from_db()
        warning.refresh_from_db()
        assert signoff.status == SignOffStatus.PENDING
        assert warning.status == WarningStatus.AWAITING_SIGNOFF
        # refusing it stays open: it stops the ladder
        signoff_decide(actor=manager, signoff=signoff, approve=False, reason="Safeguarding first.")
        warning.refresh_from_db()
        assert warning.status == WarningStatus.DRAFT


class TestReferral:
    def test_a_lead_records_the_referral_at_a_weekend(self, officer, lead):
        # the case held that Saturday evening (a case recorded today would make a referral on a past
        # Saturday "before the case was recorded" once a day has gone by)
        with clock.travel_to(SATURDAY_NIGHT - timedelta(hours=1)):
            held_case = factories.OpenCaseFactory(rules=[rule("abusive")])
            case_mark_safeguarding(actor=officer, case=held_case, reason="Risk to a child.")
        with clock.travel_to(SATURDAY_NIGHT):
            referral = safeguarding_referral_record(
                actor=lead,
                case=held_case,
                agency=SafeguardingAgency.LA_CHILDREN,
                reference="MASH-2026-0042",
                referred_by="Sophie Lead",
                signposted_to="Childline 0800 1111",
            )
        held_case.refresh_from_db()
        assert referral.referred_at == SATURDAY_NIGHT  # when defaults to now
        assert held_case.safeguarding_decided_at == SATURDAY_NIGHT
        [event] = events(held_case, EventKind.SAFEGUARDING_REFERRAL)
        assert event.after["reference"] == "MASH-2026-0042"
        assert event.actor == lead

    def test_no_referral_needs_a_reason(self, held_case, lead):
        with pytest.raises(ValidationError) as error:
            safeguarding_referral_record(actor=lead, case=held_case, agency=SafeguardingAgency.NONE)
        assert error.value.message_dict == {"no_referral_reason": ["Say why no referral is needed."]}
        referral = safeguarding_referral_record(
            actor=lead,
            case=held_case,
            agency=SafeguardingAgency.NONE,
            no_referral_reason="A joke between friends, confirmed by the platform.",
            reference="ignored",
        )
        assert referral.reference == ""
        assert referral.referred_at is None

    def test_a_referral_needs_its_reference_and_who_referred(self, held_case, lead):
        with pytest.raises(ValidationError) as error:
            safeguarding_referral_record(actor=lead, case=held_case, agency=SafeguardingAgency.POLICE)
        assert set(error.value.message_dict) == {"reference", "referred_by"}
        with pytest.raises(ValidationError) as error:
            safeguarding_referral_record(actor=lead, case=held_case, agency="social_media_friend")
        assert "agency" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            safeguarding_referral_record(
                actor=lead,
                case=held_case,
                agency=SafeguardingAgency.POLICE,
                reference="CAD 1",
                referred_by="Sophie",
                referred_at=clock.now() + timedelta(days=1),
            )
        assert error.value.message_dict == {"referred_at": ["The referral cannot be in the future."]}
        held_case.refresh_from_db()
        assert held_case.safeguarding_decided_at is None
        assert not SafeguardingReferral.objects.exists()
        assert not events(held_case, EventKind.SAFEGUARDING_REFERRAL)

    @pytest.mark.parametrize("role", [routing.OFFICER, routing.MANAGER, routing.MANAGING_DIRECTOR])
    def test_only_a_lead_records_the_decision(self, held_case, role):
        with pytest.raises(PermissionDenied):
            safeguarding_referral_record(
                actor=factories.UserFactory(role=role),
                case=held_case,
                agency=SafeguardingAgency.POLICE,
                reference="CAD 1",
                referred_by="X",
            )
        assert not SafeguardingReferral.objects.exists()

    def test_an_unmarked_case_takes_no_referral(self, lead):
        case = factories.OpenCaseFactory()
        with pytest.raises(ValidationError) as error:
            safeguarding_referral_record(
                actor=lead, case=case, agency=SafeguardingAgency.POLICE, reference="1", referred_by="X"
            )
        assert error.value.code == "conflict"

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(reference=st.text(max_size=140), referred_by=st.text(max_size=220))
    def test_any_input_is_stored_or_refused_with_a_message(self, held_case, lead, reference, referred_by):
        errors: dict = {}
        try:
            referral = safeguarding_referral_record(
                actor=lead,
                case=held_case,
                agency=SafeguardingAgency.POLICE,
                reference=reference,
                referred_by=referred_by,
            )
        except ValidationError as error:
            errors = error.message_dict
        if errors:
            assert set(errors) <= {"reference", "referred_by"}
        else:
            assert 0 < len(referral.reference) <= 100
            assert "\x00" not in referral.reference


def test_a_policy_with_no_safeguarding_lead_is_a_warning(db, officer):
    from escalation.checks import ladder_gaps

    def gap():
        return [g for g in ladder_gaps() if "safeguarding lead" in g]

    assert gap() == [
        "A safeguarding case alerts every safeguarding lead and waits for one to record the referral, and no "
        "active user with an email address has that role."
    ]
    factories.SafeguardingLeadFactory(email="")
    assert gap()  # a lead nobody can email is no lead to alert
    factories.SafeguardingLeadFactory(email="lead@council.example")
    assert gap() == []
