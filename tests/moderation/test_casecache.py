"""The queue's results kept in the cache (moderation.casecache, issue 13): read again from the cache
while nothing they show has changed, never after a committed change, whichever way it was written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import services as escalation
from moderation import casecache, clock
from moderation import services as moderation
from moderation.constants import CaseStatus
from moderation.models import Case
from tests import factories

QUEUE = reverse("moderation:case_list")


@pytest.fixture(autouse=True)
def one_minute():
    """Every request of a test in one London minute (the results' key holds it): a test that ran
    across a minute's turn would see its results rightly rendered afresh."""
    with clock.travel_to(clock.now().replace(second=30, microsecond=0)):
        yield


@pytest.mark.parametrize(
    ("sql", "watched"),
    [
        ('INSERT INTO "moderation_case" ("status") VALUES (%s)', True),
        ('UPDATE "escalation_block" SET "status" = %s WHERE "id" = %s', True),
        ('DELETE FROM "moderation_case_rules" WHERE "case_id" = %s', True),
        ("TRUNCATE moderation_caseevent, escalation_signoff", True),
        ("WITH due AS (SELECT id FROM escalation_block) UPDATE escalation_block SET x = 1 FROM due", True),
        ("  update auth_user set last_login = now()", True),
        ('UPDATE "moderation_post" SET "visibility" = %s', True),
        ('UPDATE "escalation_crisisperiod" SET "in_force" = false', True),  # the default order changes
        # new posts and accounts are on no case yet
        ('INSERT INTO "moderation_post" ("text") VALUES (%s) ON CONFLICT DO NOTHING RETURNING "id"', False),
        ('INSERT INTO "moderation_socialaccount" ("handle") VALUES (%s) ON CONFLICT DO NOTHING', False),
        # reads, locks and tables the queue does not show
        ('SELECT "moderation_case"."id" FROM "moderation_case" FOR UPDATE OF "moderation_case"', False),
        ('INSERT INTO "moderation_flag" ("post_id") SELECT id FROM moderation_case', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('SAVEPOINT "s1_x1"', False),
        ('RELEASE SAVEPOINT "s1_x1"', False),
    ],
)
def test_what_counts_as_a_change(sql, watched):
    assert casecache.writes_watched(sql) is watched


def _queue(client, query: str = "") -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE + query)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _results(page: str) -> str:
    start = page.index('class="moj-filter-layout__content"')
    return page[start : page.index("</main>", start)]


def _rendered(sqls: list[str]) -> bool:
    """Whether the page counted its cases (the results were rendered, not read from the cache)."""
    return any(sql.startswith('SELECT COUNT(*) AS "__count" FROM "moderation_case"') for sql in sqls)


@pytest.mark.django_db(transaction=True)
def test_the_results_are_read_again_until_a_committed_change_whichever_way_it_is_written(client):
    officer = factories.OfficerFactory(username="olivia.officer", first_name="Olivia", last_name="Officer")
    manager = factories.ManagerFactory(username="maya.manager", first_name="Maya", last_name="Manager")
    case = factories.OpenCaseFactory(recorded_by=officer)
    client.force_login(officer)

    page, sqls = _queue(client)
    assert "Unassigned" in page
    assert _rendered(sqls)
    page_again, sqls = _queue(client)
    assert _results(page_again) == _results(page)
    assert not _rendered(sqls)

    # a service in another tab (its own transaction, committed)
    moderation.case_assign(actor=manager, case=case, assignee=officer)
    page, sqls = _queue(client)
    assert _rendered(sqls)
    assert "Olivia Officer" in page

    escalation.warning_draft(actor=officer, case=case)
    page, sqls = _queue(client)
    assert _rendered(sqls)
    assert "Warning drafted" in page

    # a bulk QuerySet.update, outside any service (autocommit)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, outcome="no_action", closed_at=clock.now())
    page, sqls = _queue(client)
    assert _rendered(sqls)
    assert "No cases match" in page

    # raw SQL, as a scheduled task writes
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE moderation_case SET status = 'open', outcome = '', closed_at = NULL WHERE id = %s", [case.pk]
        )
    page, sqls = _queue(client)
    assert _rendered(sqls)
    assert "1 case" in page

    # a write the queue does not show moves nothing on
    factories.PostFactory(channel=case.channel, account=case.account)
    _, sqls = _queue(client)
    assert not _rendered(sqls)


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_used_within_its_minute_only(client):
    officer = factories.OfficerFactory()
    start = clock.now().replace(second=5, microsecond=0)
    factories.OpenCaseFactory(recorded_by=officer, response_due_at=start + timedelta(days=30))
    client.force_login(officer)
    with clock.travel_to(start):
        _queue(client)
        _, sqls = _queue(client)
        assert not _rendered(sqls)
    with clock.travel_to(start + timedelta(seconds=50)):
        _, sqls = _queue(client)
        assert not _rendered(sqls)
    with clock.travel_to(start + timedelta(seconds=60)):  # the next minute: the clock column moved on
        _, sqls = _queue(client)
        assert _rendered(sqls)


@pytest.mark.django_db(transaction=True)
def test_each_person_and_each_query_has_its_own_results(client):
    olivia, oscar = factories.OfficerFactory(), factories.OfficerFactory()
    factories.OpenCaseFactory(recorded_by=olivia, assignee=olivia)
    oscars = Client()
    client.force_login(olivia)
    oscars.force_login(oscar)  # both signed in (a write to the users) before either asks
    mine, _ = _queue(client, "?assignee=mine")
    assert "1 case" in mine
    everyone, sqls = _queue(client)
    assert _rendered(sqls)
    assert "1 case" in everyone
    page, sqls = _queue(oscars, "?assignee=mine")
    assert _rendered(sqls)
    assert "No cases match" in page


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_wrote_reads_and_keeps_nothing():
    officer = factories.OfficerFactory()
    renders = []

    def render():
        renders.append(1)
        return "<p>rows</p>"

    casecache.cached("test", officer.pk, [], render)
    casecache.cached("test", officer.pk, [], render)
    assert len(renders) == 1
    with transaction.atomic():
        factories.OpenCaseFactory(recorded_by=officer)
        casecache.cached("test", officer.pk, [], render)
        casecache.cached("test", officer.pk, [], render)
        assert len(renders) == 3  # not read: what it would show is not yet everyone's
    casecache.cached("test", officer.pk, [], render)
    assert len(renders) == 4  # committed: moved on


@transaction.atomic
def _write_then_fail(officer):
    factories.OpenCaseFactory(recorded_by=officer)
    raise RuntimeError


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_moves_nothing_on():
    officer = factories.OfficerFactory()
    renders = []
    casecache.cached("test", officer.pk, [], lambda: renders.append(1) or "x")
    with pytest.raises(RuntimeError):
        _write_then_fail(officer)
    casecache.cached("test", officer.pk, [], lambda: renders.append(1) or "x")
    assert len(renders) == 1
