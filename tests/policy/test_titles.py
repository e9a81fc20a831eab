"""Issue 11: role titles as the organisation says them, on every page, in every email and in the API.

A policy that calls its head "Chief Executive" and its manager "Head of News" is published; the pages,
emails and API answers that name a role use those titles, and never the default "Managing Director".
No template writes a title: they all read ``titles`` from the context.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from escalation import routing, services
from escalation.constants import SignOffKind
from moderation import clock
from moderation import services as moderation_services
from moderation.constants import EventKind, Priority
from moderation.models import CaseEvent
from policy import services as policy
from policy.titles import Titles, titles
from tests import factories
from tests.factories import rule

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = datetime(2027, 3, 17, 10, 0, tzinfo=LONDON)
DEFAULT_TITLES = ("Managing Director", "Communications manager", "Service director", "Communications officer")


@pytest.fixture
def news_titles(db):
    return policy.revise(
        reason="The council's own titles.",
        title_head="Chief Executive",
        title_manager="Head of News",
        title_director="Director of Place",
        title_officer="press officer",
    )


def text_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def assert_new_titles_only(text: str) -> None:
    assert "managing director" not in text.lower()


class TestTheHelper:
    def test_the_defaults_are_the_policys(self):
        assert titles() == Titles(
            officer="Communications officer",
            manager="Communications manager",
            director="Service director",
            head="Managing Director",
        )

    def test_every_role_group_has_its_title(self, news_titles):
        assert [titles().for_role(name) for name in routing.ROLES] == [
            "press officer",
            "Head of News",
            "Director of Place",
            "Chief Executive",
        ]
        assert titles().for_role("Some other group") == "Some other group"

    def test_a_sentence_starts_with_a_capital_and_keeps_the_organisations_spelling(self, news_titles):
        assert titles().start.officer == "Press officer"
        assert titles().officer == "press officer"
        assert titles().start.head == "Chief Executive"

    def test_titles_are_read_when_used_not_when_imported(self, news_titles):
        assert routing.signoff_decided_by(SignOffKind.APPEAL) == "Chief Executive"
        assert routing.signoff_decided_by(SignOffKind.BLOCK) == "Head of News"
        assert routing.signoff_decided_by(SignOffKind.WARNING) == "Head of News or the case's Director of Place"
        policy.revise(reason="Renamed again.", title_head="Head of Communications")
        assert routing.signoff_decided_by(SignOffKind.APPEAL) == "Head of Communications"


class TestPages:
    def test_the_decisions_page_and_the_header_as_the_head(self, client, md, news_titles):
        factories.ActiveBlockFactory()
        client.force_login(md)
        page = text_of(client.get(reverse("escalation:decision_list")))
        assert "(Chief Executive)" in page  # the header's role
        assert "The policy says the Chief Executive is made aware of every block." in page
        assert_new_titles_only(page)

    def test_a_block_page(self, client, manager, news_titles):
        block = factories.ActiveBlockFactory()
        client.force_login(manager)
        page = text_of(client.get(reverse("escalation:block_detail", args=[block.pk])))
        assert "(Head of News)" in page
        assert "Chief Executive" in page
        assert_new_titles_only(page)

    def test_the_appeal_page(self, client, md, news_titles):
        appeal = factories.UnderReviewAppealFactory()
        client.force_login(md)
        page = text_of(client.get(reverse("escalation:appeal_detail", args=[appeal.pk])))
        assert "With the Chief Executive for a decision" in page
        assert_new_titles_only(page)

    def test_the_no_role_page(self, client, news_titles):
        nobody = get_user_model().objects.create_user("nora.nobody", "nora@example.com", "pw-for-tests-only")
        client.force_login(nobody)
        page = text_of(client.get(reverse("home")))
        assert "or as a Director of Place or the Chief Executive." in page
        assert_new_titles_only(page)

    def test_the_timeline_names_the_head_by_title(self, news_titles):
        event = CaseEvent(kind=EventKind.MD_ACKNOWLEDGED)
        assert event.get_kind_display() == "Chief Executive acknowledged"
        assert CaseEvent(kind=EventKind.CASE_ASSIGNED).get_kind_display() == EventKind.CASE_ASSIGNED.label


class TestEmails:
    def test_the_acknowledgement_chase(self, md, news_titles, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(WEDNESDAY - timedelta(days=2)):
            factories.ActiveBlockFactory()
        with clock.travel_to(WEDNESDAY), django_capture_on_commit_callbacks(execute=True):
            services.overdue_chase()
        [email] = mailoutbox
        assert "has not yet been acknowledged by the Chief Executive." in email.body
        assert_new_titles_only(email.subject + email.body)

    def test_the_police_report_notice(self, manager, md, news_titles, mailoutbox, django_capture_on_commit_callbacks):
        case = factories.OpenCaseFactory()
        with clock.travel_to(WEDNESDAY), django_capture_on_commit_callbacks(execute=True):
            services.police_report_record(
                actor=manager, case=case, force="Herts", reference="41/7/27", reported_on=timezone.localdate()
            )
        [email] = mailoutbox
        assert "The Head of News has reported case" in email.body
        assert_new_titles_only(email.subject + email.body)


def test_the_api_names_the_roles_by_their_titles(channel, news_titles):
    _, token = moderation_services.integration_create(actor=None, name="Sprout export", channels=[channel])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    case = factories.OpenCaseFactory(
        channel=channel, priority=Priority.URGENT, rules=[rule("abusive"), rule("illegal")]
    )

    [account] = [a for a in api.get("/api/v1/accounts/").json()["results"] if a["id"] == case.account_id]

    assert account["standing"]["reason"] == (
        "Urgent, and it breaks the law: the Head of News blocks now (the Chief Executive is told)."
    )
    assert_new_titles_only(str(account))


def test_no_template_writes_a_role_title():
    templates = Path(settings.BASE_DIR) / "templates"
    written = re.compile("|".join(re.escape(t) for t in DEFAULT_TITLES), re.IGNORECASE)
    found = [
        f"{path.relative_to(templates)}:{number}: {line.strip()}"
        for path in sorted(templates.rglob("*"))
        if path.is_file() and path.suffix in (".html", ".txt")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if written.search(line)
    ]
    assert found == [], "write {{ titles.head }} etc. instead:\n" + "\n".join(found)
