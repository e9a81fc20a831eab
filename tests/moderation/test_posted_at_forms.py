"""Issue 10, item 12: one rule for when a post was made. The forms where a person types it (the
workspace's *Record a case* and the admin's) refuse what the API and the CSV import refuse
(``intake.posted_at_check``), with the rule's own message: in the GOV.UK error summary and beside the
field on the workspace page, beside the field in the admin; never a 500, and nothing stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import clock
from moderation.constants import Priority
from moderation.models import Case, Post
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 6, 11, 0, tzinfo=LONDON)


def seven_days_ahead(iso: bool) -> str:
    ahead = timezone.localtime(NOW + timedelta(days=7))
    return f"{ahead:%Y-%m-%d %H:%M}" if iso else f"{ahead:%d/%m/%Y %H:%M}"


# (what is typed in the workspace, in the admin, what the rule says)
REFUSED = [
    pytest.param("01/01/3000 10:00", "3000-01-01 10:00", "is more than a day in the future", id="year-3000"),
    pytest.param(None, None, "is more than a day in the future", id="seven-days-ahead"),
    # the last Sunday of March 2026: London's clocks went from 01:00 to 02:00
    pytest.param(
        "29/03/2026 01:30", "2026-03-29 01:30", "did not happen in London: the clocks went forward", id="skipped-hour"
    ),
]


@pytest.fixture(autouse=True)
def frozen():
    with clock.travel_to(NOW):
        yield


def workspace_data(channel, posted_at: str) -> dict:
    return {
        "channel": channel.pk,
        "handle": "@BinRage77",
        "display_name": "Gary Pike",
        "text": "Bin men are lazy scum, I know where the depot is.",
        "url": "",
        "posted_at": posted_at,
        "kind": "comment",
        "rules": [factories.rule("abusive").pk],
        "reason": "Threat towards waste crews.",
        "service_area": "",
        "priority": Priority.NORMAL,
    }


def admin_data(channel, posted_at: str) -> dict:
    return {
        "channel": channel.pk,
        "platform": channel.platform,
        "handle": "bin_rage",
        "display_name": "Gary",
        "post_kind": "comment",
        "post_text": "You useless lot",
        "post_url": "",
        "post_external_id": "fb-1",
        "posted_at": posted_at,
        "rules": [factories.rule("abusive").pk],
        "reason": "Abusive",
        "service_area": "",
        "priority": 2,
    }


@pytest.mark.parametrize(("typed", "_admin", "says"), REFUSED)
def test_record_a_case_shows_the_rule_in_the_summary_and_beside_the_field(
    client, officer, channel, typed, _admin, says
):
    typed = typed or seven_days_ahead(iso=False)
    client.force_login(officer)

    response = client.post(reverse("moderation:case_create"), workspace_data(channel, typed))

    assert response.status_code == 200
    html = unescape(response.content.decode())
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert f'<a href="#id_posted_at">“{typed}” {says}' in summary
    error = html[html.index('id="id_posted_at-error"') :]
    assert f"Error:</span> “{typed}” {says}" in error[: error.index("</p>")]
    assert not Case.objects.exists()
    assert not Post.objects.exists()


@pytest.mark.parametrize(("_typed", "typed", "says"), REFUSED)
def test_the_admins_record_a_case_shows_the_rule_beside_the_field(client, officer, channel, _typed, typed, says):
    typed = typed or seven_days_ahead(iso=True)
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)

    response = client.post(reverse("admin:moderation_case_add"), admin_data(channel, typed))

    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["posted_at"]
    assert message.startswith(f"“{typed}” {says}")
    assert message in unescape(response.content.decode())
    assert not Case.objects.exists()


def test_the_repeated_autumn_hour_is_the_first_as_everywhere(client, officer, channel):
    client.force_login(officer)

    client.post(reverse("moderation:case_create"), workspace_data(channel, "25/10/2026 01:30"))

    assert Post.objects.get().posted_at.isoformat() == "2026-10-25T00:30:00+00:00"  # the first 01:30 (BST)
