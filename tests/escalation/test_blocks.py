"""Blocks: proposal, the Communications Manager's sign-off, immediate blocks, misinformation channel
bans, the Managing Director's email and acknowledgement, police reports, undoing on the platform."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation import services
from escalation.constants import BlockKind, BlockScope, BlockStatus, SignOffKind, SignOffStatus
from escalation.models import Block, PoliceReport, SignOff
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Visibility
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)  # an ordinary working Monday, GMT
TUESDAY = datetime(2027, 3, 16, 14, 30, tzinfo=LONDON)
REASON = "Threats against staff continued after a written warning."


@pytest.fixture
def case(channel):
    return factories.OpenCaseFactory(channel=channel, account=factories.SocialAccountFactory(handle="angry_resident"))


@pytest.fixture
def misinformation_case(channel):
    """A case citing the misinformation rule, with two of the author's posts (one already hidden)."""
    case = factories.OpenCaseFactory(
        channel=channel,
        account=factories.SocialAccountFactory(handle="false_claims"),
        rules=[factories.rule("misinformation")],
        posts=[],
    )
    factories.PostFactory(case=case, channel=channel, account=case.account, text="The tip is closing for good.")
    factories.PostFactory(case=case, channel=channel, account=case.account, visibility=Visibility.HIDDEN)
    return case


def kinds(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def propose(actor, case, scope: str = BlockScope.ALL) -> Block:
    """Propose a block on Monday morning."""
    with clock.travel_to(MONDAY):
        return services.block_propose(actor=actor, case=case, scope=scope, reason=REASON)


class TestBlockPropose:
    def test_officer_proposal_waits_for_the_communications_manager(self, officer, md, case, mailoutbox):
        block = propose(officer, case)

        block.refresh_from_db()
        assert block.status == BlockStatus.AWAITING_SIGNOFF
        assert (block.kind, block.scope, block.channel) == (BlockKind.STANDARD, BlockScope.ALL, None)
        assert block.account == case.account
        assert block.proposed_by == officer
        assert block.started_at is None
        assert block.appeal_opens_at is None
        signoff = SignOff.objects.get(block=block)
        assert (signoff.kind, signoff.status, signoff.requested_by) == (
            SignOffKind.BLOCK,
            SignOffStatus.PENDING,
            officer,
        )
        # due one working day later
        assert signoff.due_at == datetime(2027, 3, 16, 10, 0, tzinfo=LONDON)
        event = CaseEvent.objects.get(case=case)
        assert (event.kind, event.actor, event.note) == (EventKind.BLOCK_PROPOSED, officer, REASON)
        assert event.after["signoff"] == signoff.pk
        assert event.after["status"] == BlockStatus.AWAITING_SIGNOFF
        # the Managing Director hears of a block when it starts, not when it is proposed
        assert mailoutbox == []

    def test_channel_scope_defaults_to_the_case_channel(self, officer, case):
        block = propose(officer, case, scope=BlockScope.CHANNEL)

        block.refresh_from_db()
        assert block.scope == BlockScope.CHANNEL
        assert block.channel == case.channel

    def test_channel_scope_on_another_of_our_channels(self, officer, case):
        other = factories.ChannelFactory(platform=case.account.platform, name="NHDC Waste Facebook")

        block = services.block_propose(actor=officer, case=case, scope=BlockScope.CHANNEL, channel=other, reason=REASON)

        block.refresh_from_db()
        assert block.channel == other

    def test_channel_on_another_platform_is_refused(self, officer, case):
        elsewhere = factories.ChannelFactory(platform="instagram")

        with pytest.raises(ValidationError) as refused:
            services.block_propose(actor=officer, case=case, scope=BlockScope.CHANNEL, channel=elsewhere, reason=REASON)

        assert "channel" in refused.value.error_dict
        assert not Block.objects.exists()
        assert kinds(case) == []

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_reason_is_required(self, officer, case, reason):
        with pytest.raises(ValidationError) as refused:
            services.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason=reason)

        assert "reason" in refused.value.error_dict
        assert not Block.objects.exists()
        assert not SignOff.objects.exists()

    def test_closed_case_is_refused(self, officer):
        closed = factories.OpenCaseFactory(
            status=CaseStatus.CLOSED, outcome=CaseOutcome.POST_REMOVED, closed_at=clock.now()
        )

        with pytest.raises(ValidationError) as refused:
            services.block_propose(actor=officer, case=closed, scope=BlockScope.ALL, reason=REASON)

        assert refused.value.code == "conflict"
        assert "closed" in refused.value.message
        assert not Block.objects.exists()

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_roles_that_cannot_propose(self, request, case, role):
        with pytest.raises(PermissionDenied):
            services.block_propose(actor=request.getfixturevalue(role), case=case, scope=BlockScope.ALL, reason=REASON)

        assert not Block.objects.exists()
        assert kinds(case) == []


