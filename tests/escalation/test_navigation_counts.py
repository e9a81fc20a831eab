"""The navigation's counts stay true after a decision made in place on /decisions/ (issue 10, item 6):
the htmx answer updates them out of band; without JavaScript the page is reloaded and says the same."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from escalation.constants import SignOffStatus
from tests import factories

pytestmark = pytest.mark.django_db

INBOX = reverse("escalation:decision_list")
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/decisions/"}


def navigation(html: str) -> tuple[str, str]:
    """(the navigation list's opening tag, its contents)."""
    found = re.search(r'(<ul[^>]*id="navigation"[^>]*>)(.*?)</ul>', html, re.S)
    assert found, "no navigation list"
    return found.group(1), found.group(2)


def badge(html: str, text: str) -> int:
    """The count beside ``text`` in the navigation (0 when it shows none)."""
    _, items = navigation(html)
    link = re.search(rf"<a [^>]*>\s*(?:<strong[^>]*>)?{text}(?:</strong>)?\s*(.*?)</a>", items, re.S)
    assert link, f"no {text} in the navigation"
    count = re.search(r'moj-notification-badge">(\d+)<', link.group(1))
    return int(count.group(1)) if count else 0


@pytest.fixture
def two_warnings(officer, manager):
    return [factories.AwaitingSignoffWarningFactory(drafted_by=officer).signoffs.get() for _ in range(2)]


def decide(client, signoff, *, htmx: bool, **data):
    return client.post(
        reverse("escalation:signoff_detail", args=[signoff.pk]),
        {"row": "1", "next": INBOX, **data},
        headers=HTMX if htmx else {},
    )


def test_the_decisions_item_counts_what_waits(client, manager, two_warnings):
    client.force_login(manager)
    assert badge(client.get(INBOX).content.decode(), "Decisions") == 2


def test_approving_in_place_updates_the_counts_out_of_band(client, manager, two_warnings):
    client.force_login(manager)

    html = decide(client, two_warnings[0], htmx=True, decision="approve").content.decode()

    assert html.lstrip().startswith("<tr")  # the row itself, swapped in place
    opening, items = navigation(html)
    assert 'hx-swap-oob="innerHTML"' in opening  # the list stays (GOV.UK's menu toggle holds it)
    assert badge(html, "Decisions") == 1
    assert 'aria-current="page"' in items  # still the current page
    assert "Decisions</strong>" in items
    assert re.search(r'<span id="signoffs-count" hx-swap-oob="true"[^>]*>\(1\)</span>', html)


def test_refusing_the_last_in_place_takes_the_count_away(client, manager, two_warnings):
    client.force_login(manager)
    decide(client, two_warnings[0], htmx=True, decision="approve")

    html = decide(client, two_warnings[1], htmx=True, decision="refuse", reason="Tone it down.").content.decode()

    assert badge(html, "Decisions") == 0
    assert re.search(r'id="signoffs-count"[^>]*>\(0\)</span>', html)


def test_a_refusal_without_a_reason_changes_no_count(client, manager, two_warnings):
    client.force_login(manager)
    html = decide(client, two_warnings[0], htmx=True, decision="refuse", reason="").content.decode()
    assert "hx-swap-oob" not in html
    two_warnings[0].refresh_from_db()
    assert two_warnings[0].status == SignOffStatus.PENDING


def test_without_javascript_the_page_comes_back_with_the_new_counts(client, manager, two_warnings):
    client.force_login(manager)

    response = decide(client, two_warnings[0], htmx=False, decision="approve")

    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert badge(html, "Decisions") == 1
    assert "hx-swap-oob" not in html
    assert re.search(r'id="signoffs-count"[^>]*>\(1\)</span>', html)


def test_acknowledging_in_place_updates_the_managing_directors_count(client, md):
    blocks = [factories.ActiveBlockFactory() for _ in range(2)]
    client.force_login(md)
    assert badge(client.get(INBOX).content.decode(), "Decisions") == 2

    html = client.post(
        reverse("escalation:block_acknowledge", args=[blocks[0].pk]), {"row": "1", "next": INBOX}, headers=HTMX
    ).content.decode()

    assert html.lstrip().startswith("<tr")
    assert badge(html, "Decisions") == 1
    assert re.search(r'<span id="acknowledge-count" hx-swap-oob="true"[^>]*>\(1\)</span>', html)
