"""The accessibility statement (issue 16, item 8): at /accessibility/ for everyone, in the GOV.UK
model statement's format, with the organisation's details from one place, linked from every page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from moderation import accessibility
from policy import services as policy
from tests import factories
from tests.test_mfa import password_step
from tests.test_permission_walk import GET_ACCESS, OK, ROLES, url_for
from tests.test_permission_walk import world as world  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.django_db

STATEMENT = "/accessibility/"
FOOTER_LINK = re.compile(r'<footer[^>]*>.*<a class="[^"]*" href="/accessibility/">Accessibility statement</a>', re.S)


def test_the_statement_is_at_accessibility():
    assert reverse("accessibility") == STATEMENT


class TestTheStatement:
    def test_it_opens_signed_out(self, client):
        response = client.get(STATEMENT)
        assert response.status_code == 200
        assert "<title>Accessibility statement – Moderation Casework – " in response.content.decode()

    def test_it_opens_half_signed_in(self, client, officer):
        """Before the second step no other page opens, but the statement does (its footer links it)."""
        password_step(client, officer)
        assert client.get(reverse("moderation:case_list")).status_code == 302
        assert client.get(STATEMENT).status_code == 200

    def test_it_opens_for_every_role(self, client, officer, manager, director, md):
        for user in (officer, manager, director, md):
            client.force_login(user)
            assert client.get(STATEMENT).status_code == 200

    def test_it_follows_the_govuk_model_statement(self, client):
        page = client.get(STATEMENT).content.decode()
        headings = re.findall(r"<h[123] [^>]*>([^<]+)</h[123]>", page)
        for heading in [
            "Accessibility statement for Moderation Casework",
            "How accessible this service is",
            "Feedback and contact information",
            "Reporting accessibility problems with this service",
            "Enforcement procedure",
            "Technical information about this service&#x27;s accessibility",
            "Compliance status",
            "Non-accessible content",
            "Non-compliance with the accessibility regulations",
            "Disproportionate burden",
            "What we&#x27;re doing to improve accessibility",
            "Preparation of this accessibility statement",
        ]:
            assert heading.replace("&#x27;", "'") in [h.replace("&#x27;", "'") for h in headings], heading
        assert "partially compliant with the" in page
        assert "Web Content Accessibility Guidelines version 2.2</a> AA standard" in page
        assert "Equality and Human Rights Commission (EHRC)" in page
        assert "Equality Advisory and Support Service (EASS)" in page
        assert "We tested 49 page states" in page

    def test_every_known_issue_is_listed_with_its_criteria_and_date(self, client):
        page = client.get(STATEMENT).content.decode().replace("&#x27;", "'")
        assert accessibility.KNOWN_ISSUES
        for issue in accessibility.KNOWN_ISSUES:
            assert f"<li>{issue.headline}</li>" in page
            assert issue.summary in page
            for criterion in issue.criteria:
                assert criterion in page
            assert f"We plan to fix this by {issue.fix_by.day} {issue.fix_by:%B %Y}." in page
            assert issue.fix_by > accessibility.statement_details().prepared_on  # a date to come, when written

    def test_the_organisations_details_come_from_one_place(self, client, settings):
        policy.revise(organisation_name="Example Borough Council", reason="The statement follows the policy.")
        settings.ACCESSIBILITY_CONTACT_EMAIL = "access@example.gov.uk"
        settings.ACCESSIBILITY_CONTACT_PHONE = "01234 567890"
        settings.ACCESSIBILITY_REPLY_WORKING_DAYS = 3
        settings.ACCESSIBILITY_STATEMENT_PREPARED = date(2026, 11, 2)
        settings.ACCESSIBILITY_STATEMENT_REVIEWED = date(2027, 1, 15)
        settings.ACCESSIBILITY_LAST_TESTED = date(2026, 12, 1)
        details = accessibility.statement_details()
        assert details == accessibility.StatementDetails(
            organisation="Example Borough Council",
            contact_email="access@example.gov.uk",
            contact_phone="01234 567890",
            reply_working_days=3,
            prepared_on=date(2026, 11, 2),
            reviewed_on=date(2027, 1, 15),
            tested_on=date(2026, 12, 1),
        )
        page = client.get(STATEMENT).content.decode()
        assert "It is run by Example Borough Council." in page
        assert '<a class="govuk-link" href="mailto:access@example.gov.uk">access@example.gov.uk</a>' in page
        assert "call 01234 567890" in page
        assert "get back to you within 3 working days" in page
        assert "This statement was prepared on 2 November 2026. It was last reviewed on 15 January 2027." in page
        assert "This service was last tested on 1 December 2026." in page

    def test_no_phone_number_no_phone_line(self, client, settings):
        settings.ACCESSIBILITY_CONTACT_PHONE = ""
        assert "call " not in client.get(STATEMENT).content.decode()

    def test_the_view_reads_the_details_through_the_one_function(self, client, monkeypatch):
        """A later change re-points ``statement_details`` to the policy settings: the page must follow."""
        replaced = accessibility.StatementDetails(
            organisation="From the policy",
            contact_email="policy@example.gov.uk",
            contact_phone="",
            reply_working_days=1,
            prepared_on=date(2027, 2, 1),
            reviewed_on=date(2027, 2, 2),
            tested_on=date(2027, 2, 3),
        )
        monkeypatch.setattr(accessibility, "statement_details", lambda: replaced)
        page = client.get(STATEMENT).content.decode()
        assert "It is run by From the policy." in page
        assert "mailto:policy@example.gov.uk" in page
        assert "get back to you within 1 working day." in page


class TestEveryFooterLinksIt:
    # pages that answer a fragment for htmx to swap in, not a whole page with a footer
    FRAGMENTS = {"moderation:import_progress"}

    @pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
    def test_every_workspace_page_as(self, role, client, world):  # noqa: F811
        users, objects = world
        client.force_login(users[role])
        checked, missing = [], []
        for name, (kwargs, statuses) in GET_ACCESS.items():
            if statuses[ROLES.index(role) - 1] != OK or name in self.FRAGMENTS:
                continue
            response = client.get(url_for(name, kwargs, objects))
            if not response["Content-Type"].startswith("text/html"):
                continue  # an evidence file
            checked.append(name)
            if not FOOTER_LINK.search(response.content.decode()):
                missing.append(name)
        assert checked
        assert not missing, f"as {role}, no footer link on: {missing}"

    def test_the_pages_anyone_meets(self, client):
        for url in [reverse("sign_in"), STATEMENT, "/no-such-page/"]:
            assert FOOTER_LINK.search(client.get(url).content.decode()), url

    def test_a_forbidden_page(self, client, director):
        client.force_login(director)
        response = client.get(reverse("moderation:case_list"))
        assert response.status_code == 403
        assert FOOTER_LINK.search(response.content.decode())

    def test_the_admin(self, client, md):
        appeal = factories.UnderReviewAppealFactory()
        md.is_staff = True
        md.save(update_fields=["is_staff"])
        assert FOOTER_LINK.search(Client().get(reverse("admin:login")).content.decode())
        client.force_login(md)
        for url in [reverse("admin:index"), reverse("admin:escalation_appeal_change", args=[appeal.pk])]:
            response = client.get(url)
            assert response.status_code == 200
            assert FOOTER_LINK.search(response.content.decode()), url