class TestBlockSignOff:
    def test_manager_approval_starts_the_block_and_emails_the_managing_director(
        self, officer, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        block = propose(officer, case)
        signoff = SignOff.objects.get(block=block)

        with clock.travel_to(TUESDAY), django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=signoff, approve=True)

        block.refresh_from_db()
        signoff.refresh_from_db()
        assert block.status == BlockStatus.ACTIVE
        assert block.started_at == TUESDAY
        assert block.appeal_opens_at == datetime(2028, 3, 16, 14, 30, tzinfo=LONDON)
        assert block.md_notified_at == TUESDAY
        assert block.md_acknowledged_at is None
        assert (signoff.status, signoff.decided_by, signoff.decided_at) == (SignOffStatus.APPROVED, manager, TUESDAY)
        assert kinds(case) == [EventKind.BLOCK_PROPOSED, EventKind.BLOCK_APPROVED, EventKind.MD_NOTIFIED]
        approved = CaseEvent.objects.get(case=case, kind=EventKind.BLOCK_APPROVED)
        assert approved.actor == manager
        assert approved.after["status"] == BlockStatus.ACTIVE
        notified = CaseEvent.objects.get(case=case, kind=EventKind.MD_NOTIFIED)
        assert (notified.actor, notified.actor_label) == (None, "system")
        assert notified.after["recipients"] == [md.email]
        [email] = mailoutbox
        assert email.to == [md.email]
        assert "@angry_resident" in email.subject
        assert "Started: 16 March 2027, 14:30" in email.body
        assert "Appeals can be heard from: 16 March 2028" in email.body
        assert REASON in email.body

    def test_managing_directors_with_an_email_are_told(
        self, officer, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        factories.ManagingDirectorFactory(username="no.email.md", email="")
        retired = factories.ManagingDirectorFactory(username="retired.md")
        retired.is_active = False
        retired.save()
        block = propose(officer, case)

        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)

        [email] = mailoutbox
        assert email.to == [md.email]

    def test_without_a_managing_director_email_the_timeline_says_so(
        self, officer, manager, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        block = propose(officer, case)

        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)

        assert mailoutbox == []
        notified = CaseEvent.objects.get(case=case, kind=EventKind.MD_NOTIFIED)
        assert "tell them another way" in notified.note

    @pytest.mark.parametrize(
        ("started", "appeal_opens"),
        [
            pytest.param(
                datetime(2027, 3, 27, 9, 0, tzinfo=LONDON),  # GMT; 27 March 2028 is already BST
                datetime(2028, 3, 27, 8, 0, tzinfo=UTC),
                id="into-summer-time",
            ),
            pytest.param(
                datetime(2027, 10, 30, 9, 0, tzinfo=LONDON),  # BST; 30 October 2028 is already GMT
                datetime(2028, 10, 30, 9, 0, tzinfo=UTC),
                id="into-winter-time",
            ),
            pytest.param(
                datetime(2028, 2, 29, 10, 0, tzinfo=LONDON),
                datetime(2029, 2, 28, 10, 0, tzinfo=LONDON),
                id="29-february",
            ),
        ],
    )
    def test_appeal_opens_twelve_calendar_months_later_on_the_london_clock(
        self, officer, manager, case, started, appeal_opens
    ):
        block = propose(officer, case)

        with clock.travel_to(started):
            services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)

        block.refresh_from_db()
        assert block.started_at == started
        assert block.appeal_opens_at == appeal_opens

    def test_refusal_with_a_reason(self, officer, manager, md, case, mailoutbox, django_capture_on_commit_callbacks):
        block = propose(officer, case)

        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(
                actor=manager, signoff=block.signoffs.get(), approve=False, reason="One post; warn first."
            )

        block.refresh_from_db()
        assert block.status == BlockStatus.REFUSED
        assert block.started_at is None
        signoff = block.signoffs.get()
        assert (signoff.status, signoff.decided_by, signoff.reason) == (
            SignOffStatus.REFUSED,
            manager,
            "One post; warn first.",
        )
        refused = CaseEvent.objects.get(case=case, kind=EventKind.BLOCK_REFUSED)
        assert (refused.actor, refused.note) == (manager, "One post; warn first.")
        # the officer who proposed it hears of the refusal; the Managing Director is told of no block
        assert [email.to for email in mailoutbox] == [[officer.email]]

    def test_refusal_without_a_reason_changes_nothing(self, officer, manager, case):
        block = propose(officer, case)

        with pytest.raises(ValidationError) as refused:
            services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=False, reason="  ")

        assert "reason" in refused.value.error_dict
        block.refresh_from_db()
        assert block.status == BlockStatus.AWAITING_SIGNOFF
        assert block.signoffs.get().status == SignOffStatus.PENDING
        assert kinds(case) == [EventKind.BLOCK_PROPOSED]

    @pytest.mark.parametrize("role", ["other_officer", "director", "md"])
    @pytest.mark.parametrize("approve", [True, False])
    def test_only_the_communications_manager_decides(self, request, officer, case, role, approve, mailoutbox):
        block = propose(officer, case)
        signoff = block.signoffs.get()

        with pytest.raises(PermissionDenied, match="Communications manager"):
            services.signoff_decide(
                actor=request.getfixturevalue(role), signoff=signoff, approve=approve, reason="Not for me."
            )

        block.refresh_from_db()
        signoff.refresh_from_db()
        assert block.status == BlockStatus.AWAITING_SIGNOFF
        assert (signoff.status, signoff.decided_by) == (SignOffStatus.PENDING, None)
        assert kinds(case) == [EventKind.BLOCK_PROPOSED]
        assert mailoutbox == []

    def test_the_proposer_cannot_approve_their_own_proposal(self, manager, other_manager, case):
        block = propose(manager, case)
        signoff = block.signoffs.get()

        with pytest.raises(PermissionDenied, match="someone else must make it"):
            services.signoff_decide(actor=manager, signoff=signoff, approve=True)

        block.refresh_from_db()
        assert block.status == BlockStatus.AWAITING_SIGNOFF
        services.signoff_decide(actor=other_manager, signoff=signoff, approve=True)
        block.refresh_from_db()
        assert block.status == BlockStatus.ACTIVE

    def test_a_second_decision_is_refused_and_names_the_first(self, officer, manager, other_manager, case):
        block = propose(officer, case)
        signoff = block.signoffs.get()
        with clock.travel_to(TUESDAY):
            services.signoff_decide(actor=manager, signoff=signoff, approve=True)

        with pytest.raises(ValidationError) as refused:
            services.signoff_decide(actor=other_manager, signoff=signoff, approve=False, reason="Too harsh.")

        assert refused.value.code == "conflict"
        assert refused.value.message.startswith(f"Already decided by {manager.get_full_name()} on 16 March 2027")
        block.refresh_from_db()
        assert block.status == BlockStatus.ACTIVE
        assert kinds(case).count(EventKind.BLOCK_APPROVED) == 1
        assert EventKind.BLOCK_REFUSED not in kinds(case)


