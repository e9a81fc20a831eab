"""A channel ban is a block: where the policy makes a written warning a step before a block (HMPPS),
the misinformation channel ban waits for one too, unless the case cites a zero-tolerance rule; and
the advice says "warn first" instead of "ban" (found by tests/policy/test_policy_properties.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from escalation import services
from escalation.constants import BlockKind, BlockStatus, Recommendation
from escalation.models import Block
from escalation.selectors import account_standing
from moderation import clock
from moderation.constants import Visibility
from moderation.models import CaseEvent, Post
from policy import services as policy
from tests import factories
from tests.factories import rule

pytestmark = pytest.mark.django_db
REASON = "False claims that the tip is closing."


@pytest.fixture
def warning_first():
    policy.revise(reason="HMPPS: a warning before any block.", warning_before_block="required")


def misinformation_case(*codes: str):
    return factories.OpenCaseFactory(rules=[rule("misinformation"), *(rule(code) for code in codes)])  # one post


def test_a_channel_ban_of_an_account_never_warned_is_refused_and_changes_nothing(warning_first, officer):
    case = misinformation_case()
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(ValidationError, match="needs a written warning before a block"):
        services.channel_ban(actor=officer, case=case, reason=REASON)

    assert not Block.objects.filter(account=case.account).exists()
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Post.objects.get(case=case).visibility == Visibility.VISIBLE  # the post was not removed either


def test_a_channel_ban_after_a_warning_sent_in_the_lookback_goes_ahead(warning_first, officer):
    case = misinformation_case()
    factories.SentWarningFactory(case=case, sent_at=clock.now() - timedelta(days=30))

    block = services.channel_ban(actor=officer, case=case, reason=REASON)

    assert (block.kind, block.status) == (BlockKind.CHANNEL_BAN, BlockStatus.ACTIVE)


def test_a_zero_tolerance_rule_lets_the_channel_ban_through_without_a_warning(warning_first, officer):
    case = misinformation_case("discriminatory")

    assert services.channel_ban(actor=officer, case=case, reason=REASON).status == BlockStatus.ACTIVE


def test_where_a_warning_is_only_advice_the_channel_ban_needs_none(officer):
    case = misinformation_case()

    assert services.channel_ban(actor=officer, case=case, reason=REASON).status == BlockStatus.ACTIVE


def test_the_advice_is_a_warning_first_not_the_ban(officer):
    case = misinformation_case()
    assert account_standing(case.account, case=case).recommendation == Recommendation.CHANNEL_BAN

    policy.revise(reason="HMPPS: a warning before any block.", warning_before_block="required")
    standing = account_standing(case.account, case=case)

    assert standing.recommendation == Recommendation.WARNING
    assert "warning before a block" in standing.reason
    factories.SentWarningFactory(case=case, sent_at=clock.now() - timedelta(days=30))
    assert account_standing(case.account, case=case).recommendation == Recommendation.CHANNEL_BAN


def test_a_ban_on_another_channel_does_not_stand_in_for_the_warning(warning_first, officer, manager):
    """Found by the property test: an account banned from another channel (under a zero-tolerance
    rule, so without a warning) and never warned was still advised a ban here, which the service
    refuses. The advice and the service now agree: warn first."""
    elsewhere = misinformation_case("discriminatory")
    services.channel_ban(actor=officer, case=elsewhere, reason=REASON)
    other_channel = factories.ChannelFactory(platform=elsewhere.channel.platform)
    here = factories.OpenCaseFactory(account=elsewhere.account, channel=other_channel, rules=[rule("misinformation")])

    standing = account_standing(here.account, case=here)

    assert standing.recommendation == Recommendation.WARNING
    with pytest.raises(ValidationError, match="needs a written warning before a block"):
        services.channel_ban(actor=officer, case=here, reason=REASON)
