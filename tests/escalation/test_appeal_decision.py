"""The Managing Director decides an appeal on the workspace's appeal page (issue 16, item 3).

The page is the one decision surface (the admin only reads appeals, ``tests/test_admin.py``): a
GOV.UK form (radios, a reason, an error summary and inline errors, ``novalidate``) that calls
``services.appeal_decide``, so the outcome, the lock and the one timeline event are the service's.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from escalation.constants import AppealStatus, BlockStatus, SignOffStatus
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

DECISION_EVENTS = (EventKind.APPEAL_UPHELD, EventKind.APPEAL_OVERTURNED)


@pytest.fixture
def appeal(officer):
    return factories.UnderReviewAppealFactory(recorded_by=officer)


def page_url(appeal) -> str:
    return reverse("escalation:appeal_detail", args=[appeal.pk])


def decisions(appeal):
    return CaseEvent.objects.filter(case_id=appeal.block.case_id, kind__in=DECISION_EVENTS)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestTheManagingDirectorDecides:
    def test_the_page_offers_the_managing_director_a_govuk_form(self, client, md, appeal):
        client.force_login(md)
        page = client.get(page_url(appeal)).content.decode()
        form = re.search(r'<form method="post" action="' + re.escape(page_url(appeal)) + r'"[^>]*>', page)
        assert form
        assert "novalidate" in form.group(0)
        assert 'govuk-fieldset__legend--s">Uphold or overturn the block</legend>' in page
        assert 'id="id_decision_0" name="decision" type="radio" value="uphold"' in page
        assert 'id="id_decision_1" name="decision" type="radio" value="overturn"' in page
        assert '<label class="govuk-label govuk-label--s" for="id_reason">Reason for the decision</label>' in page
        assert "govuk-error-summary" not in page

    @pytest.mark.parametrize(
        ("decision", "status", "event", "block_status"),
        [
            ("uphold", AppealStatus.UPHELD, EventKind.APPEAL_UPHELD, BlockStatus.ACTIVE),
            ("overturn", AppealStatus.OVERTURNED, EventKind.APPEAL_OVERTURNED, BlockStatus.LIFTED),
        ],
    )
    def test_the_decision_is_stored_with_its_reason_and_one_event(
        self, client, md, appeal, decision, status, event, block_status
    ):
        client.force_login(md)
        response = client.post(page_url(appeal), {"decision": decision, "reason": "  A year without incident.  "})
        assert response.status_code == 302
        assert response["Location"] == page_url(appeal)
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (status, md, "A year without incident.")
        assert appeal.decided_at is not None
        assert appeal.block.status == block_status
        signoff = appeal.signoffs.get()
        assert (signoff.status, signoff.decided_by) == (
            SignOffStatus.APPROVED if decision == "overturn" else SignOffStatus.REFUSED,
            md,
        )
        written = decisions(appeal).get()
        assert (written.kind, written.actor, written.note) == (event, md, "A year without incident.")
        assert written.before["appeal"] == AppealStatus.UNDER_REVIEW
        assert written.after["appeal"] == status
        # the page now shows the decision and no form
        page = client.get(page_url(appeal)).content.decode()
        assert "A year without incident." in page
        assert "Uphold or overturn the block" not in page

    def test_without_a_reason_it_is_refused_with_an_error_on_the_page(self, client, md, appeal):
        client.force_login(md)
        response = client.post(page_url(appeal), {"decision": "overturn", "reason": "   "})
        assert response.status_code == 200
        page = response.content.decode()
        assert "<title>Error: " in page
        start = page.index('<div class="govuk-error-summary"')
        summary = page[start : page.index("</ul>", start)]
        assert '<a href="#id_reason">Give the reason for the decision</a>' in summary
        assert 'govuk-form-group govuk-form-group--error"' in page
        assert '<p id="id_reason-error" class="govuk-error-message">' in page
        assert 'class="govuk-textarea govuk-textarea--error' in page
        # the choice made is kept, so only the reason needs giving
        assert 'value="overturn" checked' in page
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decided_by) == (AppealStatus.UNDER_REVIEW, None)
        assert appeal.block.status == BlockStatus.ACTIVE
        assert not decisions(appeal).exists()

    def test_without_a_choice_it_is_refused_with_an_error_on_the_page(self, client, md, appeal):
        client.force_login(md)
        page = client.post(page_url(appeal), {"reason": "Lift it."}).content.decode()
        assert '<a href="#id_decision_0">Choose uphold or overturn</a>' in page
        assert '<p id="id_decision-error" class="govuk-error-message">' in page
        assert "Lift it." in page  # the reason typed is kept
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert not decisions(appeal).exists()

    @pytest.mark.parametrize("second", ["uphold", "overturn"])
    def test_a_double_submit_decides_once(self, client, md, appeal, second):
        client.force_login(md)
        first = client.post(page_url(appeal), {"decision": "overturn", "reason": "Changed ways."})
        again = client.post(page_url(appeal), {"decision": second, "reason": "Clicked twice."})
        assert (first.status_code, again.status_code) == (302, 302)
        assert again["Location"] == page_url(appeal)
        assert any(m.startswith("Already decided by") for m in messages_of(again))
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decision_reason) == (AppealStatus.OVERTURNED, "Changed ways.")
        assert decisions(appeal).count() == 1

    def test_the_button_guards_against_a_double_click(self, client, md, appeal):
        client.force_login(md)
        page = client.get(page_url(appeal)).content.decode()
        assert 'data-prevent-double-click="true">Record the decision</button>' in page


class TestOnlyTheManagingDirectorDecides:
    @pytest.mark.parametrize("role", ["officer", "manager", "director"])
    def test_other_roles_are_refused_and_nothing_changes(self, client, request, appeal, role):
        client.force_login(request.getfixturevalue(role))
        response = client.post(page_url(appeal), {"decision": "overturn", "reason": "My view."})
        assert response.status_code == 403
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decided_by) == (AppealStatus.UNDER_REVIEW, None)
        assert appeal.block.status == BlockStatus.ACTIVE
        assert not decisions(appeal).exists()

    @pytest.mark.parametrize("role", ["officer", "manager"])
    def test_other_roles_read_the_appeal_without_a_form(self, client, request, appeal, role):
        client.force_login(request.getfixturevalue(role))
        page = client.get(page_url(appeal)).content.decode()
        assert "With the Managing Director for a decision" in page
        assert "Uphold or overturn the block" not in page
        assert 'name="decision"' not in page

    def test_an_administrator_without_the_role_is_refused(self, client, appeal):
        admin = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        client.force_login(admin)
        response = client.post(page_url(appeal), {"decision": "overturn", "reason": "I configure."})
        assert response.status_code == 403
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert not decisions(appeal).exists()

    def test_signed_out_goes_to_sign_in_and_nothing_changes(self, client, appeal):
        response = client.post(page_url(appeal), {"decision": "overturn", "reason": "Anonymous."})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("sign_in"))
        assert not decisions(appeal).exists()


def test_the_managing_director_reaches_the_page_from_their_landing_page(client, md, appeal):
    """Their landing page (the decisions inbox) links the workspace page, never the admin's."""
    client.force_login(md)
    landing = client.get(reverse("home"))
    assert landing["Location"] == reverse("escalation:decision_list")
    inbox = client.get(landing["Location"]).content.decode()
    assert f'href="{page_url(appeal)}"' in inbox
    assert "/admin/escalation/appeal/" not in inbox