class TestOneLiveBlockPerAccountAndScope:
    @pytest.mark.parametrize("first", [BlockStatus.AWAITING_SIGNOFF, BlockStatus.ACTIVE])
    def test_a_second_all_channel_proposal_is_refused(self, officer, other_officer, manager, case, first):
        block = propose(officer, case)
        if first == BlockStatus.ACTIVE:
            services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)
        events_before = kinds(case)

        with pytest.raises(ValidationError) as refused:
            services.block_propose(actor=other_officer, case=case, scope=BlockScope.ALL, reason=REASON)

        assert refused.value.code == "conflict"
        assert "already has a block on all channels" in refused.value.message
        assert Block.objects.count() == 1
        assert kinds(case) == events_before

    def test_the_same_account_on_a_new_case_is_still_refused(self, officer, case):
        propose(officer, case)
        new_case = factories.OpenCaseFactory(account=case.account, channel=case.channel)

        with pytest.raises(ValidationError, match="already has a block"):
            services.block_propose(actor=officer, case=new_case, scope=BlockScope.ALL, reason=REASON)

        assert Block.objects.count() == 1

    def test_an_all_channel_block_refuses_channel_proposals(self, officer, case):
        factories.ActiveBlockFactory(case=case, scope=BlockScope.ALL)

        with pytest.raises(ValidationError) as refused:
            services.block_propose(actor=officer, case=case, scope=BlockScope.CHANNEL, reason=REASON)

        assert refused.value.code == "conflict"
        assert not Block.objects.filter(scope=BlockScope.CHANNEL).exists()

    def test_a_channel_block_refuses_that_channel_but_not_another(self, officer, case):
        propose(officer, case, scope=BlockScope.CHANNEL)
        other = factories.ChannelFactory(platform=case.account.platform)

        with pytest.raises(ValidationError, match="already has a block on"):
            services.block_propose(actor=officer, case=case, scope=BlockScope.CHANNEL, reason=REASON)
        services.block_propose(actor=officer, case=case, scope=BlockScope.CHANNEL, channel=other, reason=REASON)

        assert set(Block.objects.values_list("channel", flat=True)) == {case.channel.pk, other.pk}

    def test_a_lifted_or_refused_block_does_not_stand_in_the_way(self, officer, case, block_in_state):
        block_in_state(BlockStatus.LIFTED, case=case)
        block_in_state(BlockStatus.REFUSED, case=case)

        block = services.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason=REASON)

        assert block.status == BlockStatus.AWAITING_SIGNOFF

    @pytest.mark.parametrize("scope", [BlockScope.ALL, BlockScope.CHANNEL])
    def test_the_database_refuses_a_second_active_row(self, case, scope):
        channel = case.channel if scope == BlockScope.CHANNEL else None
        factories.ActiveBlockFactory(case=case, scope=scope, channel=channel)

        with pytest.raises(IntegrityError, match="block_one_live_per_account_scope"), transaction.atomic():
            factories.ActiveBlockFactory(case=case, scope=scope, channel=channel)

        assert Block.objects.count() == 1


