"""A decision made in place on /decisions/ is announced and takes focus (WCAG 4.1.3, issue 16 item 5).

Every page has one live region (base.html, ``#app-live-region``); the htmx answer to Approve, Refuse
or Acknowledge puts the result's text in it out of band, and marks the result in the row for
static/js/in-place.js to focus. No new ``role="status"`` appears in the row: a live region added by
the swap may not be announced. Without JavaScript the form posts and the page reloads with a banner.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

INBOX = reverse("escalation:decision_list")
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/decisions/"}
LIVE_REGION = '<div id="app-live-region" class="govuk-visually-hidden" role="status" aria-live="polite"'


def live_region_out_of_band(html: str) -> str:
    found = re.search(r'<div id="app-live-region" hx-swap-oob="innerHTML">(.*?)</div>', html, re.S)
    assert found, "the answer does not update the live region"
    return found.group(1)


def result(html: str) -> re.Match:
    found = re.search(r'<span class="[^"]*app-row-result"[^>]*>(.*?)</span>', html, re.S)
    assert found, "no result in the row"
    return found


@pytest.mark.parametrize("user", ["officer", "manager", "md"])
def test_every_page_has_the_one_live_region_empty(client, request, user):
    client.force_login(request.getfixturevalue(user))
    html = client.get(reverse("escalation:decision_list") if user != "officer" else reverse("moderation:case_list"))
    html = html.content.decode()
    assert html.count('id="app-live-region"') == 1
    assert re.search(re.escape(LIVE_REGION) + r"[^>]*></div>", html)
    assert re.search(r'<script type="module" src="/static/js/in-place\.js" nonce="[^"]+"></script>', html)


def test_the_focus_script_is_a_served_static_file():
    path = finders.find("js/in-place.js")
    assert path
    with open(path, encoding="utf-8") as script:
        text = script.read()
    assert "htmx:afterSettle" in text
    assert "data-app-focus-after-swap" in text


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"decision": "approve"}, "signed off. The officer can now send it."),
        ({"decision": "refuse", "reason": "Too harsh."}, "refused and returned to the officer with your reason."),
    ],
)
def test_a_decision_in_place_is_announced_and_its_result_takes_focus(client, officer, manager, data, said):
    signoff = factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get()
    client.force_login(manager)
    url = reverse("escalation:signoff_detail", args=[signoff.pk])
    html = client.post(url, {"row": "1", "next": INBOX, **data}, headers=HTMX).content.decode()

    announced = live_region_out_of_band(html)
    assert said in announced
    assert f"@{signoff.case.account.handle}" in announced
    shown = result(html)
    assert shown.group(1) == announced  # the same words, on the page and in the live region
    assert f'id="signoff-{signoff.pk}-result"' in shown.group(0)
    assert 'tabindex="-1"' in shown.group(0)
    assert "data-app-focus-after-swap" in shown.group(0)
    assert 'role="status"' not in html  # the swap adds no live region of its own
    assert re.search(r'<span id="signoffs-count" hx-swap-oob="true"[^>]*>\(0\)</span>', html)


def test_a_decision_already_made_is_announced_too(client, officer, manager, other_manager):
    signoff = factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get()
    url = reverse("escalation:signoff_detail", args=[signoff.pk])
    client.force_login(other_manager)
    client.post(url, {"decision": "approve", "next": INBOX})
    client.force_login(manager)
    html = client.post(url, {"row": "1", "next": INBOX, "decision": "approve"}, headers=HTMX).content.decode()
    assert "Already decided by" in live_region_out_of_band(html)
    assert "data-app-focus-after-swap" in result(html).group(0)


def test_an_acknowledgement_in_place_is_announced_and_takes_focus(client, md):
    block = factories.ActiveBlockFactory()
    client.force_login(md)
    url = reverse("escalation:block_acknowledge", args=[block.pk])
    html = client.post(url, {"row": "1", "next": INBOX}, headers=HTMX).content.decode()
    announced = live_region_out_of_band(html)
    assert announced.endswith(": acknowledged.")
    shown = result(html)
    assert shown.group(1) == announced
    assert f'id="block-{block.pk}-result"' in shown.group(0)
    assert 'role="status"' not in html
    assert re.search(r'<span id="acknowledge-count" hx-swap-oob="true"[^>]*>\(0\)</span>', html)


def test_a_refusal_without_a_reason_announces_nothing_and_keeps_the_form(client, officer, manager):
    signoff = factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get()
    client.force_login(manager)
    url = reverse("escalation:signoff_detail", args=[signoff.pk])
    html = client.post(url, {"row": "1", "next": INBOX, "decision": "refuse"}, headers=HTMX).content.decode()
    assert "app-live-region" not in html
    assert "autofocus" in html  # the reason box, in its error state, takes focus instead


def test_without_javascript_the_decision_posts_and_the_page_reloads_with_a_banner(client, officer, manager):
    signoff = factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get()
    client.force_login(manager)
    url = reverse("escalation:signoff_detail", args=[signoff.pk])
    response = client.post(url, {"row": "1", "next": INBOX, "decision": "approve"})
    assert response.status_code == 302
    assert response["Location"] == INBOX
    html = client.get(INBOX).content.decode()
    assert "signed off. The officer can now send it." in html
    assert 'govuk-notification-banner--success" role="alert"' in html
    assert re.search(re.escape(LIVE_REGION) + r"[^>]*></div>", html)  # the live region stays empty
