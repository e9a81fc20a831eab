"""The escalation pages: decisions inbox, sign-offs, warnings, blocks, police reports and appeals.

Each page answers for the roles it is for and 403s for the others; every change goes through the
services (events written once), form errors come back as GOV.UK errors, and the inbox costs the
same number of queries with 2 or 30 sign-offs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation.constants import (
    AppealStatus,
    BlockKind,
    BlockScope,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from escalation.models import Appeal, Block, PoliceReport, SignOff, Warning
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

INBOX = reverse("escalation:decision_list")
APPEALS = reverse("escalation:appeal_list")


def url(name: str, *args, query: str = "") -> str:
    return reverse(f"escalation:{name}", args=args) + (f"?{query}" if query else "")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def events(case, kind: str) -> int:
    return CaseEvent.objects.filter(case=case, kind=kind).count()


@pytest.fixture
def case(officer, service_area):
    return factories.OpenCaseFactory(recorded_by=officer, service_area=service_area)


@pytest.fixture
def warning_signoff(case) -> SignOff:
    """A warning the officer drafted and sent for sign-off (Waste and recycling)."""
    warning = factories.AwaitingSignoffWarningFactory(case=case)
    return warning.signoffs.get()


@pytest.fixture
def block_signoff(case) -> SignOff:
    block = factories.ProposedBlockFactory(case=case)
    return block.signoffs.get()


@pytest.fixture
def appeal(officer):
    return factories.UnderReviewAppealFactory(recorded_by=officer)


# --- who may open what ----------------------------------------------------------------------------


class TestPermissions:
    def test_anonymous_is_sent_to_sign_in(self, client, warning_signoff):
        for target in (INBOX, url("signoff_detail", warning_signoff.pk), APPEALS):
            response = client.get(target)
            assert response.status_code == 302
            assert response.url.startswith(reverse("sign_in"))

    @pytest.mark.parametrize(
        ("who", "status"),
        [("officer", 403), ("manager", 200), ("director", 200), ("md", 200)],
    )
    def test_decisions_inbox_is_for_deciders(self, client, request, who, status):
        client.force_login(request.getfixturevalue(who))
        assert client.get(INBOX).status_code == status

    def test_officer_cannot_open_a_signoff_decision_url(self, client, other_officer, warning_signoff, block_signoff):
        client.force_login(other_officer)
        for signoff in (warning_signoff, block_signoff):
            assert client.get(url("signoff_detail", signoff.pk)).status_code == 403
            response = client.post(url("signoff_detail", signoff.pk), {"decision": "approve"})
            assert response.status_code == 403
        assert SignOff.objects.filter(status=SignOffStatus.PENDING).count() == 2

    def test_the_requester_cannot_open_their_own_request(self, client, manager):
        own = factories.AwaitingSignoffWarningFactory(case__recorded_by=manager).signoffs.get()
        client.force_login(manager)
        assert client.get(url("signoff_detail", own.pk)).status_code == 403
        assert client.post(url("signoff_detail", own.pk), {"decision": "approve"}).status_code == 403
        assert own.warning.signoffs.get().status == SignOffStatus.PENDING

    def test_service_director_decides_warnings_of_their_areas_only(
        self, client, director, other_director, warning_signoff, block_signoff
    ):
        client.force_login(director)
        assert client.get(url("signoff_detail", warning_signoff.pk)).status_code == 200
        assert client.get(url("signoff_detail", block_signoff.pk)).status_code == 403
        client.force_login(other_director)
        assert client.get(url("signoff_detail", warning_signoff.pk)).status_code == 403
        assert client.get(url("warning_detail", warning_signoff.warning_id)).status_code == 403

    def test_appeal_signoff_opens_the_appeal_page(self, client, md, manager, appeal):
        signoff = appeal.signoffs.get()
        client.force_login(md)
        response = client.get(url("signoff_detail", signoff.pk))
        assert response.status_code == 302
        assert response.url == url("appeal_detail", appeal.pk)
        client.force_login(manager)
        assert client.get(url("signoff_detail", signoff.pk)).status_code == 403

    @pytest.mark.parametrize(
        ("who", "status"),
        [("officer", 200), ("manager", 200), ("md", 403), ("director", 403)],
    )
    def test_warning_create(self, client, request, case, who, status):
        client.force_login(request.getfixturevalue(who))
        assert client.get(url("warning_create", case.pk)).status_code == status

    @pytest.mark.parametrize(
        ("who", "kind", "status"),
        [
            ("officer", "standard", 200),
            ("officer", "immediate", 403),
            ("officer", "channel_ban", 200),
            ("manager", "immediate", 200),
            ("md", "standard", 403),
            ("director", "standard", 403),
        ],
    )
    def test_block_create(self, client, request, case, who, kind, status):
        client.force_login(request.getfixturevalue(who))
        assert client.get(url("block_create", case.pk, query=f"kind={kind}")).status_code == status

    def test_block_create_unknown_kind_is_404(self, client, officer, case):
        client.force_login(officer)
        assert client.get(url("block_create", case.pk, query="kind=forever")).status_code == 404

    @pytest.mark.parametrize(
        ("who", "status"), [("officer", 200), ("manager", 200), ("md", 200), ("other_director", 403)]
    )
    def test_block_detail(self, client, request, block_in_state, service_area, who, status):
        block = block_in_state(BlockStatus.ACTIVE, case__service_area=service_area)
        client.force_login(request.getfixturevalue(who))
        assert client.get(url("block_detail", block.pk)).status_code == status

    @pytest.mark.parametrize(("who", "status"), [("officer", 403), ("manager", 200), ("md", 403)])
    def test_police_report_create(self, client, request, case, who, status):
        client.force_login(request.getfixturevalue(who))
        assert client.get(url("police_report_create", case.pk)).status_code == status

    @pytest.mark.parametrize(("who", "status"), [("officer", 200), ("manager", 200), ("md", 200), ("director", 403)])
    def test_appeal_list_and_detail(self, client, request, appeal, who, status):
        client.force_login(request.getfixturevalue(who))
        assert client.get(APPEALS).status_code == status
        assert client.get(url("appeal_detail", appeal.pk)).status_code == status

    @pytest.mark.parametrize(("who", "status"), [("officer", 200), ("manager", 200), ("md", 403)])
    def test_appeal_create(self, client, request, block_in_state, who, status):
        block = block_in_state(BlockStatus.ACTIVE)
        client.force_login(request.getfixturevalue(who))
        assert client.get(url("appeal_create", block.pk)).status_code == status

    def test_only_the_managing_director_acknowledges(self, client, officer, manager, block_in_state):
        block = block_in_state(BlockStatus.ACTIVE)
        for user in (officer, manager):
            client.force_login(user)
            assert client.post(url("block_acknowledge", block.pk)).status_code == 403
        block.refresh_from_db()
        assert block.md_acknowledged_at is None

    def test_only_the_managing_director_decides_an_appeal(self, client, manager, appeal):
        client.force_login(manager)
        response = client.post(url("appeal_detail", appeal.pk), {"decision": "overturn", "reason": "Fine."})
        assert response.status_code == 403
        assert "Uphold or overturn" not in client.get(url("appeal_detail", appeal.pk)).content.decode()
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UNDER_REVIEW


# --- the decisions inbox and sign-offs ------------------------------------------------------------


class TestInbox:
    def test_lists_my_signoffs_oldest_first_with_links(self, client, manager, officer, service_area):
        newer = factories.AwaitingSignoffWarningFactory(
            case__recorded_by=officer, case__account__handle="newer_one"
        ).signoffs.get()
        older = factories.ProposedBlockFactory(case__recorded_by=officer, case__account__handle="older_one")
        SignOff.objects.filter(block=older).update(requested_at=newer.requested_at - timedelta(hours=3))
        factories.AwaitingSignoffWarningFactory(case__recorded_by=manager, case__account__handle="my_own")
        client.force_login(manager)
        page = client.get(INBOX).content.decode()
        assert page.index("@older_one") < page.index("@newer_one")
        assert "@my_own" not in page  # nobody decides their own request
        assert reverse("moderation:case_detail", args=[newer.case_id]) in page
        assert reverse("moderation:account_detail", args=[newer.case.account_id]) in page
        assert url("signoff_detail", newer.pk) in page
        assert "left" in page  # the due time

    def test_service_director_sees_warnings_of_their_areas(self, client, director, warning_signoff):
        factories.AwaitingSignoffWarningFactory(case__account__handle="elsewhere")
        client.force_login(director)
        page = client.get(INBOX).content.decode()
        assert f"@{warning_signoff.case.account.handle}" in page
        assert "@elsewhere" not in page

    def test_managing_director_sees_blocks_to_acknowledge_and_appeals(self, client, md, appeal, block_in_state):
        unacknowledged = block_in_state(BlockStatus.ACTIVE, case__account__handle="to_ack")
        block_in_state(BlockStatus.ACTIVE, case__account__handle="acked", md_acknowledged_at=clock.now())
        client.force_login(md)
        page = client.get(INBOX).content.decode()
        assert "Blocks to acknowledge" in page
        assert "@to_ack" in page
        assert "@acked" not in page
        assert url("block_acknowledge", unacknowledged.pk) in page
        assert "Appeals to decide" in page
        assert url("appeal_detail", appeal.pk) in page

    def test_query_count_is_constant_in_the_number_of_signoffs(
        self, client, manager, md, officer, django_assert_max_num_queries
    ):
        def make(n: int) -> None:
            for i in range(n):
                if i % 2:
                    factories.AwaitingSignoffWarningFactory(case__recorded_by=officer)
                else:
                    factories.ProposedBlockFactory(case__recorded_by=officer)
                    factories.ActiveBlockFactory()
            factories.UnderReviewAppealFactory()

        make(2)
        client.force_login(manager)
        with CaptureQueriesContext(connection) as few:
            assert client.get(INBOX).status_code == 200
        client.force_login(md)
        with CaptureQueriesContext(connection) as few_md:
            assert client.get(INBOX).status_code == 200

        make(28)
        assert SignOff.objects.filter(status=SignOffStatus.PENDING).exclude(kind=SignOffKind.APPEAL).count() == 30
        client.force_login(manager)
        with django_assert_max_num_queries(len(few)):
            page = client.get(INBOX)
        assert page.content.decode().count('id="signoff-') == 30
        client.force_login(md)
        with django_assert_max_num_queries(len(few_md)):
            page = client.get(INBOX)
        assert (
            page.content.decode().count('id="block-')
            == Block.objects.filter(status=BlockStatus.ACTIVE, md_acknowledged_at__isnull=True).count()
        )


class TestSignoffDecision:
    def test_detail_shows_the_request_in_full(self, client, manager, warning_signoff):
        client.force_login(manager)
        page = client.get(url("signoff_detail", warning_signoff.pk)).content.decode()
        assert warning_signoff.warning.text in page
        assert "Account standing" in page
        assert "Recommended next step" in page
        assert warning_signoff.case.reason in page

    def test_approve_through_the_page(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(url("signoff_detail", warning_signoff.pk), {"decision": "approve"})
        assert response.status_code == 302
        assert response.url == INBOX
        warning_signoff.refresh_from_db()
        assert warning_signoff.status == SignOffStatus.APPROVED
        assert warning_signoff.decided_by == manager
        assert Warning.objects.get(pk=warning_signoff.warning_id).status == WarningStatus.APPROVED
        assert events(warning_signoff.case, EventKind.WARNING_APPROVED) == 1
        assert any("signed off" in m for m in messages_of(response))

    def test_refuse_with_a_reason_from_the_inbox_row(self, client, manager, block_signoff):
        client.force_login(manager)
        response = client.post(
            url("signoff_detail", block_signoff.pk),
            {"decision": "refuse", "reason": "Warn first.", "next": INBOX + "?page=1", "row": "1"},
        )
        assert response.status_code == 302
        assert response.url == INBOX + "?page=1"
        block_signoff.refresh_from_db()
        assert block_signoff.status == SignOffStatus.REFUSED
        assert block_signoff.reason == "Warn first."
        assert Block.objects.get(pk=block_signoff.block_id).status == BlockStatus.REFUSED
        assert events(block_signoff.case, EventKind.BLOCK_REFUSED) == 1

    def test_refusal_without_reason_shows_the_error_and_keeps_the_choice(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(url("signoff_detail", warning_signoff.pk), {"decision": "refuse", "reason": "  "})
        assert response.status_code == 200
        page = response.content.decode()
        assert "govuk-error-summary" in page
        assert "Give a reason for refusing" in page
        assert 'value="refuse" checked' in page
        assert page.startswith("<!DOCTYPE html>")
        assert "<title>Error:" in page
        warning_signoff.refresh_from_db()
        assert warning_signoff.status == SignOffStatus.PENDING
        assert events(warning_signoff.case, EventKind.WARNING_REFUSED) == 0

    def test_inbox_refusal_without_reason_and_without_js_opens_the_full_page(self, client, manager, block_signoff):
        client.force_login(manager)
        response = client.post(
            url("signoff_detail", block_signoff.pk),
            {"decision": "refuse", "reason": "", "next": INBOX, "row": "1"},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "govuk-error-summary" in page
        assert f'value="{INBOX}"' in page  # still goes back to the inbox once decided

    def test_no_decision_chosen_is_a_field_error(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(url("signoff_detail", warning_signoff.pk), {"reason": "Looks fine"})
        assert response.status_code == 200
        assert "Choose approve or refuse" in response.content.decode()
        assert "Looks fine" in response.content.decode()  # nothing typed is lost

    def test_double_post_is_recorded_once(self, client, manager, warning_signoff):
        client.force_login(manager)
        target = url("signoff_detail", warning_signoff.pk)
        first = client.post(target, {"decision": "approve"})
        second = client.post(target, {"decision": "refuse", "reason": "Changed my mind"})
        assert first.status_code == second.status_code == 302
        assert any(m.startswith("Already decided by") for m in messages_of(second))
        assert events(warning_signoff.case, EventKind.WARNING_APPROVED) == 1
        assert events(warning_signoff.case, EventKind.WARNING_REFUSED) == 0
        warning_signoff.refresh_from_db()
        assert warning_signoff.status == SignOffStatus.APPROVED

    def test_another_manager_deciding_later_is_told_who_decided(self, client, manager, other_manager, block_signoff):
        client.force_login(manager)
        client.post(url("signoff_detail", block_signoff.pk), {"decision": "approve"})
        client.force_login(other_manager)
        response = client.post(url("signoff_detail", block_signoff.pk), {"decision": "approve"}, follow=True)
        assert response.status_code == 200
        assert "Already decided by" in response.content.decode()
        assert events(block_signoff.case, EventKind.BLOCK_APPROVED) == 1
        # and the decided request still reads, with its decision
        page = client.get(url("signoff_detail", block_signoff.pk)).content.decode()
        assert "Decided by" in page
        assert "Record the decision" not in page

    def test_htmx_row_approve_swaps_the_row(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(
            url("signoff_detail", warning_signoff.pk),
            {"decision": "approve", "next": INBOX, "row": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert body.strip().startswith("<tr")
        assert "signed off" in body
        assert "<html" not in body
        again = client.post(
            url("signoff_detail", warning_signoff.pk),
            {"decision": "approve", "next": INBOX, "row": "1"},
            headers={"HX-Request": "true"},
        )
        assert "Already decided by" in again.content.decode()
        assert events(warning_signoff.case, EventKind.WARNING_APPROVED) == 1

    def test_htmx_row_refusal_without_reason_shows_the_error_in_the_row(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(
            url("signoff_detail", warning_signoff.pk),
            {"decision": "refuse", "reason": "", "next": INBOX, "row": "1"},
            headers={"HX-Request": "true"},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Give a reason for refusing" in body
        assert "<details" in body
        assert " open" in body

    def test_unsafe_next_is_ignored(self, client, manager, warning_signoff):
        client.force_login(manager)
        response = client.post(
            url("signoff_detail", warning_signoff.pk), {"decision": "approve", "next": "https://evil.example/"}
        )
        assert response.url == INBOX


# --- warnings ------------------------------------------------------------------------------------


class TestWarnings:
    def test_create_is_prefilled_from_the_template(self, client, officer, case, settings):
        client.force_login(officer)
        page = client.get(url("warning_create", case.pk)).content.decode()
        assert "<textarea" in page
        assert settings.SOCIAL_MEDIA_POLICY_URL in page

    def test_save_and_send_for_signoff(self, client, officer, case, settings):
        client.force_login(officer)
        text = f"Please stop. Our policy: {settings.SOCIAL_MEDIA_POLICY_URL}"
        response = client.post(url("warning_create", case.pk), {"text": text, "then": "submit"})
        warning = Warning.objects.get(case=case)
        assert response.status_code == 302
        assert response.url == url("warning_detail", warning.pk)
        assert warning.text == text
        assert warning.status == WarningStatus.AWAITING_SIGNOFF
        assert events(case, EventKind.WARNING_DRAFTED) == 1
        assert events(case, EventKind.WARNING_SUBMITTED) == 1

    def test_text_without_the_policy_link_is_a_field_error_and_kept(self, client, officer, case):
        client.force_login(officer)
        response = client.post(url("warning_create", case.pk), {"text": "Stop it, please.", "then": "draft"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "must link to our policy" in page
        assert "govuk-error-summary" in page
        assert "Stop it, please." in page
        assert not Warning.objects.filter(case=case).exists()

    def test_a_case_with_a_warning_in_progress_leads_to_it(self, client, officer, warning_signoff):
        client.force_login(officer)
        response = client.get(url("warning_create", warning_signoff.case_id))
        assert response.status_code == 302
        assert response.url == url("warning_detail", warning_signoff.warning_id)

    def test_detail_shows_refusal_reason_and_revises(self, client, officer, manager, warning_signoff, settings):
        client.force_login(manager)
        client.post(url("signoff_detail", warning_signoff.pk), {"decision": "refuse", "reason": "Too harsh."})
        client.force_login(officer)
        detail = url("warning_detail", warning_signoff.warning_id)
        page = client.get(detail).content.decode()
        assert "Too harsh." in page
        assert "Save and send for sign-off" in page
        new_text = f"Please be civil. {settings.SOCIAL_MEDIA_POLICY_URL}"
        response = client.post(detail, {"action": "revise_submit", "text": new_text})
        assert response.status_code == 302
        warning = Warning.objects.get(pk=warning_signoff.warning_id)
        assert warning.text == new_text
        assert warning.status == WarningStatus.AWAITING_SIGNOFF
        assert warning.signoffs.filter(status=SignOffStatus.PENDING).count() == 1

    def test_mark_sent_and_withdraw_reason_required(self, client, officer, case):
        approved = factories.ApprovedWarningFactory(case=case)
        client.force_login(officer)
        detail = url("warning_detail", approved.pk)
        response = client.post(detail, {"action": "withdraw", "reason": ""})
        assert response.status_code == 200
        assert "Give a reason" in response.content.decode()
        assert client.post(detail, {"action": "send"}).status_code == 302
        approved.refresh_from_db()
        assert approved.status == WarningStatus.SENT
        assert events(case, EventKind.WARNING_SENT) == 1
        # sending again (back button) is a message, not an error page
        again = client.post(detail, {"action": "send"}, follow=True)
        assert again.status_code == 200
        assert events(case, EventKind.WARNING_SENT) == 1

    def test_reader_without_draft_permission_cannot_act(self, client, md, case):
        draft = factories.DraftWarningFactory(case=case)
        client.force_login(md)
        assert client.get(url("warning_detail", draft.pk)).status_code == 200
        assert client.post(url("warning_detail", draft.pk), {"action": "submit"}).status_code == 403


# --- blocks and police reports --------------------------------------------------------------------


class TestBlocks:
    def test_officer_proposes_a_block(self, client, officer, case):
        client.force_login(officer)
        page = client.get(url("block_create", case.pk)).content.decode()
        assert "Block immediately" not in page  # not offered to an officer
        response = client.post(url("block_create", case.pk), {"scope": "all", "reason": "Repeated abuse."})
        block = Block.objects.get(case=case)
        assert response.status_code == 302
        assert response.url == url("block_detail", block.pk)
        assert block.status == BlockStatus.AWAITING_SIGNOFF
        assert block.kind == BlockKind.STANDARD
        assert block.signoffs.filter(status=SignOffStatus.PENDING).count() == 1

    def test_manager_blocks_immediately(self, client, manager, case):
        client.force_login(manager)
        assert "Block immediately" in client.get(url("block_create", case.pk)).content.decode()
        response = client.post(
            url("block_create", case.pk, query="kind=immediate"),
            {"scope": "channel", "reason": "Threat of violence.", "posts_now": "leave"},
        )
        block = Block.objects.get(case=case)
        assert response.status_code == 302
        assert block.kind == BlockKind.IMMEDIATE
        assert block.status == BlockStatus.ACTIVE
        assert block.scope == BlockScope.CHANNEL
        assert block.channel == case.channel
        assert events(case, EventKind.BLOCK_IMMEDIATE) == 1

    def test_officer_cannot_perform_an_immediate_block(self, client, officer, case):
        client.force_login(officer)
        response = client.post(
            url("block_create", case.pk, query="kind=immediate"), {"scope": "all", "reason": "Extreme."}
        )
        assert response.status_code == 403
        assert not Block.objects.filter(case=case).exists()

    def test_officer_bans_a_misinformation_author_from_the_channel(self, client, officer):
        misinformation = factories.OpenCaseFactory(recorded_by=officer, rules=[factories.rule("misinformation")])
        client.force_login(officer)
        form = client.get(url("block_create", misinformation.pk, query="kind=channel_ban")).content.decode()
        assert 'name="scope"' not in form  # a channel ban is always the case's channel
        response = client.post(
            url("block_create", misinformation.pk, query="kind=channel_ban"), {"reason": "False health claims."}
        )
        block = Block.objects.get(case=misinformation)
        assert response.status_code == 302
        assert block.kind == BlockKind.CHANNEL_BAN
        assert block.status == BlockStatus.ACTIVE
        assert block.channel == misinformation.channel
        assert events(misinformation, EventKind.CHANNEL_BAN) == 1
        assert events(misinformation, EventKind.POST_DELETED) == 1

    def test_channel_ban_needs_the_misinformation_rule(self, client, officer, case):
        client.force_login(officer)
        page = client.get(url("block_create", case.pk, query="kind=channel_ban")).content.decode()
        assert "does not cite that house rule" in page
        response = client.post(url("block_create", case.pk, query="kind=channel_ban"), {"reason": "Not misinfo."})
        assert response.status_code == 200
        assert not Block.objects.filter(case=case).exists()

    def test_missing_scope_and_reason_are_field_errors(self, client, officer, case):
        client.force_login(officer)
        response = client.post(url("block_create", case.pk), {"scope": "", "reason": ""})
        page = response.content.decode()
        assert response.status_code == 200
        assert "Choose where to block the account" in page
        assert "Say why the account should be blocked" in page

    def test_an_account_already_blocked_is_a_form_error_not_a_500(self, client, manager, case):
        factories.ActiveBlockFactory(case=case)
        client.force_login(manager)
        response = client.post(url("block_create", case.pk), {"scope": "all", "reason": "Again."})
        assert response.status_code == 200
        page = response.content.decode()
        assert "already has a block on all channels" in page
        assert "Again." in page

    def test_detail_shows_facts_and_md_acknowledges(self, client, md, block_in_state):
        block = block_in_state(BlockStatus.ACTIVE)
        client.force_login(md)
        page = client.get(url("block_detail", block.pk)).content.decode()
        assert "Appeal can be heard from" in page
        assert "Acknowledge the block" in page
        response = client.post(url("block_acknowledge", block.pk))
        assert response.status_code == 302
        assert response.url == url("block_detail", block.pk)
        block.refresh_from_db()
        assert block.md_acknowledged_by == md
        assert events(block.case, EventKind.MD_ACKNOWLEDGED) == 1
        again = client.post(url("block_acknowledge", block.pk), {"next": INBOX})
        assert again.url == INBOX
        assert any(m.startswith("Already acknowledged by") for m in messages_of(again))
        assert events(block.case, EventKind.MD_ACKNOWLEDGED) == 1

    def test_record_undone_on_platform_after_lifted(self, client, officer, block_in_state):
        block = block_in_state(BlockStatus.LIFTED)
        client.force_login(officer)
        assert "Record the block as undone" in client.get(url("block_detail", block.pk)).content.decode()
        client.post(url("block_detail", block.pk), {"action": "undone"})
        block.refresh_from_db()
        assert block.undone_on_platform_by == officer
        assert events(block.case, EventKind.BLOCK_UNDONE_ON_PLATFORM) == 1


class TestPoliceReports:
    def test_manager_records_a_report_with_the_date_input(self, client, manager, block_in_state):
        block = block_in_state(BlockStatus.ACTIVE)
        client.force_login(manager)
        page = client.get(url("police_report_create", block.case_id, query=f"block={block.pk}")).content.decode()
        assert "govuk-date-input" in page
        today = clock.now().date()
        response = client.post(
            url("police_report_create", block.case_id, query=f"block={block.pk}"),
            {
                "force": "Hertfordshire Constabulary",
                "reference": "41/12345/26",
                "reported_on_day": str(today.day),
                "reported_on_month": str(today.month),
                "reported_on_year": str(today.year),
                "block": str(block.pk),
            },
        )
        assert response.status_code == 302
        assert response.url == url("block_detail", block.pk)
        report = PoliceReport.objects.get()
        assert report.block == block
        assert report.reported_on == today
        assert events(block.case, EventKind.POLICE_REPORTED) == 1

    def test_impossible_date_is_a_field_error_and_typed_values_stay(self, client, manager, case):
        client.force_login(manager)
        response = client.post(
            url("police_report_create", case.pk),
            {
                "force": "Herts",
                "reference": "REF-1",
                "reported_on_day": "31",
                "reported_on_month": "2",
                "reported_on_year": "2026",
            },
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "The date reported must be a real date" in page
        assert 'href="#id_reported_on"' in page
        assert 'id="id_reported_on"' in page
        assert 'value="31"' in page
        assert 'value="REF-1"' in page
        assert not PoliceReport.objects.exists()

    def test_block_of_another_case_is_404(self, client, manager, case, block_in_state):
        other = block_in_state(BlockStatus.ACTIVE)
        client.force_login(manager)
        assert client.get(url("police_report_create", case.pk, query=f"block={other.pk}")).status_code == 404


# --- appeals -------------------------------------------------------------------------------------


def appeal_data(**extra) -> dict:
    """An appeal received five minutes ago, as the form posts it."""
    moment = timezone.localtime(clock.now() - timedelta(minutes=5))
    return {
        "received_on_day": str(moment.day),
        "received_on_month": str(moment.month),
        "received_on_year": str(moment.year),
        "received_time": moment.strftime("%H:%M"),
        "received_via": "Direct message",
        "grounds": "I have changed.",
        **extra,
    }


class TestAppeals:
    def test_premature_appeal_says_when_the_window_opens(self, client, officer):
        block = factories.ActiveBlockFactory()  # started now: appeals open in 12 months
        client.force_login(officer)
        form = client.get(url("appeal_create", block.pk)).content.decode()
        assert "recorded as premature" in form
        response = client.post(url("appeal_create", block.pk), appeal_data())
        appeal = Appeal.objects.get(block=block)
        assert appeal.status == AppealStatus.PREMATURE
        assert response.status_code == 302
        assert response.url == url("appeal_detail", appeal.pk)
        opens = timezone.localtime(block.appeal_opens_at)
        expected = f"can be heard from {opens.day} {opens:%B %Y}"
        assert any(expected in m for m in messages_of(response))
        assert events(block.case, EventKind.APPEAL_PREMATURE) == 1
        assert not SignOff.objects.filter(appeal=appeal).exists()

    def test_appeal_in_the_window_goes_to_the_managing_director(self, client, officer, md, block_in_state):
        block = block_in_state(BlockStatus.ACTIVE)
        client.force_login(officer)
        response = client.post(url("appeal_create", block.pk), appeal_data())
        appeal = Appeal.objects.get(block=block)
        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert response.url == url("appeal_detail", appeal.pk)
        client.force_login(md)
        assert url("appeal_detail", appeal.pk) in client.get(INBOX).content.decode()

    def test_future_time_and_bad_time_are_field_errors(self, client, officer, block_in_state):
        block = block_in_state(BlockStatus.ACTIVE)
        client.force_login(officer)
        later = timezone.localtime(clock.now() + timedelta(days=2))
        data = appeal_data(
            received_on_day=str(later.day), received_on_month=str(later.month), received_on_year=str(later.year)
        )
        page = client.post(url("appeal_create", block.pk), data).content.decode()
        assert "must be today or in the past" in page
        assert "I have changed." in page
        page = client.post(url("appeal_create", block.pk), appeal_data(received_time="25:99")).content.decode()
        assert "Enter a real time" in page
        assert not Appeal.objects.exists()

    def test_managing_director_overturns_through_the_appeal_page(self, client, md, officer, appeal):
        client.force_login(md)
        page = client.get(url("appeal_detail", appeal.pk)).content.decode()
        assert "whole history" in page
        assert url("block_detail", appeal.block_id) in page
        assert "Uphold or overturn" in page
        missing = client.post(url("appeal_detail", appeal.pk), {"decision": "overturn", "reason": ""})
        assert missing.status_code == 200
        assert "Give the reason for the decision" in missing.content.decode()
        response = client.post(url("appeal_detail", appeal.pk), {"decision": "overturn", "reason": "Changed ways."})
        assert response.status_code == 302
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.OVERTURNED
        assert appeal.decided_by == md
        assert appeal.block.status == BlockStatus.LIFTED
        assert events(appeal.block.case, EventKind.APPEAL_OVERTURNED) == 1
        assert appeal.signoffs.get().status == SignOffStatus.APPROVED
        # twice: recorded once, told who decided
        again = client.post(url("appeal_detail", appeal.pk), {"decision": "uphold", "reason": "No."})
        assert any(m.startswith("Already decided by") for m in messages_of(again))
        assert events(appeal.block.case, EventKind.APPEAL_OVERTURNED) == 1
        assert events(appeal.block.case, EventKind.APPEAL_UPHELD) == 0
        # the officer sees the decision, without a form
        client.force_login(officer)
        page = client.get(url("appeal_detail", appeal.pk)).content.decode()
        assert "Changed ways." in page
        assert "Uphold or overturn" not in page
        assert '<div class="moj-timeline">' in page  # the case timeline, with the decision on it
        assert "Appeal decided: block overturned and lifted" in page

    def test_upheld_appeal_says_when_the_next_one_can_be_heard(self, client, md, appeal):
        client.force_login(md)
        response = client.post(
            url("appeal_detail", appeal.pk), {"decision": "uphold", "reason": "Still abusive."}, follow=True
        )
        assert "Appeal upheld: the block stays" in response.content.decode()
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.UPHELD
        assert appeal.block.status == BlockStatus.ACTIVE

    def test_list_shows_status_and_premature_window(self, client, officer, appeal):
        block = factories.ActiveBlockFactory()
        premature = Appeal.objects.create(
            block=block,
            status=AppealStatus.PREMATURE,
            received_at=clock.now(),
            recorded_by=officer,
            window_opens_at=block.appeal_opens_at,
        )
        client.force_login(officer)
        page = client.get(APPEALS).content.decode()
        assert page.index(url("appeal_detail", premature.pk)) < page.index(url("appeal_detail", appeal.pk))
        assert "Window opens" in page
        assert "Under review" in page
        page = client.get(APPEALS + "?status=premature").content.decode()
        assert url("appeal_detail", appeal.pk) not in page

    def test_appeal_against_a_block_not_active_is_a_message(self, client, officer, block_in_state):
        block = block_in_state(BlockStatus.REFUSED)
        client.force_login(officer)
        response = client.get(url("appeal_create", block.pk), follow=True)
        assert response.status_code == 200
        assert "only an active block can be appealed" in response.content.decode()
