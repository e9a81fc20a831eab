"""Issue 10, item 5: before a sign-off, a block approval or an appeal decision is asked for, the page
says who else can decide it, by name and role, and warns when nobody else can (a manager's own warning
in an area with no service director: only the superuser, who never decides, is left). After it is
sent, the confirmation names the people it went to, never a generic role phrase."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from escalation import deciders, routing
from escalation.constants import SignOffKind
from escalation.models import SignOff, Warning
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = "Please read our policy: https://www.north-herts.gov.uk/social-media-acceptable-use-policy"


def who_block(page) -> str:
    html = page.content.decode()
    start = html.index('id="who-decides"')
    return unescape(html[start : html.index("</div>", start)])  # names such as O'Brien are escaped


def banner(page) -> str:
    """The text of the page's notification banner (the confirmation), as the reader sees it."""
    html = page.content.decode()
    start = html.index("govuk-notification-banner")
    return " ".join(unescape(html[start : html.index("</div>\n</div>", start)]).split())


def label(user, role: str) -> str:
    return f"{user.get_full_name() or user.get_username()} ({role})"


@pytest.fixture
def no_area_case(officer):
    return factories.OpenCaseFactory(recorded_by=officer, service_area=None)


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")


class TestAWarningNobodyElseCanSignOff:
    def test_the_form_warns_before_it_is_sent_and_says_what_to_do(self, client, manager, no_area_case, root):
        client.force_login(manager)

        page = client.get(reverse("escalation:warning_create", args=[no_area_case.pk]))

        text = who_block(page)
        assert "govuk-warning-text" in text
        assert "Nobody else can sign this off: this case's service area has no active Service director." in text
        assert "Ask an administrator to give someone else the Communications manager role" in text
        assert "or to add a Service director to the area" in text
        # an administrator configures and never decides (issue 9: separation of duties)
        assert "root" not in text
        assert "An administrator configures the service and does not decide." in text
        # the page no longer promises a role that nobody holds
        assert "sign-off by the Communications manager or the case's Service director" not in unescape(
            page.content.decode()
        )

    def test_the_confirmation_says_nobody_else_can_not_a_role(self, client, manager, no_area_case, root):
        client.force_login(manager)

        page = client.post(
            reverse("escalation:warning_create", args=[no_area_case.pk]), {"text": TEXT, "then": "submit"}, follow=True
        )

        said = banner(page)
        assert "Warning saved and sent for sign-off, but nobody else can sign this off." in said
        assert "Ask an administrator to give someone else the Communications manager role" in said
        assert "by the Communications manager or the case's Service director" not in said
        assert "root" not in said
        assert SignOff.objects.get(warning=Warning.objects.get()).requested_by == manager
        # the waiting warning's page keeps warning
        assert "Nobody else can sign this off" in who_block(page)


class TestAWarningOthersCanSignOff:
    def test_the_form_names_each_person_with_their_role(self, client, officer, manager, director, service_area):
        case = factories.OpenCaseFactory(recorded_by=officer, service_area=service_area)
        client.force_login(officer)

        text = who_block(client.get(reverse("escalation:warning_create", args=[case.pk])))

        assert "Nobody else" not in text
        assert "Who can sign this off:" in text
        assert label(manager, "Communications manager") in text
        assert label(director, "Service director") in text

    def test_another_manager_is_named_for_a_managers_own_warning(self, client, manager, other_manager, no_area_case):
        client.force_login(manager)

        text = who_block(client.get(reverse("escalation:warning_create", args=[no_area_case.pk])))

        assert f"Who can sign this off: {label(other_manager, 'Communications manager')}." in text
        assert manager.get_full_name() not in text

    def test_the_confirmation_names_the_people(self, client, officer, manager, no_area_case):
        client.force_login(officer)

        page = client.post(
            reverse("escalation:warning_create", args=[no_area_case.pk]), {"text": TEXT, "then": "submit"}, follow=True
        )

        assert f"Warning saved and sent for sign-off to {label(manager, 'Communications manager')}." in banner(page)

    def test_an_inactive_manager_is_not_named(self, client, officer, manager, other_manager, no_area_case):
        other_manager.is_active = False
        other_manager.save()
        client.force_login(officer)

        text = who_block(client.get(reverse("escalation:warning_create", args=[no_area_case.pk])))

        assert label(manager, "Communications manager") in text
        assert other_manager.get_full_name() not in text


class TestABlock:
    def test_the_only_manager_proposing_a_block_is_warned(self, client, manager, no_area_case):
        client.force_login(manager)

        page = client.get(reverse("escalation:block_create", args=[no_area_case.pk]) + "?kind=standard")

        text = who_block(page)
        assert "Nobody else can approve this block." in text
        assert "Ask an administrator to give someone else the Communications manager role." in text

    def test_an_officers_proposal_names_the_manager_before_and_after(self, client, officer, manager, no_area_case):
        client.force_login(officer)
        url = reverse("escalation:block_create", args=[no_area_case.pk]) + "?kind=standard"

        assert label(manager, "Communications manager") in who_block(client.get(url))
        page = client.post(url, {"scope": "all", "reason": "Repeated threats after a warning."}, follow=True)

        assert f"Block proposed and sent for approval to {label(manager, 'Communications manager')}." in banner(page)


class TestAnAppeal:
    def test_the_form_names_the_managing_director(self, client, officer, md):
        block = factories.AppealEligibleBlockFactory()
        client.force_login(officer)

        text = who_block(client.get(reverse("escalation:appeal_create", args=[block.pk])))

        assert f"Who can decide this appeal: {label(md, 'Managing Director')}." in text

    def test_with_no_managing_director_the_form_warns(self, client, officer):
        block = factories.AppealEligibleBlockFactory()
        client.force_login(officer)

        text = who_block(client.get(reverse("escalation:appeal_create", args=[block.pk])))

        assert "Nobody else can decide this appeal." in text
        assert "Ask an administrator to give someone else the Managing Director role." in text


def test_deciders_leave_out_the_authors_inactive_people_and_superusers(manager, other_manager, no_area_case):
    other_manager.is_active = False
    other_manager.save()
    root = factories.ManagerFactory(username="root.with.a.role")
    root.is_superuser = True
    root.save()

    who = deciders.deciders(kind=SignOffKind.WARNING, case=no_area_case, excluding={manager.pk})

    assert who.people == []
    assert not who
    assert routing.deciders_for(kind=SignOffKind.WARNING, service_area_id=None).filter(pk=root.pk).exists()
