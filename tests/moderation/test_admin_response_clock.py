"""The admin's case list keeps the queue's first-response rule: acting on a case meets the target."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from moderation import clock, services
from moderation.constants import Visibility
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
RECORDED = datetime(2027, 3, 1, 10, 0, tzinfo=LONDON)  # a Monday
CASES = reverse("admin:moderation_case_changelist")


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def a_case(officer):
    with clock.travel_to(RECORDED):
        return factories.OpenCaseFactory(recorded_by=officer, response_due_at=RECORDED + timedelta(days=1))


def due_cell(client, case) -> str:
    """The case's row's "Response due" cell in the admin's list of cases."""
    page = client.get(CASES).content.decode()
    row = page[page.index(f'href="/admin/moderation/case/{case.pk}/change/') :]
    row = row[: row.index("</tr>")]
    return row[row.index('class="field-due"') :]


@pytest.mark.parametrize("when", [timedelta(hours=2), timedelta(days=3)], ids=["in time", "late"])
def test_a_case_acted_on_is_not_overdue_in_the_admin(client, officer, when):
    case = a_case(officer)
    with clock.travel_to(RECORDED + when):
        services.post_set_visibility(actor=officer, post=case.posts.get(), visibility=Visibility.HIDDEN)
    client.force_login(staff(officer))

    with clock.travel_to(RECORDED + timedelta(days=7)):
        cell = due_cell(client, case)

    assert "Overdue" not in cell
    assert "Responded" in cell
    assert ("Responded late" in cell) == (when > timedelta(days=1))


def test_a_case_nobody_acted_on_is_overdue_in_the_admin(client, officer):
    case = a_case(officer)
    client.force_login(staff(officer))
    with clock.travel_to(RECORDED + timedelta(days=7)):
        cell = due_cell(client, case)
    assert "Overdue" in cell
    assert "Responded" not in cell
    assert "2 March 2027" in cell  # when it was due, in the product's one date format
