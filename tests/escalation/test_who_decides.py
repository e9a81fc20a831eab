"""Issue 10, item 5: before a sign-off is asked for, the page says who else can decide it, and
warns when nobody else can (a manager's own warning in an area with no service director)."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from escalation import routing
from escalation.constants import SignOffKind
from tests import factories

pytestmark = pytest.mark.django_db


def who_block(page) -> str:
    html = page.content.decode()
    start = html.index('id="who-decides"')
    return unescape(html[start : html.index("</div>", start)])  # names such as O'Brien are escaped


@pytest.fixture
def no_area_case(officer):
    return factories.OpenCaseFactory(recorded_by=officer, service_area=None)


class TestAWarning:
    def test_the_only_manager_drafting_in_an_area_without_a_director_is_warned(self, client, manager, no_area_case):
        get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
        client.force_login(manager)

        page = client.get(reverse("escalation:warning_create", args=[no_area_case.pk]))

        text = who_block(page)
        assert "govuk-warning-text" in text
        assert "Nobody else can sign this off" in text
        assert "no Service director" in text
        # an administrator configures and never decides (issue 9: separation of duties)
        assert "root" not in text
        assert "an administrator configures the service and does not decide" in text

    def test_another_manager_is_named_and_there_is_no_warning(self, client, manager, other_manager, no_area_case):
        client.force_login(manager)

        page = client.get(reverse("escalation:warning_create", args=[no_area_case.pk]))

        text = who_block(page)
        assert "Nobody else" not in text
        assert "Who can sign this off" in text
        assert other_manager.get_username() in text or other_manager.get_full_name() in text
        assert manager.get_full_name() not in text

    def test_an_officer_sees_the_manager_and_the_areas_director(self, client, officer, manager, director, service_area):
        case = factories.OpenCaseFactory(recorded_by=officer, service_area=service_area)
        client.force_login(officer)

        text = who_block(client.get(reverse("escalation:warning_create", args=[case.pk])))

        for person in (manager, director):
            assert (person.get_full_name() or person.get_username()) in text

    def test_the_message_after_sending_names_who_can_decide(self, client, officer, manager, no_area_case):
        client.force_login(officer)
        response = client.post(
            reverse("escalation:warning_create", args=[no_area_case.pk]),
            {
                "text": "Please read our policy: https://www.north-herts.gov.uk/social-media-acceptable-use-policy",
                "then": "submit",
            },
        )
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        assert message == f"Warning saved and sent for sign-off by {manager.get_full_name() or manager.username}."


class TestABlock:
    def test_the_only_manager_proposing_a_block_is_warned(self, client, manager, no_area_case):
        client.force_login(manager)

        page = client.get(reverse("escalation:block_create", args=[no_area_case.pk]) + "?kind=standard")

        assert "Nobody else can approve this block" in who_block(page)


def test_who_may_decide_leaves_out_the_authors_and_inactive_people(manager, other_manager, officer):
    other_manager.is_active = False
    other_manager.save()

    people, admins = routing.who_may_decide(kind=SignOffKind.WARNING, service_area_id=None, authors={manager.pk})

    assert (people, admins) == ([], [])
