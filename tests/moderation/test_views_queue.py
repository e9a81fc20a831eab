"""The queue and the account page: what they show, their filters, and what they cost in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from moderation import clock
from moderation.constants import CaseStatus
from moderation.models import Case, HouseRule, Post, SocialAccount
from tests import factories

pytestmark = pytest.mark.django_db
QUEUE = reverse("moderation:case_list")


def bulk_cases(n: int, *, channel, recorded_by, account=None) -> list[Case]:
    """``n`` open cases with a post and a rule each, inserted in a few statements."""
    now = clock.now()
    start = Case.objects.count()
    accounts = (
        [account] * n
        if account
        else SocialAccount.objects.bulk_create(
            [
                SocialAccount(platform=channel.platform, handle=f"bulk{start + i}", display_name=f"Bulk {i}")
                for i in range(n)
            ]
        )
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                account=accounts[i],
                channel=channel,
                reason="Bulk",
                recorded_by=recorded_by,
                recorded_at=now - timedelta(hours=i),
                response_due_at=now + timedelta(hours=i - n // 2),
            )
            for i in range(n)
        ]
    )
    Post.objects.bulk_create(
        [
            Post(
                channel=channel,
                account=c.account,
                case=c,
                external_id=f"bulk-{c.pk}",
                text=f"post {c.pk}",
                posted_at=now,
            )
            for c in cases
        ]
    )
    through = Case.rules.through
    abusive = factories.rule("abusive")
    through.objects.bulk_create([through(case=c, houserule=abusive) for c in cases])
    return cases


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


class TestQueue:
    def test_shows_open_cases_with_deadline_and_stage(self, client, officer, channel):
        case = factories.OpenCaseFactory(channel=channel, account__handle="binrage77", account__platform="facebook")
        factories.OpenCaseFactory(status=CaseStatus.CLOSED, outcome="no_action", closed_at=clock.now())
        client.force_login(officer)
        page = client.get(QUEUE).content.decode()
        assert "@binrage77" in page
        assert reverse("moderation:case_detail", args=[case.pk]) in page
        assert "1 case" in page
        assert "New" in page

    def test_rows_escape_what_people_typed_and_show_each_cell(self, client, officer, channel):
        # the rows are written in Python (the queue_rows tag, issue 13): every value escaped as a template would
        channel.name = "Council <b>page</b>"
        channel.save()
        officer.first_name, officer.last_name = "Harry", "O'Neill"
        officer.save()
        factories.OpenCaseFactory(
            channel=channel,
            account__handle="<script>x</script>",
            account__display_name='Jo "Bloggs" & co',
            account__platform=channel.platform,
            assignee=officer,
            rules=[factories.rule("abusive"), factories.rule("misinformation")],
        )
        client.force_login(officer)
        page = client.get(QUEUE).content.decode()
        assert "<script>x</script>" not in page
        assert "@&lt;script&gt;x&lt;/script&gt;" in page
        assert "Jo &quot;Bloggs&quot; &amp; co" in page
        assert "Council &lt;b&gt;page&lt;/b&gt;" in page
        assert '<td class="govuk-table__cell">Harry O&#x27;Neill</td>' in page
        rules = HouseRule.objects.filter(code__in=["abusive", "misinformation"]).order_by("position")
        titles = "; ".join(r.title for r in rules)
        assert f'<td class="govuk-table__cell">{escape(titles)}</td>' in page
        assert " left</span>" in page

    def test_overdue_stands_out(self, client, officer, channel):
        factories.OpenCaseFactory(channel=channel, response_due_at=clock.now() - timedelta(days=3))
        client.force_login(officer)
        assert 'class="app-overdue"' in client.get(QUEUE).content.decode()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("q=angry", {"angry_of_hitchin"}),
            ("q=%40ANGRY", {"angry_of_hitchin"}),
            ("q=hang+them", {"angry_of_hitchin"}),
            ("assignee=mine", {"mine"}),
            ("assignee=none", {"angry_of_hitchin", "calm"}),
            ("overdue=true", {"calm"}),
            ("status=closed", {"closed"}),
            ("status=all", {"angry_of_hitchin", "calm", "mine", "closed"}),
        ],
    )
    def test_filters_live_in_the_url(self, client, officer, channel, query, expected):
        factories.OpenCaseFactory(channel=channel, account__handle="angry_of_hitchin", posts=[])
        angry = Case.objects.get(account__handle="angry_of_hitchin")
        factories.PostFactory(case=angry, channel=channel, account=angry.account, text="Hang them all")
        factories.OpenCaseFactory(
            channel=channel, account__handle="calm", response_due_at=clock.now() - timedelta(hours=1)
        )
        factories.OpenCaseFactory(channel=channel, account__handle="mine", assignee=officer)
        factories.OpenCaseFactory(
            channel=channel,
            account__handle="closed",
            status=CaseStatus.CLOSED,
            outcome="no_action",
            closed_at=clock.now(),
        )
        client.force_login(officer)
        response = client.get(f"{QUEUE}?{query}")
        shown = {case.account.handle for case, _ in response.context["rows"]}
        assert shown == expected

    def test_a_bad_filter_value_shows_no_rows_not_an_error(self, client, officer):
        client.force_login(officer)
        response = client.get(f"{QUEUE}?channel=not-a-number&sort=nonsense")
        assert response.status_code == 200

    def test_sorted_and_paginated(self, client, officer, channel):
        bulk_cases(30, channel=channel, recorded_by=officer)
        client.force_login(officer)
        first = client.get(f"{QUEUE}?sort=account")
        handles = [c.account.handle for c, _ in first.context["rows"]]
        assert handles == sorted(handles)
        assert len(handles) == 25
        second = client.get(f"{QUEUE}?sort=account&page=2")
        assert len(second.context["rows"]) == 5
        assert "page 2 of 2" in second.content.decode()

    def test_query_count_is_constant_in_the_number_of_cases(self, client, officer, channel):
        client.force_login(officer)
        bulk_cases(20, channel=channel, recorded_by=officer)
        small = count_queries(client, QUEUE)
        bulk_cases(480, channel=channel, recorded_by=officer)
        large = count_queries(client, QUEUE + "?q=bulk&sort=-due&page=3")
        assert Case.objects.count() == 500
        assert large <= small + 1  # + nothing that grows with rows; search may add none
        assert small <= 12

    def test_the_filter_form_is_kept_until_a_choice_changes(self, client, officer, channel):
        """The filter's fields come from the cache (no query for the choice lists), and a channel,
        house rule or service area added or renamed shows on the next load."""
        client.force_login(officer)
        client.get(QUEUE + "?channel=&kind=")
        with CaptureQueriesContext(connection) as queries:
            page = client.get(QUEUE + "?channel=&kind=").content.decode()
        assert not [q for q in queries.captured_queries if 'FROM "moderation_servicearea"' in q["sql"]]
        assert channel.name in page
        factories.ChannelFactory(name="Brand New Channel", handle="brand_new")
        rule = HouseRule.objects.create(code="added-today", title="A rule added today", position=99)
        area = factories.ServiceAreaFactory(name="Parks and gardens")
        page = client.get(QUEUE + "?channel=&kind=").content.decode()
        assert "Brand New Channel" in page
        assert "A rule added today" in page
        assert "Parks and gardens" in page
        rule.title = "A rule renamed"
        rule.save()
        assert "A rule renamed" in client.get(QUEUE + "?channel=&kind=").content.decode()
        area.delete()
        assert "Parks and gardens" not in client.get(QUEUE + "?channel=&kind=").content.decode()

    def test_a_bulk_change_to_house_rules_with_a_policy_published_refreshes_the_filter(self, client, officer):
        """A preset reorders and retires rules in bulk (no save signal), then publishes the policy."""
        from policy import services as policy

        client.force_login(officer)
        client.get(QUEUE)
        HouseRule.objects.filter(position__gte=0).update(title="Renamed in bulk")
        policy.revise(reason="A preset applied", police_force="Police Scotland")
        assert "Renamed in bulk" in client.get(QUEUE).content.decode()

    def test_the_filter_form_shows_the_values_given(self, client, officer, channel):
        client.force_login(officer)
        assert 'value="first search"' in client.get(QUEUE, {"q": "first search"}).content.decode()
        page = client.get(QUEUE, {"q": "second search"}).content.decode()
        assert 'value="second search"' in page
        assert "first search" not in page

    def test_never_counts_the_whole_posts_table(self, client, officer, channel):
        bulk_cases(5, channel=channel, recorded_by=officer)
        client.force_login(officer)
        with CaptureQueriesContext(connection) as queries:
            client.get(QUEUE + "?q=post")
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
        assert counts, "the paginator counts the matching cases"
        assert all('FROM "moderation_post"' not in sql.split("WHERE")[0] for sql in counts)


class TestAccountPage:
    def test_shows_standing_history_and_next_step(self, client, officer):
        warning = factories.SentWarningFactory(sent_at=clock.now() - timedelta(days=30))
        account = warning.case.account
        client.force_login(officer)
        page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
        assert f"@{account.handle}" in page
        assert "Recommended next step: Propose a block" in page
        assert "The account was warned on" in page
        assert reverse("escalation:warning_detail", args=[warning.pk]) in page

    def test_query_count_is_constant_in_the_number_of_cases(self, client, officer, channel):
        account = factories.SocialAccountFactory(platform=channel.platform)
        client.force_login(officer)
        url = reverse("moderation:account_detail", args=[account.pk])
        bulk_cases(20, channel=channel, recorded_by=officer, account=account)
        client.get(url)  # a person's first page also counts their navigation (then cached: moderation.navcache)
        small = count_queries(client, url)
        bulk_cases(480, channel=channel, recorded_by=officer, account=account)
        assert count_queries(client, url) == small
        assert small <= 12

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_only_the_communications_team_opens_it(self, client, request, role):
        account = factories.SocialAccountFactory()
        client.force_login(request.getfixturevalue(role))
        assert client.get(reverse("moderation:account_detail", args=[account.pk])).status_code == 403
