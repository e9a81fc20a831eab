"""Issue 10, item 6: the smaller things a new user hit walking the process."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from escalation import services
from escalation.constants import AppealStatus
from moderation import clock
from moderation.constants import EventKind, Platform, Visibility
from moderation.models import CaseEvent
from policy import services as policy
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def page(client, name: str, *args, query: str = "") -> str:
    response = client.get(reverse(name, args=args) + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


class TestAfterAnOverturn:
    def test_the_officers_queue_says_undo_the_block_on_the_platform(self, client, officer, md):
        appeal = factories.UnderReviewAppealFactory(recorded_by=officer)
        services.appeal_decide(actor=md, appeal=appeal, overturn=True, reason="Changed behaviour.")
        client.force_login(officer)

        assert "Undo the block on the platform" in page(client, "moderation:case_list")

        services.block_undone_on_platform(actor=officer, block=appeal.block)
        assert "Undo the block on the platform" not in page(client, "moderation:case_list")


def test_the_channel_ban_refusal_does_not_ask_to_edit_the_cases_rules(client, officer):
    case = factories.OpenCaseFactory(recorded_by=officer)
    client.force_login(officer)

    html = page(client, "escalation:block_create", case.pk, query="kind=channel_ban")

    assert "does not cite that house rule" in html
    assert "Add the rule to the case" not in html
    assert "Propose a block" in html


class TestAnImmediateBlock:
    def test_asks_what_to_do_with_the_visible_post(self, client, manager):
        case = factories.OpenCaseFactory()
        client.force_login(manager)

        html = page(client, "escalation:block_create", case.pk, query="kind=immediate")
        assert "still visible on the channel" in html

        response = client.post(
            reverse("escalation:block_create", args=[case.pk]) + "?kind=immediate",
            {"scope": "all", "reason": "Threat of violence."},
        )
        assert response.status_code == 200
        assert "Choose what to do with the visible post" in response.content.decode()
        assert not case.blocks.exists()

    def test_hides_the_post_with_the_block(self, client, manager):
        case = factories.OpenCaseFactory()
        client.force_login(manager)

        response = client.post(
            reverse("escalation:block_create", args=[case.pk]) + "?kind=immediate",
            {"scope": "all", "reason": "Threat of violence.", "posts_now": "hidden"},
        )

        assert response.status_code == 302
        assert case.posts.get().visibility == Visibility.HIDDEN
        assert CaseEvent.objects.filter(case=case, kind=EventKind.POST_HIDDEN).count() == 1
        assert CaseEvent.objects.filter(case=case, kind=EventKind.BLOCK_IMMEDIATE).count() == 1

    def test_does_not_ask_when_nothing_is_visible(self, client, manager):
        case = factories.OpenCaseFactory()
        case.posts.update(visibility=Visibility.DELETED)
        client.force_login(manager)
        assert "still visible" not in page(client, "escalation:block_create", case.pk, query="kind=immediate")


@pytest.mark.parametrize(("overturn", "shown"), [(False, "Upheld"), (True, "Overturned")])
def test_recently_decided_appeals_say_upheld_or_overturned(client, md, officer, overturn, shown):
    appeal = factories.UnderReviewAppealFactory(recorded_by=officer)
    services.appeal_decide(actor=md, appeal=appeal, overturn=overturn, reason="Decided.")
    client.force_login(md)

    html = page(client, "escalation:decision_list")
    recent = html[html.index('id="recent-heading"') :]

    assert shown in recent
    assert "Approved" not in recent
    assert "Refused" not in recent


def test_blocked_by_names_the_approver(client, officer, manager, md):
    block = factories.ProposedBlockFactory(proposed_by=officer)
    services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)
    client.force_login(md)

    html = page(client, "escalation:decision_list")
    row = html[html.index(f'id="block-{block.pk}"') :]
    row = row[: row.index("</tr>")]

    # names as the page writes them ("O'Neill" is "O&#x27;Neill" in the HTML)
    assert f"{escape(manager.get_full_name())}<span" in row
    assert f"proposed by {escape(officer.get_full_name())}" in row


def test_how_it_arrived_is_shown_as_written(client, officer, md):
    block = factories.AppealEligibleBlockFactory()
    appeal = services.appeal_record(actor=officer, block=block, received_via="Reply on X")
    client.force_login(md)

    for html in (
        page(client, "escalation:appeal_detail", appeal.pk),
        page(client, "escalation:appeal_list"),
        page(client, "escalation:decision_list"),
    ):
        assert "Reply on X" in html
        assert "reply on x" not in html


def test_one_date_format_in_a_premature_appeals_note(officer):
    with clock.travel_to(datetime(2026, 12, 2, 10, 0, tzinfo=LONDON)):
        block = factories.ActiveBlockFactory()
    with clock.travel_to(datetime(2027, 1, 5, 10, 0, tzinfo=LONDON)):
        appeal = services.appeal_record(actor=officer, block=block)
    assert appeal.status == AppealStatus.PREMATURE
    note = CaseEvent.objects.get(kind=EventKind.APPEAL_PREMATURE).note
    assert "2 December 2027" in note
    assert "02 December" not in note


def test_sign_in_errors_name_each_field_once(client):
    html = client.post(reverse("sign_in"), {"username": "", "password": ""}).content.decode()
    assert "Enter your username" in html
    assert "Enter your password" in html
    assert "This field is required." not in html


def test_a_403_does_not_say_it_twice(client, officer):
    client.force_login(officer)
    html = client.get(reverse("escalation:decision_list")).content.decode()
    assert "Your role cannot open this page." in html
    assert "Your role does not allow it: Your role" not in html


def test_the_channel_filter_names_each_channel_once(client, officer):
    factories.ChannelFactory(name="North Herts Council (Facebook)", platform=Platform.FACEBOOK)
    factories.ChannelFactory(name="Planning updates", platform=Platform.FACEBOOK)
    client.force_login(officer)

    html = page(client, "moderation:case_list")

    assert "North Herts Council (Facebook)" in html
    assert "(Facebook) (Facebook)" not in html
    assert "Planning updates (Facebook)" in html


def test_the_police_force_defaults_to_the_policys(client, manager):
    case = factories.OpenCaseFactory()
    client.force_login(manager)
    assert 'value="Hertfordshire Constabulary"' in page(client, "escalation:police_report_create", case.pk)
    policy.revise(police_force="Police Scotland", reason="Moved north.")
    assert 'value="Police Scotland"' in page(client, "escalation:police_report_create", case.pk)


def test_an_overturn_message_is_still_given(client, md, officer):
    """(unchanged) the Managing Director is told the officer must undo the block."""
    appeal = factories.UnderReviewAppealFactory(recorded_by=officer)
    client.force_login(md)
    response = client.post(
        reverse("escalation:appeal_detail", args=[appeal.pk]), {"decision": "overturn", "reason": "Changed."}
    )
    assert any("undo it on" in str(m) for m in get_messages(response.wsgi_request))
