"""The lists' stage column (issue 13): read for the page's rows only, and still right for every
stage, on every page, in the queue with ``status=all`` and in the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from escalation.constants import BlockStatus
from moderation import clock
from moderation.constants import CaseStatus, Visibility
from moderation.models import Case
from tests import factories

pytestmark = pytest.mark.django_db
QUEUE = reverse("moderation:case_list")


def one_of_each(channel) -> dict[str, Case]:
    """One case in each stage, due one after the other (so they fall on known rows)."""
    due = iter(range(100))

    def case(**kw):
        return factories.OpenCaseFactory(
            channel=channel, response_due_at=clock.now() + timedelta(hours=next(due)), **kw
        )

    removed = case()
    removed.posts.update(visibility=Visibility.HIDDEN)
    undo = factories.ActiveBlockFactory(case=case()).case
    undo.blocks.update(status=BlockStatus.LIFTED, lifted_at=clock.now(), lifted_reason="Overturned.")
    return {
        "New": case(),
        "Post removed": removed,
        "Warning drafted": factories.DraftWarningFactory(case=case()).case,
        "Warning to send": factories.ApprovedWarningFactory(case=case()).case,
        "Warned": factories.SentWarningFactory(case=case()).case,
        "Awaiting sign-off": factories.ProposedBlockFactory(case=case()).case,
        "Blocked": factories.ActiveBlockFactory(case=case()).case,
        "Appeal under review": factories.UnderReviewAppealFactory(block__case=case()).block.case,
        "Undo the block on the platform": undo,
        "Closed: no further action": case(status=CaseStatus.CLOSED, outcome="no_action", closed_at=clock.now()),
    }


def test_every_stage_is_shown_on_its_row_in_the_queue_and_the_api(client, officer, channel):
    expected = {case.pk: label for label, case in one_of_each(channel).items()}
    client.force_login(officer)
    rows = client.get(QUEUE, {"status": "all"}).context["rows"]
    assert {case.pk: stage.label for case, stage in rows} == expected
    # in the queue's order: oldest deadline first
    assert [case.pk for case, _ in rows] == sorted(expected, key=lambda pk: Case.objects.get(pk=pk).response_due_at)

    cache.clear()
    api = APIClient()
    api.force_login(officer)
    results = api.get("/api/v1/cases/", {"status": "all"}).json()["results"]
    assert {row["id"]: row["stage"]["label"] for row in results} == expected
    assert [row["id"] for row in results] == sorted(expected, reverse=True)  # newest first


def test_a_second_page_shows_its_own_rows_with_their_stage(client, officer, channel):
    cases = one_of_each(channel)
    for n in range(30):  # due after all of them
        factories.OpenCaseFactory(channel=channel, response_due_at=clock.now() + timedelta(days=10, hours=n))
    client.force_login(officer)
    first = client.get(QUEUE, {"status": "all"}).context["rows"]
    second = client.get(QUEUE, {"status": "all", "page": 2}).context["rows"]
    assert len(first) == 25
    assert len(second) == 15
    assert not {c.pk for c, _ in first} & {c.pk for c, _ in second}
    shown = {case.pk: stage.label for case, stage in first}
    assert all(shown[case.pk] == label for label, case in cases.items())
    assert {stage.label for _, stage in second} == {"New"}


def test_the_stage_is_read_for_the_page_rows_only(client, officer, channel):
    one_of_each(channel)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as queries:
        client.get(QUEUE, {"status": "all", "page": 1})
    staged = [q["sql"] for q in queries.captured_queries if "EXISTS" in q["sql"] and '"moderation_case"' in q["sql"]]
    assert len(staged) == 1
    # the stage's subqueries sit in a query over the page's ids (… IN (SELECT … LIMIT n)), not over
    # every case of the list
    assert re.search(r'"moderation_case"\."id" IN \(SELECT .* LIMIT 10\) ORDER BY', staged[0])
