"""Safeguarding on every surface (issue 12): the queue puts it on top with a red tag; the case page holds
back the ladder and offers the lead the referral; the posts' text and the case's reason are read only by
safeguarding leads on the case page, the queue's search, the account page, the API and the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from moderation import clock
from moderation.constants import EventKind, SafeguardingAgency
from moderation.models import CaseEvent, SafeguardingReferral
from moderation.safeguarding import case_mark_safeguarding, safeguarding_referral_record
from policy.roles import RESTRICTED_TEXT
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "I am going to hurt myself tonight, nobody cares"
REASON = "Disclosure of intent to self-harm: QUOTED-IN-REASON"


@pytest.fixture
def lead(db):
    return factories.SafeguardingLeadFactory(username="sophie", email="sophie@council.example")


@pytest.fixture
def ordinary(db):
    return factories.OpenCaseFactory(response_due_at=clock.now() + timedelta(hours=1))


@pytest.fixture
def marked(officer, lead):
    case = factories.OpenCaseFactory(reason=REASON, posts=[], response_due_at=clock.now() + timedelta(days=3))
    factories.PostFactory(case=case, channel=case.channel, account=case.account, text=SECRET)
    case_mark_safeguarding(actor=officer, case=case, reason="A risk to the author.")
    case.refresh_from_db()
    return case


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


class TestQueue:
    def test_safeguarding_on_top_with_a_red_tag_whatever_the_sort(self, client, officer, ordinary, marked):
        client.force_login(officer)
        for query in ("", "?sort=account", "?sort=-due", "?sort=recorded"):
            page = client.get(reverse("moderation:case_list") + query).content.decode()
            assert page.index(f"/cases/{marked.pk}/") < page.index(f"/cases/{ordinary.pk}/"), query
        assert 'govuk-tag--red app-safeguarding-tag">Safeguarding</strong>' in page
        assert "for the safeguarding lead" in page  # the clock in hours, not working days

    def test_search_by_the_text_finds_it_for_a_lead_only(self, client, officer, lead, marked):
        url = reverse("moderation:case_list") + "?q=hurt+myself"
        client.force_login(officer)
        assert f"/cases/{marked.pk}/" not in client.get(url).content.decode()
        client.force_login(lead)
        assert f"/cases/{marked.pk}/" in client.get(url).content.decode()


class TestCasePage:
    def test_the_ladder_waits_and_the_text_is_restricted_for_the_team(self, client, officer, marked):
        client.force_login(officer)
        page = client.get(reverse("moderation:case_detail", args=[marked.pk])).content.decode()
        assert "Safeguarding case" in page
        assert RESTRICTED_TEXT in page
        assert SECRET not in page
        assert "QUOTED-IN-REASON" not in page  # the reason, and the "case recorded" event's note
        for action in ("Draft a warning", "Propose a block", "Ban from"):
            assert action not in page
        assert "Record the safeguarding decision" not in page

    def test_the_lead_reads_the_text_and_records_the_referral(self, client, officer, lead, marked):
        client.force_login(lead)
        page = client.get(reverse("moderation:case_detail", args=[marked.pk])).content.decode()
        assert SECRET.replace("'", "&#x27;") in page
        assert "QUOTED-IN-REASON" in page
        assert "Record the safeguarding decision" in page
        url = reverse("escalation:safeguarding_referral", args=[marked.pk])
        form = client.get(url).content.decode()
        assert "Samaritans on 116 123" in form  # the hint
        response = client.post(
            url,
            {
                "agency": SafeguardingAgency.POLICE,
                "reference": "CAD-4471",
                "referred_by": "Sophie Lead",
                "referred_on_0": "",
                "referred_on_1": "",
                "referred_on_2": "",
                "referred_time": "",
                "signposted_to": "Samaritans 116 123",
            },
        )
        assert response.status_code == 302
        referral = SafeguardingReferral.objects.get(case=marked)
        assert referral.reference == "CAD-4471"
        # after the decision the ordinary ladder is offered again, and the case shows the referral
        client.force_login(officer)
        page = client.get(reverse("moderation:case_detail", args=[marked.pk])).content.decode()
        assert "Draft a warning" in page
        assert "CAD-4471" in page
        assert "Samaritans 116 123" in page

    def test_a_bad_referral_comes_back_with_clear_messages(self, client, lead, marked):
        client.force_login(lead)
        url = reverse("escalation:safeguarding_referral", args=[marked.pk])
        page = client.post(url, {"agency": SafeguardingAgency.LA_CHILDREN, "referred_time": "25:99"}).content.decode()
        assert "govuk-error-summary" in page
        assert "Enter the time as hours and minutes" in page
        page = client.post(url, {"agency": SafeguardingAgency.LA_CHILDREN}).content.decode()
        assert "Enter the reference the agency gave" in page
        assert "Enter who made the referral" in page
        page = client.post(url, {"agency": SafeguardingAgency.NONE}).content.decode()
        assert "Say why no referral is needed." in page
        assert not SafeguardingReferral.objects.exists()

    def test_a_warning_posted_directly_is_refused(self, client, officer, marked):
        client.force_login(officer)
        response = client.post(reverse("escalation:warning_create", args=[marked.pk]), {"text": "x"}, follow=True)
        assert response.status_code == 200
        assert not marked.warnings.exists()

    def test_any_team_member_marks_a_case_from_its_page(self, client, officer, lead, ordinary, mailoutbox):
        client.force_login(officer)
        page = client.get(reverse("moderation:case_detail", args=[ordinary.pk])).content.decode()
        assert "Mark as safeguarding" in page
        url = reverse("escalation:safeguarding_mark", args=[ordinary.pk])
        assert "Say why this is a safeguarding concern" in client.post(url, {"reason": " "}).content.decode()
        response = client.post(url, {"reason": "A child says they are unsafe."})
        assert response.status_code == 302
        assert CaseEvent.objects.filter(case=ordinary, kind=EventKind.SAFEGUARDING_MARKED).count() == 1

    def test_only_a_lead_opens_the_referral_form(self, client, officer, manager, marked):
        for user in (officer, manager):
            client.force_login(user)
            assert client.get(reverse("escalation:safeguarding_referral", args=[marked.pk])).status_code == 403


class TestDecisionPages:
    def test_warning_block_and_sign_off_pages_restrict_the_reason_and_text(self, client, officer, manager, lead):
        case = factories.OpenCaseFactory(reason=REASON, posts=[])
        factories.PostFactory(case=case, channel=case.channel, account=case.account, text=SECRET)
        warning = factories.AwaitingSignoffWarningFactory(case=case, drafted_by=officer)
        block = factories.ActiveBlockFactory(case=case, account=case.account, proposed_by=officer)
        case_mark_safeguarding(actor=officer, case=case, reason="A risk to the author.")
        pages = [
            reverse("escalation:warning_detail", args=[warning.pk]),
            reverse("escalation:block_detail", args=[block.pk]),
            reverse("escalation:signoff_detail", args=[warning.signoffs.get().pk]),
        ]
        for user, readable in ((officer, pages[:2]), (manager, pages)):
            client.force_login(user)
            for url in readable:
                response = client.get(url)
                assert response.status_code == 200, url
                page = response.content.decode()
                assert "QUOTED-IN-REASON" not in page, url
                assert SECRET not in page, url
        client.force_login(lead)
        assert "QUOTED-IN-REASON" in client.get(pages[0]).content.decode()


class TestEvidence:
    def test_a_screenshot_of_the_post_is_for_the_leads(self, client, officer, manager, lead, marked):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from moderation.models import Evidence

        png = SimpleUploadedFile("post.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
        evidence = Evidence.objects.create(case=marked, file=png, description="the post: hurt myself", added_by=officer)
        url = reverse("moderation:evidence_file", args=[marked.pk, evidence.pk])
        for user in (officer, manager):
            client.force_login(user)
            assert client.get(url).status_code == 403
            page = client.get(reverse("moderation:case_detail", args=[marked.pk])).content.decode()
            assert url not in page
            assert "hurt myself" not in page
        client.force_login(lead)
        assert client.get(url).status_code == 200
        assert url in client.get(reverse("moderation:case_detail", args=[marked.pk])).content.decode()
        # in the admin too: the description is restricted, as the staff officer and as an administrator
        for user in (staff(officer), factories.UserFactory(username="root", is_superuser=True, is_staff=True)):
            client.force_login(user)
            for admin_url in (
                reverse("admin:moderation_evidence_changelist"),
                reverse("admin:moderation_evidence_change", args=[evidence.pk]),
                reverse("admin:moderation_case_change", args=[marked.pk]),
            ):
                response = client.get(admin_url)
                assert response.status_code == 200
                assert "hurt myself" not in response.content.decode(), admin_url


class TestAccountPage:
    def test_the_account_page_tags_it(self, client, officer, marked):
        client.force_login(officer)
        page = client.get(reverse("moderation:account_detail", args=[marked.account_id])).content.decode()
        assert "app-safeguarding-tag" in page
        assert SECRET not in page


class TestApi:
    def test_the_reason_is_restricted_and_the_case_flagged(self, officer, lead, marked):
        client = APIClient()
        client.force_login(officer)
        [row] = [r for r in client.get("/api/v1/cases/").json()["results"] if r["id"] == marked.pk]
        assert row["reason"] == RESTRICTED_TEXT
        assert row["safeguarding"]["decided_at"] is None
        assert row["stage"]["label"] == "Safeguarding: lead to decide"
        assert marked.pk not in [r["id"] for r in client.get("/api/v1/cases/?q=hurt").json()["results"]]
        client.force_login(lead)
        [row] = [r for r in client.get("/api/v1/cases/").json()["results"] if r["id"] == marked.pk]
        assert row["reason"] == REASON

    def test_an_integration_never_reads_it(self, marked):
        from moderation import services

        _, token = services.integration_create(actor=None, name="Export", channels=[marked.channel])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        [row] = [r for r in client.get("/api/v1/cases/").json()["results"] if r["id"] == marked.pk]
        assert row["reason"] == RESTRICTED_TEXT


class TestAdmin:
    @pytest.mark.parametrize(
        "url",
        [
            lambda case: reverse("admin:moderation_case_change", args=[case.pk]),
            lambda case: reverse("admin:moderation_post_changelist"),
            lambda case: reverse("admin:moderation_post_change", args=[case.posts.get().pk]),
            lambda case: reverse("admin:moderation_caseevent_changelist"),
            lambda case: reverse("admin:moderation_case_changelist") + "?q=hurt",
            lambda case: reverse("admin:moderation_post_changelist") + "?q=hurt",
        ],
    )
    def test_restricted_for_staff_and_administrators(self, client, admin_user, officer, lead, marked, url):
        for user in (staff(officer), admin_user):
            client.force_login(user)
            response = client.get(url(marked))
            assert response.status_code == 200
            page = response.content.decode()
            assert SECRET not in page
            assert "QUOTED-IN-REASON" not in page

    def test_a_lead_reads_it_in_the_admin(self, client, lead, marked):
        client.force_login(staff(lead))
        page = client.get(reverse("admin:moderation_post_change", args=[marked.posts.get().pk])).content.decode()
        assert "hurt myself tonight" in page
        page = client.get(reverse("admin:moderation_case_change", args=[marked.pk])).content.decode()
        assert "QUOTED-IN-REASON" in page

    def test_search_finds_ordinary_cases_by_their_text(self, client, officer, marked, ordinary):
        client.force_login(staff(officer))
        page = client.get(reverse("admin:moderation_post_changelist") + "?q=useless").content.decode()
        assert f"Case {ordinary.pk}<" in page
        assert f"Case {marked.pk}<" not in page


class TestEmail:
    def test_no_email_carries_the_text(self, officer, lead, django_capture_on_commit_callbacks, mailoutbox):
        case = factories.OpenCaseFactory(reason=REASON, posts=[])
        factories.PostFactory(case=case, channel=case.channel, account=case.account, text=SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            case_mark_safeguarding(actor=officer, case=case, reason="A risk to the author.")
        assert [m.to for m in mailoutbox] == [[lead.email]]
        assert SECRET not in mailoutbox[0].body
        assert "QUOTED-IN-REASON" not in mailoutbox[0].body
        safeguarding_referral_record(
            actor=lead, case=case, agency=SafeguardingAgency.NONE, no_referral_reason="Platform confirmed a joke."
        )
        assert len(mailoutbox) == 1  # the decision emails nobody
