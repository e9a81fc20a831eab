"""The case page and the account page cost at most 12 queries whatever the history (issue 13): many
events, warnings, blocks, appeals, police reports and evidence cost the same as few."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.constants import BlockScope, BlockStatus, WarningStatus
from escalation.models import PoliceReport
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent, Evidence
from tests import factories

pytestmark = pytest.mark.django_db
BUDGET = 12


def history(account, channel, officer, manager, n: int):
    """A case of ``account`` with ``n`` of everything, and ``n`` more cases of the account with a
    sent warning and a block each (one with an appeal)."""
    case = factories.OpenCaseFactory(account=account, channel=channel, recorded_by=officer, posts=[])
    for i in range(n):
        factories.PostFactory(case=case, channel=channel, account=account, text=f"Post {i}")
        CaseEvent.objects.create(
            case=case, kind=EventKind.CASE_ASSIGNED, actor=officer, actor_label="Olivia", at=clock.now(),
            subject_type="case", subject_id=case.pk,
        )  # fmt: skip
        Evidence.objects.create(case=case, url=f"https://example.com/{i}", description=f"Shot {i}", added_by=officer)
        PoliceReport.objects.create(
            case=case, force="Herts", reference=f"REF-{account.pk}-{i}", reported_on=clock.now().date(),
            recorded_by=manager,
        )  # fmt: skip
        other = factories.OpenCaseFactory(account=account, channel=channel, recorded_by=officer)
        factories.SentWarningFactory(case=other, status=WarningStatus.SENT, sent_at=clock.now() - timedelta(days=i))
        block = factories.ActiveBlockFactory(
            case=other, scope=BlockScope.CHANNEL, channel=factories.ChannelFactory(platform=channel.platform),
            status=BlockStatus.ACTIVE if i % 2 else BlockStatus.LIFTED,
        )  # fmt: skip
        factories.SentWarningFactory(case=case)
        factories.ActiveBlockFactory(
            case=case, scope=BlockScope.CHANNEL, channel=block.channel, status=BlockStatus.REFUSED, started_at=None,
            appeal_opens_at=None,
        )  # fmt: skip
    factories.UnderReviewAppealFactory(block=factories.AppealEligibleBlockFactory(case=case, account=account))
    return case


def queries(client, url) -> int:
    client.get(url)  # the navigation's counts cached, as on any page after the first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("user", ["officer", "manager"])
def test_the_case_page_costs_the_same_for_two_of_everything_as_for_twenty(request, channel, officer, manager, user):
    small = history(factories.SocialAccountFactory(platform=channel.platform), channel, officer, manager, 2)
    large = history(factories.SocialAccountFactory(platform=channel.platform), channel, officer, manager, 20)
    client = request.getfixturevalue("client")
    client.force_login(request.getfixturevalue(user))
    few = queries(client, reverse("moderation:case_detail", args=[small.pk]))
    many = queries(client, reverse("moderation:case_detail", args=[large.pk]))
    assert many == few
    assert many <= BUDGET
    page = client.get(reverse("moderation:case_detail", args=[large.pk])).content.decode()
    assert "REF-" in page and "Shot 19" in page and "Appeal " in page  # noqa: PT018 - all of it shown


def test_the_account_page_costs_the_same_for_two_of_everything_as_for_twenty(client, channel, officer, manager):
    small = history(factories.SocialAccountFactory(platform=channel.platform), channel, officer, manager, 2)
    large = history(factories.SocialAccountFactory(platform=channel.platform), channel, officer, manager, 20)
    client.force_login(officer)
    few = queries(client, reverse("moderation:account_detail", args=[small.account_id]))
    many = queries(client, reverse("moderation:account_detail", args=[large.account_id]))
    assert many == few
    assert many <= BUDGET


def test_the_first_page_of_a_session_adds_only_the_navigation_counts(client, channel, officer, manager):
    case = history(factories.SocialAccountFactory(platform=channel.platform), channel, officer, manager, 3)
    client.force_login(manager)
    url = reverse("moderation:case_detail", args=[case.pk])
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    assert len(cold) <= queries(client, url) + 3  # the role's name, open flags, decisions waiting