class TestBlockImmediate:
    def test_the_manager_blocks_at_once_and_the_managing_director_is_emailed(
        self, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(MONDAY), django_capture_on_commit_callbacks(execute=True):
            block = services.block_immediate(actor=manager, case=case, scope=BlockScope.ALL, reason=REASON)

        block.refresh_from_db()
        assert (block.kind, block.status, block.proposed_by) == (BlockKind.IMMEDIATE, BlockStatus.ACTIVE, manager)
        assert block.started_at == MONDAY
        assert block.appeal_opens_at == datetime(2028, 3, 15, 10, 0, tzinfo=LONDON)
        assert not SignOff.objects.exists()
        assert kinds(case) == [EventKind.BLOCK_IMMEDIATE, EventKind.MD_NOTIFIED]
        assert CaseEvent.objects.get(kind=EventKind.BLOCK_IMMEDIATE).actor == manager
        [email] = mailoutbox
        assert email.to == [md.email]
        assert "Immediate block" in email.subject

    @pytest.mark.parametrize("role", ["officer", "director", "md"])
    def test_other_roles_cannot_block_at_once(self, request, md, case, role, mailoutbox):
        with pytest.raises(PermissionDenied):
            services.block_immediate(
                actor=request.getfixturevalue(role), case=case, scope=BlockScope.ALL, reason=REASON
            )

        assert not Block.objects.exists()
        assert kinds(case) == []
        assert mailoutbox == []

    def test_refused_while_the_account_is_already_blocked(self, manager, case):
        factories.ActiveBlockFactory(case=case)

        with pytest.raises(ValidationError, match="already has a block on all channels"):
            services.block_immediate(actor=manager, case=case, scope=BlockScope.ALL, reason=REASON)

        assert Block.objects.count() == 1


class TestChannelBan:
    @pytest.mark.parametrize(
        "extra_rules", [pytest.param([], id="misinformation"), pytest.param(["abusive"], id="and-abusive")]
    )
    def test_officer_bans_from_the_channel_and_the_posts_are_deleted(
        self, officer, md, misinformation_case, extra_rules, mailoutbox, django_capture_on_commit_callbacks
    ):
        case = misinformation_case
        case.rules.add(*[factories.rule(code) for code in extra_rules])
        elsewhere = factories.PostFactory(account=case.account, channel=case.channel)  # not on this case

        with clock.travel_to(MONDAY), django_capture_on_commit_callbacks(execute=True):
            block = services.channel_ban(actor=officer, case=case, reason="Claimed the tip is closing.")

        block.refresh_from_db()
        assert (block.kind, block.status) == (BlockKind.CHANNEL_BAN, BlockStatus.ACTIVE)
        assert (block.scope, block.channel) == (BlockScope.CHANNEL, case.channel)
        assert block.started_at == MONDAY
        assert block.appeal_opens_at == block.started_at  # challengeable at once
        posts = list(case.posts.all())
        assert len(posts) == 2
        assert {p.visibility for p in posts} == {Visibility.DELETED}
        assert {p.visibility_changed_by for p in posts} == {officer}
        elsewhere.refresh_from_db()
        assert elsewhere.visibility == Visibility.VISIBLE
        ban = CaseEvent.objects.get(case=case, kind=EventKind.CHANNEL_BAN)
        assert ban.actor == officer
        assert sorted(ban.after["posts_deleted"]) == sorted(p.pk for p in posts)
        [email] = mailoutbox
        assert email.to == [md.email]
        assert "Channel ban" in email.subject
        assert f"Scope: {case.channel}" in email.body

    def test_a_case_without_the_misinformation_rule_is_refused(self, officer, case):
        with pytest.raises(ValidationError, match="misinformation"):
            services.channel_ban(actor=officer, case=case, reason="Not misinformation.")

        assert not Block.objects.exists()
        assert set(case.posts.values_list("visibility", flat=True)) == {Visibility.VISIBLE}
        assert kinds(case) == []

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_roles_that_cannot_ban(self, request, misinformation_case, role):
        with pytest.raises(PermissionDenied):
            services.channel_ban(actor=request.getfixturevalue(role), case=misinformation_case, reason="No.")

        assert not Block.objects.exists()
        assert Visibility.DELETED not in set(misinformation_case.posts.values_list("visibility", flat=True))


class TestBlockAcknowledge:
    def test_the_managing_director_acknowledges_once(self, md):
        with clock.travel_to(MONDAY):
            block = factories.ActiveBlockFactory()
            services.block_acknowledge(actor=md, block=block, note="Aware; fully support.")

        with clock.travel_to(TUESDAY):
            again = services.block_acknowledge(actor=md, block=block, note="Again.")

        block.refresh_from_db()
        assert (block.md_acknowledged_by, block.md_acknowledged_at) == (md, MONDAY)
        assert again.md_acknowledged_at == MONDAY
        [event] = CaseEvent.objects.filter(case=block.case)
        assert (event.kind, event.actor, event.note) == (EventKind.MD_ACKNOWLEDGED, md, "Aware; fully support.")

    @pytest.mark.parametrize("role", ["officer", "manager", "director"])
    def test_only_the_managing_director_acknowledges(self, request, role):
        block = factories.ActiveBlockFactory()

        with pytest.raises(PermissionDenied):
            services.block_acknowledge(actor=request.getfixturevalue(role), block=block)

        block.refresh_from_db()
        assert block.md_acknowledged_at is None
        assert not CaseEvent.objects.exists()

    @pytest.mark.parametrize("status", [BlockStatus.AWAITING_SIGNOFF, BlockStatus.REFUSED])
    def test_a_block_that_never_started_is_refused(self, md, block_in_state, status):
        block = block_in_state(status)

        with pytest.raises(ValidationError) as refused:
            services.block_acknowledge(actor=md, block=block)

        assert refused.value.code == "conflict"
        assert block.get_status_display().lower() in refused.value.message
        block.refresh_from_db()
        assert block.md_acknowledged_at is None


class TestPoliceReport:
    def test_the_manager_records_it_and_the_managing_director_is_emailed(
        self, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        block = factories.ActiveBlockFactory(case=case)

        with clock.travel_to(TUESDAY), django_capture_on_commit_callbacks(execute=True):
            report = services.police_report_record(
                actor=manager,
                case=case,
                block=block,
                force=" Hertfordshire Constabulary ",
                reference="41/12345/27",
                reported_on=date(2027, 3, 15),
            )

        report.refresh_from_db()
        assert (report.force, report.reference, report.reported_on) == (
            "Hertfordshire Constabulary",
            "41/12345/27",
            date(2027, 3, 15),
        )
        assert (report.case, report.block, report.recorded_by, report.recorded_at) == (case, block, manager, TUESDAY)
        event, notified = CaseEvent.objects.filter(case=case).order_by("id")
        assert (event.kind, event.actor) == (EventKind.POLICE_REPORTED, manager)
        assert event.after["reference"] == "41/12345/27"
        assert (notified.kind, notified.actor, notified.subject_id) == (EventKind.MD_NOTIFIED, None, report.pk)
        assert report.md_notified_at is not None
        [email] = mailoutbox
        assert email.to == [md.email]
        assert f"Reported to the police: case {case.pk}" in email.subject
        assert "Reference: 41/12345/27" in email.body
        assert "Reported on: 15 March 2027" in email.body

    def test_the_same_reference_twice_is_refused_clearly(self, manager, md, case):
        def report():
            return services.police_report_record(
                actor=manager, case=case, force="Herts", reference="41/1/27", reported_on=timezone.localdate()
            )

        report()
        with pytest.raises(ValidationError) as excinfo:
            report()
        assert "already recorded" in excinfo.value.message_dict["reference"][0]
        assert PoliceReport.objects.count() == 1

    def test_the_managing_director_is_told_once(self, manager, md, case, mailoutbox):
        report = services.police_report_record(
            actor=manager, case=case, force="Herts", reference="41/2/27", reported_on=timezone.localdate()
        )
        assert services.police_report_notify_managing_director(report_id=report.pk) is True
        assert services.police_report_notify_managing_director(report_id=report.pk) is False
        assert len(mailoutbox) == 1

    @pytest.mark.parametrize("role", ["officer", "director", "md"])
    def test_only_the_manager_records_it(self, request, md, case, role, mailoutbox):
        with pytest.raises(PermissionDenied):
            services.police_report_record(
                actor=request.getfixturevalue(role),
                case=case,
                force="Herts",
                reference="1",
                reported_on=timezone.localdate(),
            )

        assert not PoliceReport.objects.exists()
        assert mailoutbox == []

    def test_a_future_date_is_refused(self, manager, md, case, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(TUESDAY), pytest.raises(ValidationError) as refused:
            with django_capture_on_commit_callbacks(execute=True):
                services.police_report_record(
                    actor=manager, case=case, force="Herts", reference="41/1", reported_on=date(2027, 3, 17)
                )

        assert "reported_on" in refused.value.error_dict
        assert not PoliceReport.objects.exists()
        assert kinds(case) == []
        assert mailoutbox == []

    def test_today_is_the_london_date(self, manager, case):
        """At 00:30 on 1 July in London it is still 30 June in UTC: 1 July is not in the future."""
        with clock.travel_to(datetime(2027, 6, 30, 23, 30, tzinfo=UTC)):
            report = services.police_report_record(
                actor=manager, case=case, force="Herts", reference="41/2", reported_on=date(2027, 7, 1)
            )

        assert report.reported_on == date(2027, 7, 1)

    def test_a_block_of_another_case_is_refused(self, manager, case):
        other_block = factories.ActiveBlockFactory()

        with pytest.raises(ValidationError) as refused:
            services.police_report_record(
                actor=manager,
                case=case,
                block=other_block,
                force="Herts",
                reference="41/3",
                reported_on=timezone.localdate(),
            )

        assert "block" in refused.value.error_dict
        assert not PoliceReport.objects.exists()


class TestBlockUndoneOnPlatform:
    def test_recorded_once_the_block_is_lifted(self, officer, block_in_state):
        block = block_in_state(BlockStatus.LIFTED)

        with clock.travel_to(MONDAY):
            services.block_undone_on_platform(actor=officer, block=block)
        with clock.travel_to(TUESDAY):
            services.block_undone_on_platform(actor=officer, block=block)

        block.refresh_from_db()
        assert (block.undone_on_platform_by, block.undone_on_platform_at) == (officer, MONDAY)
        [event] = CaseEvent.objects.filter(case=block.case)
        assert (event.kind, event.actor) == (EventKind.BLOCK_UNDONE_ON_PLATFORM, officer)

    @pytest.mark.parametrize("status", [BlockStatus.AWAITING_SIGNOFF, BlockStatus.ACTIVE, BlockStatus.REFUSED])
    def test_refused_before_the_block_is_lifted(self, officer, block_in_state, status):
        block = block_in_state(status)

        with pytest.raises(ValidationError) as refused:
            services.block_undone_on_platform(actor=officer, block=block)

        assert refused.value.code == "conflict"
        assert block.get_status_display().lower() in refused.value.message
        block.refresh_from_db()
        assert block.undone_on_platform_at is None
        assert not CaseEvent.objects.exists()

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_roles_that_cannot_record_it(self, request, block_in_state, role):
        block = block_in_state(BlockStatus.LIFTED)

        with pytest.raises(PermissionDenied):
            services.block_undone_on_platform(actor=request.getfixturevalue(role), block=block)

        block.refresh_from_db()
        assert block.undone_on_platform_at is None
