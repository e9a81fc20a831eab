"""Issue 10, item 3: acting on a case meets its first-response target; no false "Overdue" alarms.

Hiding or deleting a post, drafting a warning, proposing or making a block, or a channel ban
stops the case's first-response clock (closing it does too); a case nobody acted on is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from escalation import services as escalation
from escalation.case_selectors import case_queue
from escalation.constants import BlockScope
from moderation import clock, services
from moderation.constants import Visibility
from tests import factories
from tests.factories import rule

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
RECORDED = datetime(2027, 3, 1, 10, 0, tzinfo=LONDON)  # a Monday
A_WEEK_LATER = RECORDED + timedelta(days=7)
QUEUE = reverse("moderation:case_list")


def a_case(officer, **kwargs):
    with clock.travel_to(RECORDED):
        return factories.OpenCaseFactory(recorded_by=officer, response_due_at=RECORDED + timedelta(days=1), **kwargs)


def case_clock(page: str) -> str:
    """The case's own clock, in the header under its title (sign-offs have their own, further down)."""
    header = page[page.index("<h1") :]
    return header[: header.index("</p>")]


def act(action: str, case, officer, manager):
    post = case.posts.get()
    if action == "hide":
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.HIDDEN)
    elif action == "delete":
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
    elif action == "warning drafted":
        escalation.warning_draft(actor=officer, case=case)
    elif action == "block proposed":
        escalation.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason="Threats.")
    elif action == "immediate block":
        escalation.block_immediate(actor=manager, case=case, scope=BlockScope.ALL, reason="Threats.")
    elif action == "channel ban":
        escalation.channel_ban(actor=officer, case=case, reason="False claims.")


ACTIONS = ["hide", "delete", "warning drafted", "block proposed", "immediate block", "channel ban"]


@pytest.mark.parametrize("action", ACTIONS)
def test_acting_within_two_hours_meets_the_target(client, officer, manager, action):
    case = a_case(officer, rules=[rule("misinformation")] if action == "channel ban" else None)
    with clock.travel_to(RECORDED + timedelta(hours=2)):
        act(action, case, officer, manager)
    client.force_login(officer)

    with clock.travel_to(A_WEEK_LATER):
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        queue = client.get(QUEUE).content.decode()
        overdue = list(case_queue({"overdue": "true"}, user=officer).qs)

    assert "Overdue by" not in case_clock(page)
    assert "Responded" in case_clock(page)
    assert "Overdue by" not in queue
    assert case not in overdue


def test_a_case_nobody_acted_on_is_overdue(client, officer):
    case = a_case(officer)
    client.force_login(officer)

    with clock.travel_to(A_WEEK_LATER):
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        overdue = list(case_queue({"overdue": "true"}, user=officer).qs)

    assert "Overdue by" in case_clock(page)
    assert overdue == [case]


def test_acting_after_the_deadline_says_late(client, officer):
    case = a_case(officer)
    with clock.travel_to(RECORDED + timedelta(days=3)):
        services.post_set_visibility(actor=officer, post=case.posts.get(), visibility=Visibility.HIDDEN)
    client.force_login(officer)

    with clock.travel_to(A_WEEK_LATER):
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()

    assert "Responded late" in page
    assert "Overdue by" not in page
