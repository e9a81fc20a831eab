"""Searching the queue and the API (issue 13): English full-text search of post text, any part of a
handle or name (trigram-indexed), a case's reference exactly, and a count capped at 1,000."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from moderation import clock, search, services
from moderation.models import Case, Post, SocialAccount
from tests import factories

pytestmark = pytest.mark.django_db
QUEUE = reverse("moderation:case_list")


def shown(client, query: str) -> set[str]:
    response = client.get(QUEUE, {"status": "all", **query})
    assert response.status_code == 200
    return {case.account.handle for case, _ in response.context["rows"]}


@pytest.fixture
def cases(channel):
    def case(handle, text, display_name=""):
        made = factories.OpenCaseFactory(
            channel=channel, account__handle=handle, account__display_name=display_name, posts=[]
        )
        factories.PostFactory(case=made, channel=channel, account=made.account, text=text)
        return made

    return {
        "threat": case("angry_of_hitchin", "I will threaten the whole committee"),
        "bins": case("binrage77", "Sort the bins out, useless lot", display_name="Bernard Ragworth"),
        "park": case("parkfan", "Great work on the park today"),
    }


class TestQueueSearch:
    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("threatening", {"angry_of_hitchin"}),  # stemmed: threatening → threaten
            ("threatened committees", {"angry_of_hitchin"}),
            ('"the park"', {"parkfan"}),  # a quoted phrase
            ("park -great", set()),  # web search syntax: a word excluded
            ("hitch", {"angry_of_hitchin"}),  # any part of a handle
            ("@RAGE7", {"binrage77"}),
            ("ragworth", {"binrage77"}),  # any part of a display name
            ("the", set()),  # a stop word alone finds nothing, and is no error
        ],
    )
    def test_finds_by_stem_phrase_and_part_of_a_handle(self, client, officer, cases, q, expected):
        client.force_login(officer)
        assert shown(client, {"q": q}) == expected

    def test_a_case_reference_finds_that_case_exactly(self, client, officer, cases, channel):
        wanted = cases["park"]
        client.force_login(officer)
        for q in (str(wanted.pk), f"Case {wanted.pk}", f"#{wanted.pk}"):
            assert shown(client, {"q": q}) == {"parkfan"}
        # a number that only contains the case's is no reference to it
        assert "parkfan" not in shown(client, {"q": f"{wanted.pk}0"})

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=st.text(max_size=60))
    def test_any_input_is_answered_without_an_error(self, client, officer, q):
        client.force_login(officer)
        assert client.get(QUEUE, {"q": q, "status": "all"}).status_code == 200

    def test_more_than_a_thousand_matches_are_not_counted(self, client, officer, channel):
        now = clock.now()
        accounts = SocialAccount.objects.bulk_create(
            [SocialAccount(platform=channel.platform, handle=f"pothole{i}") for i in range(1_005)]
        )
        Case.objects.bulk_create(
            [
                Case(
                    account=a, channel=channel, reason="Bulk", recorded_by=officer, response_due_at=now + timedelta(1)
                )
                for a in accounts
            ]
        )
        client.force_login(officer)
        page = client.get(QUEUE, {"q": "pothole"}).content.decode()
        assert "More than 1,000 cases" in page
        assert "1005 cases" not in page
        assert "1,005" not in page
        assert "page 1 of 40" in page
        # under the cap, the exact count
        assert "6 cases" in client.get(QUEUE, {"q": "pothole100"}).content.decode()  # 100, 1000 … 1004
        # no search: the exact count
        assert "1005 cases" in client.get(QUEUE).content.decode()

    def test_the_cap_reads_the_first_ids_once(self, officer, channel):
        """The count and the pages come from one query of at most 1,001 ids: the search runs once."""
        qs = Case.objects.filter(search.cases_matching("x")).order_by("pk")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            paginator = search.CappedPaginator(qs, 25)
            assert paginator.count == 0
            assert list(paginator.get_page(1).object_list) == []
        assert len(queries) == 1
        assert "LIMIT 1001" in queries.captured_queries[0]["sql"]
        assert 'SELECT "moderation_case"."id"' in queries.captured_queries[0]["sql"]

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_roles_without_the_queue_cannot_search_it(self, client, request, cases, role):
        client.force_login(request.getfixturevalue(role))
        assert client.get(QUEUE, {"q": "threatening"}).status_code == 403


class TestApiSearch:
    @pytest.fixture(autouse=True)
    def _fresh_throttle(self):
        cache.clear()
        yield
        cache.clear()

    def test_an_integration_finds_only_the_cases_of_its_channels(self, cases, channel):
        other = factories.ChannelFactory(name="Other", handle="other_council")
        elsewhere = factories.OpenCaseFactory(channel=other, account__handle="angry_elsewhere", posts=[])
        Post.objects.create(
            channel=other, account=elsewhere.account, case=elsewhere, text="I threaten you", posted_at=clock.now()
        )
        _integration, token = services.integration_create(actor=None, name="Export", channels=[channel])
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api.get("/api/v1/cases/", {"q": "threatening", "status": "all"})
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert ids == {cases["threat"].pk}

    def test_accounts_by_part_of_a_handle(self, cases, officer):
        api = APIClient()
        api.force_login(officer)

        response = api.get("/api/v1/accounts/", {"q": "@HITCH"})
        assert response.status_code == 200
        assert [row["handle"] for row in response.json()["results"]] == ["angry_of_hitchin"]
