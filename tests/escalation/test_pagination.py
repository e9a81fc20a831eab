"""The account page's cases and the decisions page's lists come 25 a page (issue 13); a bad
``?page=`` shows a page, never an error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escalation.constants import SignOffKind, SignOffStatus
from escalation.models import SignOff
from moderation import clock
from moderation.models import Case
from tests import factories
from tests.moderation.test_views_queue import bulk_cases

pytestmark = pytest.mark.django_db
INBOX = reverse("escalation:decision_list")


def account_url(account) -> str:
    return reverse("moderation:account_detail", args=[account.pk])


@pytest.fixture
def account_with_60_cases(channel, officer):
    account = factories.SocialAccountFactory(platform=channel.platform)
    bulk_cases(60, channel=channel, recorded_by=officer, account=account)
    return account


class TestAccountPage:
    def test_cases_come_25_a_page_newest_first(self, client, officer, account_with_60_cases):
        client.force_login(officer)
        cases = Case.objects.filter(account=account_with_60_cases)
        newest = list(cases.order_by("-recorded_at", "-id").values_list("pk", flat=True))
        pages = [client.get(account_url(account_with_60_cases), {"page": n}) for n in (1, 2, 3)]
        shown = [[case.pk for case, _ in page.context["cases"]] for page in pages]
        assert [len(ids) for ids in shown] == [25, 25, 10]
        assert shown[0] + shown[1] + shown[2] == newest
        html = pages[1].content.decode()
        assert "Cases <span" in html
        assert "(60)" in html
        assert 'aria-label="Pages of cases"' in html
        assert 'href="?page=3"' in html
        assert 'aria-current="page">2<' in html

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(page=st.one_of(st.text(max_size=12), st.integers(min_value=-(10**20), max_value=10**20).map(str)))
    @example(page="٢").via("a digit from another script")
    @example(page=" 2 ").via("spaces around a page number")
    @example(page="0").via("before the first page")
    def test_any_page_value_shows_a_page(self, client, officer, account_with_60_cases, page):
        client.force_login(officer)
        response = client.get(account_url(account_with_60_cases), {"page": page})
        assert response.status_code == 200
        number = response.context["cases_page"].number
        try:
            asked = int(page)  # as Django's paginator reads it: " 2 " and "٢" (Arabic-Indic two) are page 2
        except ValueError:
            asked = None
        if asked is None:
            assert number == 1  # not a number: the first
        elif 1 <= asked <= 3:
            assert number == asked
        else:
            assert number == 3  # before the first or past the end: the last

    def test_other_roles_still_cannot_open_it(self, client, md, account_with_60_cases):
        client.force_login(md)
        assert client.get(account_url(account_with_60_cases), {"page": 2}).status_code == 403


class TestDecisionsPage:
    def test_recently_decided_comes_25_a_page_newest_first(self, client, manager, officer):
        now = clock.now()
        for i in range(30):
            warning = factories.SentWarningFactory(drafted_by=officer)
            SignOff.objects.create(
                kind=SignOffKind.WARNING, case=warning.case, warning=warning, status=SignOffStatus.APPROVED,
                requested_by=officer, requested_at=now - timedelta(hours=40), due_at=now,
                decided_by=manager, decided_at=now - timedelta(hours=i),
            )  # fmt: skip
        client.force_login(manager)
        first = client.get(INBOX)
        second = client.get(INBOX, {"recent_page": 2})
        assert len(first.context["recent"]) == 25
        assert len(second.context["recent"]) == 5
        times = [s.decided_at for s, _ in first.context["recent"] + second.context["recent"]]
        assert times == sorted(times, reverse=True)
        assert 'aria-label="Pages of decisions you made"' in first.content.decode()
        assert client.get(INBOX, {"recent_page": "nonsense"}).context["recent_page"].number == 1

    def test_blocks_to_acknowledge_come_25_a_page(self, client, md):
        for _ in range(27):
            factories.ActiveBlockFactory()
        client.force_login(md)
        first = client.get(INBOX)
        assert len(first.context["to_acknowledge"]) == 25
        assert "Blocks to acknowledge" in first.content.decode()
        assert "(27)" in first.content.decode()
        last = client.get(INBOX, {"acknowledge_page": "99"})
        assert last.status_code == 200
        assert len(last.context["to_acknowledge"]) == 2
        assert 'href="?acknowledge_page=1"' in last.content.decode()
