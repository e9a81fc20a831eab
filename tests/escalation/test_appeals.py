"""Appeals: recorded as premature before the 12-month window, otherwise decided by the Managing Director."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from escalation import routing, services
from escalation.constants import AppealStatus, BlockStatus, SignOffKind, SignOffStatus
from escalation.models import Appeal, SignOff
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
STARTED = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)
RECEIVED = datetime(2028, 4, 3, 11, 0, tzinfo=LONDON)  # a Monday, after the window opened
DECIDED = datetime(2028, 4, 5, 15, 45, tzinfo=LONDON)


def events(block, kind: str | None = None):
    qs = CaseEvent.objects.filter(case=block.case_id)
    return qs.filter(kind=kind) if kind else qs


@pytest.fixture
def active_block():
    """A block that started on 15 March 2027: appeals can be heard from 15 March 2028."""
    with clock.travel_to(STARTED):
        return factories.ActiveBlockFactory()


@pytest.fixture
def appeal(officer, active_block):
    """An appeal recorded by the officer once the window had opened: with the Managing Director."""
    with clock.travel_to(RECEIVED):
        return services.appeal_record(
            actor=officer, block=active_block, received_via="Direct message", grounds="I have changed."
        )


class TestAppealRecord:
    @pytest.mark.parametrize(
        ("started", "opens_on"),
        [
            pytest.param(STARTED, r"\b15 March 2028\b", id="ordinary"),
            # 23:30 UTC on 30 June is 00:30 on 1 July in London: the date is London's
            pytest.param(datetime(2027, 6, 30, 23, 30, tzinfo=UTC), r"\b0?1 July 2028\b", id="london-date"),
        ],
    )
    def test_before_the_window_it_is_premature_and_says_when_it_opens(self, officer, started, opens_on):
        with clock.travel_to(started):
            block = factories.ActiveBlockFactory()

        with clock.travel_to(started + timedelta(days=200)):
            appeal = services.appeal_record(actor=officer, block=block, grounds="Please unblock me.")

        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.PREMATURE
        assert appeal.window_opens_at == block.appeal_opens_at
        assert (appeal.recorded_by, appeal.grounds) == (officer, "Please unblock me.")
        assert not SignOff.objects.filter(appeal=appeal).exists()
        [event] = events(block)
        assert (event.kind, event.actor) == (EventKind.APPEAL_PREMATURE, officer)
        assert re.search(opens_on, event.note), event.note
        assert event.after["window_opens_at"] == block.appeal_opens_at.isoformat()
        block.refresh_from_db()
        assert block.status == BlockStatus.ACTIVE

    def test_the_date_received_decides_not_the_date_recorded(self, officer, active_block):
        """A letter that arrived the day before the window opened is premature, even if logged later."""
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(
                actor=officer, block=active_block, received_at=active_block.appeal_opens_at - timedelta(days=1)
            )

        assert appeal.status == AppealStatus.PREMATURE

    def test_after_the_window_opens_it_goes_to_the_managing_director(self, officer, active_block):
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(
                actor=officer, block=active_block, received_via="Direct message", grounds="I have changed."
            )

        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert (appeal.received_at, appeal.received_via, appeal.grounds) == (
            RECEIVED,
            "Direct message",
            "I have changed.",
        )
        signoff = SignOff.objects.get(appeal=appeal)
        assert (signoff.kind, signoff.status, signoff.requested_by) == (
            SignOffKind.APPEAL,
            SignOffStatus.PENDING,
            officer,
        )
        assert signoff.due_at == datetime(2028, 4, 4, 11, 0, tzinfo=LONDON)  # one working day
        [event] = events(active_block)
        assert (event.kind, event.actor, event.note) == (EventKind.APPEAL_RECEIVED, officer, "I have changed.")
        assert event.after["signoff"] == signoff.pk

    def test_received_the_moment_the_window_opens_is_heard(self, officer, active_block):
        with clock.travel_to(active_block.appeal_opens_at):
            appeal = services.appeal_record(actor=officer, block=active_block)

        assert appeal.status == AppealStatus.UNDER_REVIEW

    @pytest.mark.parametrize("status", [BlockStatus.AWAITING_SIGNOFF, BlockStatus.REFUSED, BlockStatus.LIFTED])
    def test_only_an_active_block_can_be_appealed(self, officer, block_in_state, status):
        block = block_in_state(status)

        with pytest.raises(ValidationError) as refused:
            services.appeal_record(actor=officer, block=block, grounds="Unblock me.")

        assert refused.value.code == "conflict"
        assert block.get_status_display().lower() in refused.value.message
        assert not Appeal.objects.exists()
        assert not events(block).exists()

    def test_a_second_appeal_while_one_is_under_review_is_refused(self, other_officer, appeal):
        with pytest.raises(ValidationError) as refused:
            services.appeal_record(actor=other_officer, block=appeal.block, grounds="Again.")

        assert refused.value.code == "conflict"
        assert f"Appeal {appeal.pk}" in refused.value.message
        assert Appeal.objects.count() == 1
        assert SignOff.objects.count() == 1
        assert list(events(appeal.block).values_list("kind", flat=True)) == [EventKind.APPEAL_RECEIVED]

    def test_a_premature_appeal_does_not_stop_a_later_one(self, officer, active_block):
        with clock.travel_to(STARTED + timedelta(days=30)):
            first = services.appeal_record(actor=officer, block=active_block)
        with clock.travel_to(RECEIVED):
            second = services.appeal_record(actor=officer, block=active_block)

        assert (first.status, second.status) == (AppealStatus.PREMATURE, AppealStatus.UNDER_REVIEW)

    def test_a_future_date_received_is_refused(self, officer, active_block):
        with clock.travel_to(RECEIVED), pytest.raises(ValidationError) as refused:
            services.appeal_record(actor=officer, block=active_block, received_at=RECEIVED + timedelta(hours=1))

        assert "received_at" in refused.value.error_dict
        assert not Appeal.objects.exists()
        assert not events(active_block).exists()

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_roles_that_cannot_record_appeals(self, request, active_block, role):
        with clock.travel_to(RECEIVED), pytest.raises(PermissionDenied):
            services.appeal_record(actor=request.getfixturevalue(role), block=active_block)

        assert not Appeal.objects.exists()

    def test_manager_may_record_too(self, manager, active_block):
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(actor=manager, block=active_block)

        assert appeal.status == AppealStatus.UNDER_REVIEW


class TestAppealDecide:
    def test_upheld_the_block_stays_and_the_next_appeal_waits_twelve_months_from_the_decision(
        self, officer, md, appeal
    ):
        block = appeal.block
        block.appeal_window_flagged_at = block.appeal_opens_at  # the scheduled task had flagged it
        block.save(update_fields=["appeal_window_flagged_at"])

        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=appeal, overturn=False, reason="Abuse resumed on Instagram.")

        appeal.refresh_from_db()
        block.refresh_from_db()
        assert appeal.status == AppealStatus.UPHELD
        assert (appeal.decided_by, appeal.decided_at, appeal.decision_reason) == (
            md,
            DECIDED,
            "Abuse resumed on Instagram.",
        )
        assert block.status == BlockStatus.ACTIVE
        assert block.lifted_at is None
        assert block.appeal_opens_at == datetime(2029, 4, 5, 15, 45, tzinfo=LONDON)
        assert block.appeal_window_flagged_at is None
        signoff = SignOff.objects.get(appeal=appeal)
        assert signoff.status != SignOffStatus.PENDING
        assert (signoff.decided_by, signoff.decided_at) == (md, DECIDED)
        event = events(block, EventKind.APPEAL_UPHELD).get()
        assert (event.actor, event.note) == (md, "Abuse resumed on Instagram.")
        # the next appeal, a month later, is premature until April 2029
        with clock.travel_to(DECIDED + timedelta(days=30)):
            next_appeal = services.appeal_record(actor=officer, block=block)
        assert next_appeal.status == AppealStatus.PREMATURE
        assert next_appeal.window_opens_at == datetime(2029, 4, 5, 15, 45, tzinfo=LONDON)

    def test_overturned_the_block_is_lifted_with_the_reason(self, md, appeal):
        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=appeal, overturn=True, reason="A year without incident.")

        appeal.refresh_from_db()
        block = appeal.block
        block.refresh_from_db()
        assert (appeal.status, appeal.decided_by) == (AppealStatus.OVERTURNED, md)
        assert block.status == BlockStatus.LIFTED
        assert (block.lifted_at, block.lifted_reason) == (DECIDED, "A year without incident.")
        assert SignOff.objects.get(appeal=appeal).decided_by == md
        event = events(block, EventKind.APPEAL_OVERTURNED).get()
        assert event.actor == md
        assert (event.before["block"]["status"], event.after["block"]["status"]) == (
            BlockStatus.ACTIVE,
            BlockStatus.LIFTED,
        )

    @pytest.mark.parametrize("role", ["other_officer", "manager", "director"])
    @pytest.mark.parametrize("overturn", [True, False])
    def test_only_the_managing_director_decides(self, request, appeal, role, overturn):
        block_before = appeal.block.appeal_opens_at

        with pytest.raises(PermissionDenied):
            services.appeal_decide(
                actor=request.getfixturevalue(role), appeal=appeal, overturn=overturn, reason="My view."
            )

        appeal.refresh_from_db()
        appeal.block.refresh_from_db()
        assert (appeal.status, appeal.decided_by) == (AppealStatus.UNDER_REVIEW, None)
        assert (appeal.block.status, appeal.block.appeal_opens_at) == (BlockStatus.ACTIVE, block_before)
        assert SignOff.objects.get(appeal=appeal).status == SignOffStatus.PENDING

    @pytest.mark.parametrize("overturn", [True, False])
    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_reason_is_required(self, md, appeal, overturn, reason):
        with pytest.raises(ValidationError) as refused:
            services.appeal_decide(actor=md, appeal=appeal, overturn=overturn, reason=reason)

        assert "reason" in refused.value.error_dict
        appeal.refresh_from_db()
        appeal.block.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert appeal.block.status == BlockStatus.ACTIVE
        assert not events(appeal.block).exclude(kind=EventKind.APPEAL_RECEIVED).exists()

    @pytest.mark.parametrize("second_overturn", [True, False])
    def test_a_second_decision_is_refused_and_names_the_first(self, md, appeal, second_overturn):
        other_md = factories.ManagingDirectorFactory(username="morgan.md")
        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=appeal, overturn=False, reason="Upheld.")

        for decider in (other_md, md):
            with pytest.raises(ValidationError) as refused:
                services.appeal_decide(actor=decider, appeal=appeal, overturn=second_overturn, reason="Changed mind.")
            assert re.match(
                rf"Already decided by {re.escape(md.get_full_name())} on 0?5 April 2028", refused.value.message
            )

        appeal.refresh_from_db()
        appeal.block.refresh_from_db()
        assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (AppealStatus.UPHELD, md, "Upheld.")
        assert appeal.block.status == BlockStatus.ACTIVE
        decisions = events(appeal.block).filter(kind__in=[EventKind.APPEAL_UPHELD, EventKind.APPEAL_OVERTURNED])
        assert decisions.count() == 1

    def test_the_managing_director_who_recorded_the_appeal_cannot_decide_it(self, md, active_block):
        md.groups.add(Group.objects.get(name=routing.OFFICER))  # a small team: the MD logs appeals too
        other_md = factories.ManagingDirectorFactory(username="morgan.md")
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(actor=md, block=active_block, grounds="Please.")

        with pytest.raises(PermissionDenied, match="someone else must make it"):
            services.appeal_decide(actor=md, appeal=appeal, overturn=True, reason="Fine by me.")

        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        services.appeal_decide(actor=other_md, appeal=appeal, overturn=True, reason="A year without incident.")
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decided_by) == (AppealStatus.OVERTURNED, other_md)

    def test_a_premature_appeal_has_nothing_to_decide(self, officer, md, active_block):
        with clock.travel_to(STARTED + timedelta(days=30)):
            premature = services.appeal_record(actor=officer, block=active_block)

        with pytest.raises(ValidationError) as refused:
            services.appeal_decide(actor=md, appeal=premature, overturn=True, reason="Lift it anyway.")

        assert refused.value.code == "conflict"
        assert "premature" in refused.value.message
        active_block.refresh_from_db()
        assert active_block.status == BlockStatus.ACTIVE


class TestMisinformationChallenge:
    @pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=5)], ids=["same-moment", "minutes-later"])
    def test_a_channel_ban_can_be_challenged_at_once(self, officer, md, channel, later):
        case = factories.OpenCaseFactory(channel=channel, rules=[factories.rule("misinformation")])
        with clock.travel_to(STARTED):
            ban = services.channel_ban(actor=officer, case=case, reason="False claim about bin collections.")

        with clock.travel_to(STARTED + later):
            appeal = services.appeal_record(actor=officer, block=ban, received_via="Email to the team")

        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert appeal.window_opens_at == STARTED
        assert SignOff.objects.get(appeal=appeal).status == SignOffStatus.PENDING
        assert not events(ban, EventKind.APPEAL_PREMATURE).exists()
        services.appeal_decide(actor=md, appeal=appeal, overturn=True, reason="Corrected the post.")
        ban.refresh_from_db()
        assert ban.status == BlockStatus.LIFTED

    def test_after_an_upheld_challenge_the_ban_can_be_challenged_again_at_once(self, officer, md, channel):
        """NHDC: the ban "can be challenged" at any time, so an upheld challenge starts no 12-month wait."""
        case = factories.OpenCaseFactory(channel=channel, rules=[factories.rule("misinformation")])
        with clock.travel_to(STARTED):
            ban = services.channel_ban(actor=officer, case=case, reason="False claim about bin collections.")
            first = services.appeal_record(actor=officer, block=ban)
        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=first, overturn=False, reason="The claim is still false.")

        ban.refresh_from_db()
        assert ban.status == BlockStatus.ACTIVE
        assert ban.appeal_opens_at == DECIDED
        with clock.travel_to(DECIDED + timedelta(days=7)):
            second = services.appeal_record(actor=officer, block=ban, grounds="I have corrected it.")
        assert second.status == AppealStatus.UNDER_REVIEW
