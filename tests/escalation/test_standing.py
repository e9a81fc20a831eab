"""escalation.selectors: an account's standing (the recommended next step) and the sign-off inbox.

Recommendation (advice only): blocked on all channels → nothing more; an open case citing a
zero-tolerance rule → block; a warning sent in the last 12 months → block; otherwise → warning.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group

from escalation import routing
from escalation.constants import BlockScope, BlockStatus, Recommendation, SignOffStatus, WarningStatus
from escalation.models import SignOff
from escalation.selectors import account_standing, signoffs_for
from escalation.services import signoff_decide, warning_draft, warning_submit
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus
from tests import factories
from tests.factories import rule

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with clock.travel_to(NOW):
        yield NOW


@pytest.fixture
def account(db):
    return factories.SocialAccountFactory(handle="angry_resident")


@pytest.fixture
def case(account):
    return factories.OpenCaseFactory(account=account)


def sent_warning(case, sent_at):
    return factories.SentWarningFactory(case=case, sent_at=sent_at)


class TestAccountStanding:
    def test_no_history_recommends_a_warning(self, now, account):
        standing = account_standing(account)

        assert standing.recommendation == Recommendation.WARNING
        assert standing.recommendation_label == "Issue a written warning"
        assert (standing.active_blocks, standing.recent_warnings, standing.zero_tolerance_rules) == ([], [], [])
        assert standing.blocked_everywhere is False
        assert standing.next_appeal_opens_at is None

    @pytest.mark.parametrize(
        "months_ago", [pytest.param(0, id="today"), pytest.param(6, id="6-months"), pytest.param(11, id="11-months")]
    )
    def test_a_warning_sent_within_twelve_months_recommends_a_block(self, now, case, months_ago):
        warning = sent_warning(case, NOW - relativedelta(months=months_ago))

        standing = account_standing(case.account)

        assert standing.recommendation == Recommendation.BLOCK
        assert standing.recent_warnings == [warning]
        assert "warned on" in standing.reason

    @pytest.mark.parametrize("months_ago", [13, 24])
    def test_a_warning_sent_longer_ago_recommends_another_warning(self, now, case, months_ago):
        sent_warning(case, NOW - relativedelta(months=months_ago))

        standing = account_standing(case.account)

        assert standing.recommendation == Recommendation.WARNING
        assert standing.recent_warnings == []

    @pytest.mark.parametrize("status", [WarningStatus.DRAFT, WarningStatus.APPROVED, WarningStatus.WITHDRAWN])
    def test_a_warning_that_was_never_sent_does_not_count(self, now, case, status):
        factories.DraftWarningFactory(case=case, status=status)

        assert account_standing(case.account).recommendation == Recommendation.WARNING

    def test_another_accounts_warning_does_not_count(self, now, account):
        sent_warning(factories.OpenCaseFactory(), NOW - relativedelta(months=1))

        assert account_standing(account).recommendation == Recommendation.WARNING

    def test_warnings_on_every_case_of_the_account_count(self, now, account):
        factories.OpenCaseFactory(account=account)
        earlier = factories.OpenCaseFactory(
            account=account, status=CaseStatus.CLOSED, outcome=CaseOutcome.WARNED, closed_at=NOW
        )
        sent_warning(earlier, NOW - relativedelta(months=3))

        assert account_standing(account).recommendation == Recommendation.BLOCK

    def test_an_open_case_citing_a_zero_tolerance_rule_recommends_a_block(self, now, account):
        factories.OpenCaseFactory(account=account, rules=[rule("abusive"), rule("discriminatory")])

        standing = account_standing(account)

        assert standing.recommendation == Recommendation.BLOCK
        assert standing.zero_tolerance_rules == [rule("discriminatory")]
        assert "Zero tolerance" in standing.reason
        assert rule("discriminatory").title.lower() in standing.reason

    def test_a_closed_case_citing_a_zero_tolerance_rule_does_not(self, now, account):
        factories.OpenCaseFactory(
            account=account,
            rules=[rule("discriminatory")],
            status=CaseStatus.CLOSED,
            outcome=CaseOutcome.POST_REMOVED,
            closed_at=NOW,
        )
        factories.OpenCaseFactory(account=account, rules=[rule("abusive")])

        standing = account_standing(account)

        assert standing.recommendation == Recommendation.WARNING
        assert standing.zero_tolerance_rules == []

    def test_an_active_block_on_all_channels_recommends_nothing_more(self, now, case):
        block = factories.ActiveBlockFactory(case=case, scope=BlockScope.ALL)
        sent_warning(case, NOW - relativedelta(months=1))
        case.rules.add(rule("discriminatory"))

        standing = account_standing(case.account)

        assert standing.recommendation == Recommendation.NONE
        assert standing.blocked_everywhere is True
        assert standing.active_blocks == [block]
        assert standing.next_appeal_opens_at == block.appeal_opens_at

    @pytest.mark.parametrize("status", [BlockStatus.LIFTED, BlockStatus.REFUSED])
    def test_a_block_no_longer_active_does_not_stop_the_recommendation(self, now, case, status):
        factories.ActiveBlockFactory(case=case, status=status)

        standing = account_standing(case.account)

        assert standing.recommendation == Recommendation.WARNING
        assert standing.active_blocks == []

    def test_a_proposed_block_is_not_yet_a_block(self, now, case):
        factories.ProposedBlockFactory(case=case)

        assert account_standing(case.account).recommendation == Recommendation.WARNING

    @pytest.mark.parametrize("warned", [False, True], ids=["no-warning", "warned"])
    def test_a_channel_only_block_is_nothing_more_and_says_where(self, now, case, warned):
        ban = factories.ActiveBlockFactory(case=case, scope=BlockScope.CHANNEL, channel=case.channel)
        if warned:
            sent_warning(case, NOW - relativedelta(months=1))

        standing = account_standing(case.account)

        assert standing.recommendation == Recommendation.NONE
        assert f"already blocked on {case.channel.name}" in standing.reason
        assert "another channel is for you to judge" in standing.reason
        assert standing.blocked_everywhere is False
        assert standing.active_blocks == [ban]

    def test_now_can_be_given(self, case):
        sent_warning(case, datetime(2025, 1, 10, 12, 0, tzinfo=UTC))

        assert account_standing(case.account, now=datetime(2025, 12, 1, tzinfo=UTC)).recommendation == (
            Recommendation.BLOCK
        )
        assert account_standing(case.account, now=datetime(2026, 2, 1, tzinfo=UTC)).recommendation == (
            Recommendation.WARNING
        )

    @pytest.mark.parametrize("warnings", [1, 20])
    def test_takes_the_same_number_of_queries_whatever_the_history(
        self, now, account, django_assert_num_queries, warnings
    ):
        for n in range(warnings):
            case = factories.OpenCaseFactory(account=account, rules=[rule("abusive"), rule("discriminatory")])
            sent_warning(case, NOW - relativedelta(days=n + 1))
        channel_ban = factories.ActiveBlockFactory(case=case, scope=BlockScope.CHANNEL, channel=case.channel)

        with django_assert_num_queries(3):
            standing = account_standing(account)
            shown = (
                [str(b.channel) for b in standing.active_blocks],
                [w.sent_at for w in standing.recent_warnings],
                [r.title for r in standing.zero_tolerance_rules],
                standing.reason,
                standing.next_appeal_opens_at,
            )

        assert len(shown[1]) == warnings
        assert shown[0] == [str(channel_ban.channel)]
        assert len(shown[2]) == 1


# --- The sign-off inbox ------------------------------------------------------------------------


@pytest.fixture
def inbox(db, officer, manager, director, service_area):
    """One pending sign-off of each kind, plus a manager's own request and a decided one.

    ``director`` directs ``service_area``; "planning" is another area; "no area" has none.
    """
    planning = factories.ServiceAreaFactory(name="Planning")
    in_area = factories.OpenCaseFactory(service_area=service_area, recorded_by=officer)
    in_planning = factories.OpenCaseFactory(service_area=planning, recorded_by=officer)
    no_area = factories.OpenCaseFactory(service_area=None, recorded_by=officer)

    def submitted(case, actor):
        return warning_submit(actor=actor, warning=warning_draft(actor=actor, case=case))

    decided = submitted(factories.OpenCaseFactory(service_area=service_area, recorded_by=officer), officer)
    signoff_decide(actor=factories.ManagerFactory(), signoff=decided, approve=True)
    return {
        "warning in area": submitted(in_area, officer),
        "warning in planning": submitted(in_planning, officer),
        "warning with no area": submitted(no_area, officer),
        "manager's own warning": submitted(factories.OpenCaseFactory(service_area=service_area), manager),
        "block": factories.ProposedBlockFactory(case__recorded_by=officer).signoffs.get(),
        "appeal": factories.UnderReviewAppealFactory(recorded_by=officer).signoffs.get(),
        "decided": decided,
    }


class TestSignoffsFor:
    @pytest.mark.parametrize(
        ("user", "expected"),
        [
            pytest.param(
                "manager",
                ["warning in area", "warning in planning", "warning with no area", "block"],
                id="communications-manager",
            ),
            pytest.param(
                "other_manager",
                ["warning in area", "warning in planning", "warning with no area", "manager's own warning", "block"],
                id="another-manager",
            ),
            pytest.param("director", ["warning in area", "manager's own warning"], id="service-director"),
            pytest.param("md", ["appeal"], id="managing-director"),
            pytest.param("officer", [], id="officer"),
        ],
    )
    def test_lists_what_each_role_may_decide_and_not_their_own_requests(self, request, inbox, user, expected):
        user = request.getfixturevalue(user)

        listed = list(signoffs_for(user))

        names = {signoff.pk: name for name, signoff in inbox.items()}
        assert sorted(names[s.pk] for s in listed) == sorted(expected)
        assert all(s.status == SignOffStatus.PENDING for s in listed)

    def test_oldest_first(self, manager, officer):
        with clock.travel_to(datetime(2026, 1, 12, 10, tzinfo=UTC)):
            older = warning_submit(actor=officer, warning=factories.DraftWarningFactory())
        with clock.travel_to(datetime(2026, 1, 10, 10, tzinfo=UTC)):
            oldest = factories.ProposedBlockFactory().signoffs.get()
        with clock.travel_to(datetime(2026, 1, 13, 10, tzinfo=UTC)):
            newest = warning_submit(actor=officer, warning=factories.DraftWarningFactory())

        assert list(signoffs_for(manager)) == [oldest, older, newest]

    @pytest.mark.parametrize("user", ["manager", "other_manager", "director", "other_director", "md", "officer"])
    def test_agrees_with_who_may_decide(self, request, inbox, user):
        """What the inbox shows is exactly what the user would be allowed to decide."""
        user = request.getfixturevalue(user)

        allowed = {
            s.pk
            for s in SignOff.objects.filter(status=SignOffStatus.PENDING).select_related("case")
            if s.requested_by_id != user.pk
            and routing.can_decide_signoff(user, kind=s.kind, service_area_id=s.case.service_area_id)
        }

        assert {s.pk for s in signoffs_for(user)} == allowed

    def test_a_director_who_is_also_managing_director_sees_each_sign_off_once(self, service_area, director, officer):
        both = factories.ServiceDirectorFactory()
        both.groups.add(Group.objects.get(name=routing.MANAGING_DIRECTOR))
        service_area.directors.add(both)  # the area now has two directors
        appeal = factories.UnderReviewAppealFactory(block__case__service_area=service_area, recorded_by=officer)
        warning = warning_submit(actor=officer, warning=factories.DraftWarningFactory(case__service_area=service_area))

        listed = list(signoffs_for(both))

        assert sorted(s.pk for s in listed) == sorted([appeal.signoffs.get().pk, warning.pk])


def test_the_author_of_a_warning_never_sees_it_in_their_inbox(manager, other_manager, officer):
    from escalation import services
    from escalation.selectors import signoffs_for

    case = factories.OpenCaseFactory()
    warning = services.warning_draft(actor=manager, case=case)
    signoff = services.warning_submit(actor=officer, warning=warning)  # asked by someone else

    assert list(signoffs_for(manager)) == []
    assert list(signoffs_for(other_manager)) == [signoff]
