"""The navigation's counts are cached per user and never stale (issue 13): a decision in one tab
shows in another tab's counts, and in every other user's, on their next page load."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import routing
from moderation import navcache
from moderation.flags import flag_dismiss
from moderation.models import Flag, FlagRule
from tests import factories
from tests.escalation.test_navigation_counts import INBOX, badge, decide

pytestmark = pytest.mark.django_db
QUEUE = reverse("moderation:case_list")


@pytest.fixture
def two_warnings(officer):
    return [factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get() for _ in range(2)]


def tab(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_approval_in_one_tab_shows_in_the_other_on_its_next_load(manager, other_manager, two_warnings):
    first, second, colleague = tab(manager), tab(manager), tab(other_manager)
    assert badge(second.get(INBOX).content.decode(), "Decisions") == 2
    assert badge(colleague.get(QUEUE).content.decode(), "Decisions") == 2  # cached for both now

    decide(first, two_warnings[0], htmx=False, decision="approve")

    assert badge(second.get(INBOX).content.decode(), "Decisions") == 1
    assert badge(colleague.get(QUEUE).content.decode(), "Decisions") == 1


def test_the_counts_are_read_once_until_something_changes(manager, two_warnings):
    client = tab(manager)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(QUEUE).content.decode()
    assert badge(html, "Decisions") == 2
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert not [sql for sql in counts if 'FROM "escalation_signoff"' in sql]  # the count came from the cache
    assert not [sql for sql in counts if 'FROM "moderation_flag"' in sql]
    assert not [q for q in queries.captured_queries if 'FROM "auth_group"' in q["sql"]]  # nor the role's name


def test_a_flag_dismissed_updates_the_officers_count(officer, other_officer, channel):
    rule = FlagRule.objects.create(name="Phone numbers", kind="phone_number", house_rule=factories.rule("abusive"))
    post = factories.PostFactory(channel=channel)
    flag = Flag.objects.create(post=post, rule=rule, reason="A phone number")
    watching = tab(other_officer)
    assert badge(watching.get(QUEUE).content.decode(), "Flagged posts") == 1
    flag_dismiss(actor=officer, flag=flag)
    assert badge(watching.get(QUEUE).content.decode(), "Flagged posts") == 0


def test_a_role_given_shows_its_items_on_the_next_load(other_officer, two_warnings):
    client = tab(other_officer)
    assert "Decisions" not in client.get(QUEUE).content.decode()
    other_officer.groups.add(Group.objects.get(name=routing.MANAGER))
    assert badge(client.get(QUEUE).content.decode(), "Decisions") == 2


def test_a_count_taken_before_the_commit_is_not_kept_after_it(django_capture_on_commit_callbacks, manager):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        navcache.changed()
        # another page counts now, before the write is visible to it, and caches what it saw
        assert navcache.cached(manager.pk, lambda: "before the commit") == "before the commit"
    assert after_commit, "the generation moves on again once the transaction commits"
    for callback in after_commit:
        callback()
    assert navcache.cached(manager.pk, lambda: "after the commit") == "after the commit"
