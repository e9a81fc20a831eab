"""Issue 10, item 2: one recommendation table that knows every rule kind.

Every rule kind × standing combination, through ``account_standing(case=...)`` (what the case,
sign-off, warning, block and appeal pages show), and the case page's primary button.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from escalation.advice import TABLE, History, RuleKind
from escalation.constants import BlockScope, Recommendation
from escalation.selectors import account_standing
from moderation import clock
from moderation.constants import Priority
from tests import factories
from tests.factories import rule

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

# rule kind → (rules the case cites, priority)
KINDS = {
    RuleKind.ORDINARY: (["abusive"], Priority.NORMAL),
    RuleKind.ZERO_TOLERANCE: (["discriminatory"], Priority.NORMAL),
    RuleKind.MISINFORMATION: (["misinformation"], Priority.NORMAL),
    RuleKind.UNLAWFUL: (["illegal"], Priority.NORMAL),
    RuleKind.UNLAWFUL_URGENT: (["abusive", "illegal"], Priority.URGENT),
}

R = Recommendation
EXPECTED = {
    # rule kind:               none,              warned,            elsewhere,         here,   everywhere
    RuleKind.ORDINARY: (R.WARNING, R.BLOCK, R.NONE, R.NONE, R.NONE),
    RuleKind.ZERO_TOLERANCE: (R.BLOCK, R.BLOCK, R.BLOCK, R.NONE, R.NONE),
    RuleKind.MISINFORMATION: (R.CHANNEL_BAN, R.CHANNEL_BAN, R.CHANNEL_BAN, R.NONE, R.NONE),
    RuleKind.UNLAWFUL: (R.BLOCK, R.BLOCK, R.BLOCK, R.NONE, R.NONE),
    RuleKind.UNLAWFUL_URGENT: (R.IMMEDIATE_BLOCK, R.IMMEDIATE_BLOCK, R.IMMEDIATE_BLOCK, R.NONE, R.NONE),
}
HISTORIES = (H := History).NONE, H.WARNED, H.BLOCKED_ELSEWHERE, H.BLOCKED_HERE, H.BLOCKED_EVERYWHERE

CELLS = [
    pytest.param(kind, history, EXPECTED[kind][i], id=f"{kind}-{history}")
    for kind in RuleKind.values
    for i, history in enumerate(HISTORIES)
]


def make_history(case, history: str) -> None:
    if history == History.WARNED:
        factories.SentWarningFactory(
            case=factories.OpenCaseFactory(account=case.account), sent_at=NOW - timedelta(days=30)
        )
    elif history == History.BLOCKED_ELSEWHERE:
        other = factories.ChannelFactory(platform=case.channel.platform)
        factories.ActiveBlockFactory(case=case, scope=BlockScope.CHANNEL, channel=other)
    elif history == History.BLOCKED_HERE:
        factories.ActiveBlockFactory(case=case, scope=BlockScope.CHANNEL, channel=case.channel)
    elif history == History.BLOCKED_EVERYWHERE:
        factories.ActiveBlockFactory(case=case, scope=BlockScope.ALL, channel=None)


def test_the_table_covers_every_kind_and_standing():
    assert set(TABLE) == set(RuleKind.values)
    assert all(set(row) == set(History.values) for row in TABLE.values())
    assert {(k, h): TABLE[k][h] for k in TABLE for h in TABLE[k]} == {
        (k, h): EXPECTED[k][i] for k in EXPECTED for i, h in enumerate(HISTORIES)
    }


@pytest.mark.parametrize(("kind", "history", "expected"), CELLS)
def test_every_rule_kind_in_every_standing(kind, history, expected):
    codes, priority = KINDS[kind]
    with clock.travel_to(NOW):
        case = factories.OpenCaseFactory(rules=[rule(code) for code in codes], priority=priority)
        make_history(case, history)

        standing = account_standing(case.account, case=case)

    assert standing.recommendation == expected, standing.reason
    assert standing.reason
    assert standing.police_report == (kind in (RuleKind.UNLAWFUL, RuleKind.UNLAWFUL_URGENT))


def test_misinformation_recommends_the_channel_ban_not_a_warning():
    with clock.travel_to(NOW):
        case = factories.OpenCaseFactory(rules=[rule("misinformation")])
        standing = account_standing(case.account, case=case)
    assert standing.recommendation_label == "Ban from the channel (misinformation)"
    assert case.channel.name in standing.reason
    assert "warn" not in standing.reason.lower()


def test_an_urgent_threat_that_breaks_the_law_advises_an_immediate_block_and_the_police():
    with clock.travel_to(NOW):
        case = factories.OpenCaseFactory(rules=[rule("abusive"), rule("illegal")], priority=Priority.URGENT)
        standing = account_standing(case.account, case=case)
    assert standing.recommendation == Recommendation.IMMEDIATE_BLOCK
    assert standing.police_report is True
    assert "police" in standing.police_reason


class TestTheCasePage:
    def test_a_misinformation_case_makes_the_channel_ban_the_primary_button(self, client, officer):
        case = factories.OpenCaseFactory(recorded_by=officer, rules=[rule("misinformation")])
        client.force_login(officer)

        page = client.get(reverse("moderation:case_detail", args=[case.pk]))

        assert page.context["primary"] == "channel_ban"
        html = page.content.decode()
        assert "Ban from the channel (misinformation)" in html
        assert "Issue a written warning" not in html

    def test_an_urgent_unlawful_threat_makes_block_immediately_primary_for_the_manager(self, client, manager):
        case = factories.OpenCaseFactory(rules=[rule("illegal")], priority=Priority.URGENT)
        client.force_login(manager)

        page = client.get(reverse("moderation:case_detail", args=[case.pk]))

        assert page.context["primary"] == "immediate_block"
        assert "Consider reporting it to the police" in page.content.decode()

    def test_an_officer_is_pointed_to_propose_the_block(self, client, officer):
        case = factories.OpenCaseFactory(rules=[rule("illegal")], priority=Priority.URGENT)
        client.force_login(officer)

        page = client.get(reverse("moderation:case_detail", args=[case.pk]))

        assert page.context["primary"] == "propose_block"
