"""Issue 10, item 4: what a Service Director and the Managing Director need is shown in place,
and nothing links to a page they cannot open (the link walk, tests/test_link_walk.py, checks all)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_service_director_reads_the_accounts_history_on_the_sign_off_page(client, director, service_area, officer):
    warning = factories.AwaitingSignoffWarningFactory(case__service_area=service_area, case__recorded_by=officer)
    account = warning.case.account
    elsewhere = factories.OpenCaseFactory(account=account, channel=warning.case.channel, service_area=None)
    client.force_login(director)

    html = client.get(reverse("escalation:decision_list")).content.decode()
    assert f'href="/accounts/{account.pk}/"' not in html

    response = client.get(reverse("escalation:signoff_detail", args=[warning.signoffs.get().pk]))
    html = response.content.decode()

    assert response.status_code == 200
    assert "The account's whole history" in html
    assert f"Case {elsewhere.pk}" in html  # shown in place …
    assert f'href="/cases/{elsewhere.pk}/"' not in html  # … not linked: outside the director's areas
    assert f'href="/cases/{warning.case_id}/"' in html
    assert "/accounts/" not in html


def test_the_managing_director_reads_an_appeal_with_no_link_to_the_account_page(client, md, officer):
    appeal = factories.UnderReviewAppealFactory(recorded_by=officer)
    client.force_login(md)

    html = client.get(reverse("escalation:appeal_detail", args=[appeal.pk])).content.decode()

    assert "The account's whole history" in html
    assert f"@{appeal.block.account.handle}" in html
    assert "/accounts/" not in html


def test_the_team_still_links_to_the_account(client, officer):
    appeal = factories.UnderReviewAppealFactory(recorded_by=officer)
    client.force_login(officer)
    html = client.get(reverse("escalation:appeal_detail", args=[appeal.pk])).content.decode()
    assert f'href="/accounts/{appeal.block.account_id}/"' in html
