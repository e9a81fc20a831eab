"""The admin as each role uses it: what is offered, what the actions do, what they refuse."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from escalation import services
from escalation.constants import AppealStatus, BlockStatus, SignOffStatus, WarningStatus
from escalation.models import Appeal, Block, SignOff, Warning
from moderation import clock
from moderation.constants import CaseStatus, EventKind, Visibility
from moderation.models import Case, CaseEvent, Post
from tests import factories

pytestmark = pytest.mark.django_db


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def offered_actions(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["action_form"]
    return {choice[0] for choice in form.fields["action"].choices if choice[0]} if form else set()


def act(client, model_url: str, action: str, ids: list[int], **data):
    payload = {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids], **data}
    if data:
        payload["apply"] = "yes"
    return client.post(model_url, payload, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


CASES = reverse("admin:moderation_case_changelist")
POSTS = reverse("admin:moderation_post_changelist")
WARNINGS = reverse("admin:escalation_warning_changelist")
SIGNOFFS = reverse("admin:escalation_signoff_changelist")
BLOCKS = reverse("admin:escalation_block_changelist")
APPEALS = reverse("admin:escalation_appeal_changelist")


class TestActionsDependOnRole:
    @pytest.mark.parametrize(
        ("role_fixture", "expected", "absent"),
        [
            ("officer", {"draft_warning", "propose_block", "ban_from_channel"}, {"block_immediately"}),
            ("manager", {"draft_warning", "propose_block", "block_immediately"}, set()),
            ("md", set(), {"draft_warning", "propose_block", "block_immediately", "close_cases"}),
        ],
    )
    def test_case_actions(self, client, request, role_fixture, expected, absent):
        client.force_login(staff(request.getfixturevalue(role_fixture)))
        actions = offered_actions(client, CASES)
        assert expected <= actions
        assert not (absent & actions)

    def test_nobody_is_offered_appeal_decisions_in_the_admin(self, client, officer, manager, md):
        """The Managing Director decides on the workspace's appeal page; the admin only reads appeals."""
        factories.UnderReviewAppealFactory()
        for user in (officer, manager, md):
            client.force_login(staff(user))
            assert not ({"uphold", "overturn"} & offered_actions(client, APPEALS))

    def test_nobody_is_offered_acknowledgement_in_the_admin_the_md_acknowledges_in_the_workspace(
        self, client, officer, manager, md
    ):
        """Was "only the Managing Director is offered acknowledgement" (an admin action): the action is
        gone, and the same rule holds on the block's workspace page. More there:
        tests/escalation/test_views.py::TestBlocks::test_detail_shows_facts_and_md_acknowledges,
        tests/escalation/test_views.py::TestPermissions::test_only_the_managing_director_acknowledges and
        tests/escalation/test_in_place_results.py::test_an_acknowledgement_in_place_is_announced_and_takes_focus."""
        block = factories.ActiveBlockFactory()
        for user in (officer, manager, md):
            client.force_login(staff(user))
            assert "acknowledge" not in offered_actions(client, BLOCKS)
        for user in (officer, manager):
            client.force_login(user)
            assert client.post(reverse("escalation:block_acknowledge", args=[block.pk])).status_code == 403
        client.force_login(md)
        assert client.post(reverse("escalation:block_acknowledge", args=[block.pk])).status_code == 302
        block.refresh_from_db()
        assert block.md_acknowledged_by == md

    def test_timeline_is_read_only_in_the_admin(self, client, manager):
        case = factories.OpenCaseFactory()
        with_event = factories.OfficerFactory()
        from moderation.services import case_assign

        case_assign(actor=with_event, case=case, assignee=with_event)
        event = CaseEvent.objects.get()
        client.force_login(staff(manager))
        page = client.get(reverse("admin:moderation_caseevent_change", args=[event.pk]))
        assert page.status_code == 200
        assert b'name="note"' not in page.content
        assert client.post(reverse("admin:moderation_caseevent_delete", args=[event.pk])).status_code == 403
        assert CaseEvent.objects.count() == 1


class TestRecordingInTheAdmin:
    def test_officer_records_a_case_through_the_service(self, client, officer, channel, service_area):
        client.force_login(staff(officer))
        abusive = factories.rule("abusive")
        response = client.post(
            reverse("admin:moderation_case_add"),
            {
                "channel": channel.pk,
                "platform": "facebook",
                "handle": " @Bin_Rage ",
                "display_name": "Gary",
                "post_kind": "comment",
                "post_text": "You useless lot",
                "post_url": "",
                "post_external_id": "fb-1",
                "posted_at": "2026-11-20 14:30",
                "rules": [abusive.pk],
                "reason": "Abusive",
                "service_area": service_area.pk,
                "priority": 2,
            },
            follow=True,
        )
        assert response.status_code == 200
        case = Case.objects.get()
        assert case.account.handle == "bin_rage"
        assert list(case.rules.all()) == [abusive]
        assert case.posts.get().external_id == "fb-1"
        assert CaseEvent.objects.filter(case=case, kind=EventKind.CASE_RECORDED, actor=officer).count() == 1

    def test_missing_rules_are_refused_with_a_field_error(self, client, officer, channel):
        client.force_login(staff(officer))
        response = client.post(
            reverse("admin:moderation_case_add"),
            {
                "channel": channel.pk,
                "platform": "facebook",
                "handle": "x",
                "post_kind": "comment",
                "post_text": "hello",
                "posted_at": "2026-11-20 14:30",
                "reason": "r",
                "priority": 2,
            },
        )
        assert response.status_code == 200
        assert "rules" in response.context["adminform"].form.errors
        assert not Case.objects.exists()

    def test_managing_director_cannot_record(self, client, md):
        client.force_login(staff(md))
        assert client.get(reverse("admin:moderation_case_add")).status_code == 403


class TestActionsCallServices:
    def test_hide_reports_each_row(self, client, officer):
        case = factories.OpenCaseFactory()
        deleted = factories.PostFactory(
            case=case, channel=case.channel, account=case.account, visibility=Visibility.DELETED
        )
        visible = case.posts.exclude(pk=deleted.pk).get()
        client.force_login(staff(officer))
        response = act(client, POSTS, "hide", [visible.pk, deleted.pk])
        text = " ".join(messages_of(response))
        assert "hidden." in text
        assert "not done" in text
        assert "deleted" in text
        assert Post.objects.get(pk=visible.pk).visibility == Visibility.HIDDEN
        assert Post.objects.get(pk=deleted.pk).visibility == Visibility.DELETED

    def test_a_refusal_needs_a_reason_in_the_workspace_not_the_admin(self, client, manager):
        """Was "a refusal needs a reason on the admin's intermediate page" (which relied on the browser's
        ``required`` pop-up): the admin offers no refusal; the workspace's sign-off page shows the
        error on the page (also tests/escalation/test_views.py::TestSignoffDecision::
        test_refusal_without_reason_shows_the_error_and_keeps_the_choice)."""
        warning = factories.AwaitingSignoffWarningFactory()
        client.force_login(staff(manager))
        assert not ({"approve", "refuse"} & offered_actions(client, WARNINGS))
        page = client.get(reverse("admin:escalation_warning_change", args=[warning.pk])).content.decode()
        decide = reverse("escalation:signoff_detail", args=[warning.signoffs.get().pk])
        assert f'href="{decide}">Decide in the workspace</a>' in page
        empty = client.post(decide, {"decision": "refuse", "reason": ""})
        assert empty.status_code == 200
        assert "govuk-error-summary" in empty.content.decode()
        warning.refresh_from_db()
        assert warning.status == WarningStatus.AWAITING_SIGNOFF
        done = client.post(decide, {"decision": "refuse", "reason": "Tone it down"}, follow=True)
        assert any("returned to the officer" in m for m in messages_of(done))
        warning.refresh_from_db()
        assert warning.status == WarningStatus.DRAFT

    def test_own_request_is_refused_in_the_workspace_and_not_offered_in_the_admin(self, client, manager):
        """Was "own request is refused with a message" (the admin's approve action): the admin neither
        offers the decision nor links its author to it; the workspace refuses them (also
        tests/escalation/test_views.py::TestPermissions::test_the_requester_cannot_open_their_own_request
        and tests/escalation/test_warnings.py, the requester cannot decide their own request)."""
        warning = factories.AwaitingSignoffWarningFactory(drafted_by=manager)
        signoff = SignOff.objects.get()
        client.force_login(staff(manager))
        assert not ({"approve", "refuse"} & offered_actions(client, WARNINGS))
        page = client.get(reverse("admin:escalation_warning_change", args=[warning.pk])).content.decode()
        assert "Decide in the workspace" not in page
        assert f'href="{reverse("escalation:warning_detail", args=[warning.pk])}">Open warning' in page
        decide = reverse("escalation:signoff_detail", args=[signoff.pk])
        assert client.post(decide, {"decision": "approve"}).status_code == 403
        with pytest.raises(PermissionDenied, match="someone else must make it"):
            services.signoff_decide(actor=manager, signoff=signoff, approve=True)
        assert SignOff.objects.get().status == SignOffStatus.PENDING

    def test_appeal_review_page_shows_block_history_and_timeline(self, client, md):
        appeal = factories.UnderReviewAppealFactory(grounds="I am sorry")
        client.force_login(staff(md))
        page = client.get(reverse("admin:escalation_appeal_change", args=[appeal.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert "The account&#x27;s whole history" in body or "The account's whole history" in body
        assert f"Block {appeal.block.pk}" in body
        assert "Timeline of the case" in body
        assert "I am sorry" in body
        # both tables name themselves and every column, and scroll inside their own container
        assert "<caption>The account&#x27;s whole history, newest first</caption>" in body
        assert f"<caption>Timeline of case {appeal.block.case_id}, oldest first</caption>" in body
        assert "<th></th>" not in body
        assert '<th scope="col"></th>' not in body
        assert body.count('class="mc-table-scroll"') == 2

    def test_the_appeal_page_sends_the_managing_director_to_the_workspace_to_decide(self, client, md, officer):
        appeal = factories.UnderReviewAppealFactory()
        workspace = reverse("escalation:appeal_detail", args=[appeal.pk])
        client.force_login(staff(md))
        body = client.get(reverse("admin:escalation_appeal_change", args=[appeal.pk])).content.decode()
        assert f'href="{workspace}">Decide appeal {appeal.pk} in the workspace</a>' in body
        assert 'value="uphold"' not in body
        assert 'value="overturn"' not in body
        client.force_login(staff(officer))
        body = client.get(reverse("admin:escalation_appeal_change", args=[appeal.pk])).content.decode()
        assert f'href="{workspace}">Open appeal {appeal.pk} in the workspace</a>' in body
        assert "Decide appeal" not in body

    @pytest.mark.parametrize("action", ["uphold", "overturn"])
    def test_a_stale_admin_decision_changes_nothing_and_goes_to_the_workspace(self, client, md, action):
        """A form from before the move (an open tab, a bookmark) decides nothing: the workspace does."""
        appeal = factories.UnderReviewAppealFactory()
        events = CaseEvent.objects.count()
        client.force_login(staff(md))
        response = client.post(
            APPEALS, {"action": action, ACTION_CHECKBOX_NAME: [str(appeal.pk)], "apply": "yes", "reason": "Old tab"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("escalation:appeal_detail", args=[appeal.pk])
        appeal.refresh_from_db()
        assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (AppealStatus.UNDER_REVIEW, None, "")
        assert CaseEvent.objects.count() == events
        page = client.get(response["Location"])
        assert "Appeals are decided on their page in the workspace" in page.content.decode()

    def test_on_demand_appeal_window_check(self, client, officer, django_capture_on_commit_callbacks):
        block = factories.AppealEligibleBlockFactory()
        client.force_login(staff(officer))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:escalation_block_check_appeal_windows"), follow=True)
        assert any("sent to the worker" in m for m in messages_of(response))
        block.refresh_from_db()
        assert block.appeal_window_flagged_at is not None

    def test_on_demand_check_with_the_queue_unreachable_says_so(self, client, officer, monkeypatch):
        from escalation import tasks

        def unreachable(*args, **kwargs):
            raise ConnectionRefusedError("no broker")

        monkeypatch.setattr(tasks.flag_open_appeal_windows, "apply_async", unreachable)
        client.force_login(staff(officer))
        response = client.post(reverse("admin:escalation_block_check_appeal_windows"), follow=True)
        assert response.status_code == 200
        assert any("cannot be reached" in m for m in messages_of(response))


def follow_decide_link(client, admin_page: str) -> str:
    """The "Decide in the workspace" link on an admin page; it opens for the signed-in user."""
    body = client.get(admin_page).content.decode()
    found = re.search(r'<a class="mc-link" href="([^"]+)">Decide in the workspace</a>', body)
    assert found, admin_page
    assert client.get(found.group(1)).status_code == 200
    return found.group(1)


def test_walk_one_case_from_record_to_a_decided_appeal(
    client, officer, manager, md, channel, django_capture_on_commit_callbacks, mailoutbox
):
    """The issue's 'done when': record → hide → warn → sign off → block → acknowledge → appeal → overturn.
    The team drafts and records in the admin; every decision (the sign-offs, the acknowledgement, the
    appeal) is made in the workspace, reached from the admin's "Decide in the workspace" link."""
    for user in (officer, manager, md):
        staff(user)
    abusive = factories.rule("abusive")

    def record(external_id: str, text: str) -> Case:
        client.force_login(officer)
        client.post(
            reverse("admin:moderation_case_add"),
            {
                "channel": channel.pk,
                "platform": "facebook",
                "handle": "@Angry_Of_Hitchin",
                "post_kind": "comment",
                "post_text": text,
                "post_external_id": external_id,
                "posted_at": "2026-11-20 14:30",
                "rules": [abusive.pk],
                "reason": "Abusive",
                "priority": 2,
            },
        )
        return Case.objects.get(posts__external_id=external_id)

    first = record("p1", "You are all useless")
    act(client, POSTS, "hide", [first.posts.get().pk])
    act(client, CASES, "draft_warning", [first.pk])
    warning = Warning.objects.get(case=first)
    act(client, WARNINGS, "submit_for_signoff", [warning.pk])
    client.force_login(manager)
    decide_warning = follow_decide_link(client, reverse("admin:escalation_warning_change", args=[warning.pk]))
    client.post(decide_warning, {"decision": "approve"})
    client.force_login(officer)
    act(client, WARNINGS, "mark_sent", [warning.pk])
    warning.refresh_from_db()
    assert warning.status == WarningStatus.SENT

    second = record("p2", "Still useless, hang the lot of you")
    act(client, CASES, "propose_block", [second.pk], scope="all", reason="Second offence after a warning")
    block = Block.objects.get(case=second)
    client.force_login(manager)
    decide_block = follow_decide_link(
        client, reverse("admin:escalation_signoff_change", args=[block.signoffs.get().pk])
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_block, {"decision": "approve"})
    block.refresh_from_db()
    assert block.status == BlockStatus.ACTIVE
    assert [m.to for m in mailoutbox] == [[md.email]]
    client.force_login(md)
    block_page = follow_decide_link(client, reverse("admin:escalation_block_change", args=[block.pk]))
    assert block_page == reverse("escalation:block_detail", args=[block.pk])
    client.post(reverse("escalation:block_acknowledge", args=[block.pk]))

    client.force_login(officer)
    response = act(client, BLOCKS, "record_appeal", [block.pk], received_at="", received_via="DM", grounds="Sorry")
    assert any("premature" in m for m in messages_of(response))

    with clock.travel_to(block.appeal_opens_at + timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("admin:escalation_block_check_appeal_windows"))
        act(client, BLOCKS, "record_appeal", [block.pk], received_at="", received_via="DM", grounds="Sorry")
        appeal = Appeal.objects.get(status=AppealStatus.UNDER_REVIEW)
        client.force_login(md)
        # the Managing Director decides on the appeal's workspace page (the admin only reads appeals)
        response = client.post(
            reverse("escalation:appeal_detail", args=[appeal.pk]),
            {"decision": "overturn", "reason": "A year of good behaviour"},
        )
        assert response.status_code == 302

    block.refresh_from_db()
    assert block.status == BlockStatus.LIFTED
    kinds = list(CaseEvent.objects.filter(case=second).values_list("kind", flat=True))
    assert kinds == [
        EventKind.CASE_RECORDED,
        EventKind.BLOCK_PROPOSED,
        EventKind.BLOCK_APPROVED,
        EventKind.MD_NOTIFIED,
        EventKind.MD_ACKNOWLEDGED,
        EventKind.APPEAL_PREMATURE,
        EventKind.APPEAL_WINDOW_OPENED,
        EventKind.APPEAL_RECEIVED,
        EventKind.APPEAL_OVERTURNED,
    ]
    assert Case.objects.get(pk=first.pk).status == CaseStatus.OPEN


class TestEvidenceAndInbox:
    def test_officer_attaches_a_screenshot(self, client, officer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        case = factories.OpenCaseFactory()
        client.force_login(staff(officer))
        png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
        response = client.post(
            CASES,
            {
                "action": "attach_evidence",
                ACTION_CHECKBOX_NAME: [case.pk],
                "apply": "yes",
                "file": png,
                "description": "Screenshot before hiding",
            },
            follow=True,
        )
        assert any("evidence attached" in m for m in messages_of(response))
        evidence = case.evidence.get()
        assert evidence.description == "Screenshot before hiding"
        assert CaseEvent.objects.filter(case=case, kind=EventKind.EVIDENCE_ADDED).count() == 1

    @pytest.mark.parametrize("role", ["officer", "manager", "superuser"])
    def test_evidence_links_go_through_the_case_reader_check_never_to_media(self, client, request, role):
        """The storage's URL (``/media/…``) is served by nothing (no route, no WhiteNoise root): the admin
        links each file to the workspace's ``evidence_file``, which checks the reader first."""
        from django.conf import settings
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.urls import Resolver404, resolve

        from moderation import services as moderation_services

        officer = request.getfixturevalue("officer")
        case = factories.OpenCaseFactory(recorded_by=officer)
        png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
        evidence = moderation_services.evidence_add(actor=officer, case=case, file=png, description="Screenshot")
        assert evidence.file.url.startswith(settings.MEDIA_URL)  # what a plain FileField link would be
        if role == "superuser":
            user = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        else:
            user = staff(request.getfixturevalue(role))
        client.force_login(user)
        link = reverse("moderation:evidence_file", args=[case.pk, evidence.pk])
        for page in (
            reverse("admin:moderation_evidence_changelist"),
            reverse("admin:moderation_evidence_change", args=[evidence.pk]),
            reverse("admin:moderation_case_change", args=[case.pk]),
        ):
            response = client.get(page)
            assert response.status_code == 200, page
            html = response.content.decode()
            assert f'href="{link}"' in html, page
            assert settings.MEDIA_URL not in html, page
        with pytest.raises(Resolver404):
            resolve(evidence.file.url)
        assert client.get(evidence.file.url).status_code == 404

    def test_evidence_of_the_wrong_type_is_refused(self, client, officer):
        from django.core.files.uploadedfile import SimpleUploadedFile

        case = factories.OpenCaseFactory()
        client.force_login(staff(officer))
        exe = SimpleUploadedFile("virus.exe", b"MZ" * 10, content_type="application/x-msdownload")
        response = client.post(
            CASES,
            {"action": "attach_evidence", ACTION_CHECKBOX_NAME: [case.pk], "apply": "yes", "file": exe},
            follow=True,
        )
        assert any("image" in m and "PDF" in m for m in messages_of(response))
        assert not case.evidence.exists()

    def test_waiting_for_me_lists_only_what_i_may_decide(self, client, md):
        mine = factories.UnderReviewAppealFactory()
        factories.AwaitingSignoffWarningFactory()  # the manager's
        factories.ProposedBlockFactory()  # the manager's
        client.force_login(staff(md))
        response = client.get(SIGNOFFS + "?for=me")
        assert [s.pk for s in response.context["cl"].result_list] == [mine.signoffs.get().pk]

    def test_a_service_director_decides_in_the_workspace_not_the_admin(self, client, director, service_area):
        factories.AwaitingSignoffWarningFactory(case__service_area=service_area)
        client.force_login(staff(director))
        response = client.get(SIGNOFFS + "?for=me")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        assert client.get(reverse("escalation:decision_list")).status_code == 200


# --- Decisions are made in the workspace only (issue 16, ADR 8) ----------------------------------

# The decisions the admin once offered as actions, and any like them: none is offered to anyone.
DECISION_ACTIONS = {"approve", "refuse", "acknowledge", "uphold", "overturn"}
DECISION_WORDS = re.compile(r"\b(approve|refuse|acknowledg|uphold|overturn|decide|sign off)", re.IGNORECASE)


@pytest.mark.parametrize("role", ["officer", "manager", "director", "md", "superuser"])
def test_no_role_is_offered_a_decision_action_in_any_admin_changelist(request, role):
    """Every registered ModelAdmin's actions, as each role (with staff status), by name and wording."""
    if role == "superuser":
        user = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
    else:
        user = staff(request.getfixturevalue(role))
    http = RequestFactory().get("/admin/")
    http.user = user
    offered = {}
    for model, model_admin in admin.site._registry.items():
        for name, (_func, _name, description) in model_admin.get_actions(http).items():
            offered[f"{model._meta.label}.{name}"] = str(description)
    assert offered or role == "director"  # the walk reached the actions (a director has none to draft)
    decisions = {
        key: text
        for key, text in offered.items()
        if key.rsplit(".", 1)[1] in DECISION_ACTIONS or DECISION_WORDS.search(text)
    }
    assert decisions == {}


def test_the_admin_still_offers_drafting_and_recording(client, officer, manager, md):
    """What stays in the admin: the team's drafting and recording, unchanged."""
    client.force_login(staff(officer))
    assert {"submit_for_signoff", "mark_sent", "withdraw"} <= offered_actions(client, WARNINGS)
    assert {"record_appeal", "undone_on_platform"} <= offered_actions(client, BLOCKS)
    client.force_login(staff(manager))
    assert "report_police" in offered_actions(client, BLOCKS)
    assert offered_actions(client, SIGNOFFS) == set()  # sign-offs are listed to read
    client.force_login(staff(md))
    assert offered_actions(client, BLOCKS) == set()


def decide_link(client, admin_url: str) -> str | None:
    page = client.get(admin_url)
    assert page.status_code == 200
    found = re.search(r'<a class="mc-link" href="([^"]+)">Decide in the workspace</a>', page.content.decode())
    return found.group(1) if found else None


class TestDecideInTheWorkspaceLinks:
    def test_a_warning_awaiting_sign_off_links_its_deciders_to_the_sign_off_page(self, client, officer, manager):
        warning = factories.AwaitingSignoffWarningFactory(drafted_by=officer)
        signoff = warning.signoffs.get()
        decide = reverse("escalation:signoff_detail", args=[signoff.pk])
        client.force_login(staff(manager))
        for admin_url in (
            reverse("admin:escalation_warning_change", args=[warning.pk]),
            reverse("admin:escalation_signoff_change", args=[signoff.pk]),
        ):
            assert decide_link(client, admin_url) == decide
        page = client.get(decide)
        assert page.status_code == 200
        assert 'value="approve"' in page.content.decode()
        # the drafter is not a decider: the admin points them to the warning's page instead
        client.force_login(staff(officer))
        assert decide_link(client, reverse("admin:escalation_warning_change", args=[warning.pk])) is None
        body = client.get(reverse("admin:escalation_warning_change", args=[warning.pk])).content.decode()
        warning_page = reverse("escalation:warning_detail", args=[warning.pk])
        assert f'<a class="mc-link" href="{warning_page}">Open warning {warning.pk} in the workspace</a>' in body
        assert client.get(warning_page).status_code == 200

    def test_a_proposed_block_links_the_manager_to_its_sign_off_page(self, client, manager, officer):
        block = factories.ProposedBlockFactory()
        signoff = block.signoffs.get()
        decide = reverse("escalation:signoff_detail", args=[signoff.pk])
        client.force_login(staff(manager))
        for admin_url in (
            reverse("admin:escalation_block_change", args=[block.pk]),
            reverse("admin:escalation_signoff_change", args=[signoff.pk]),
        ):
            assert decide_link(client, admin_url) == decide
        assert client.get(decide).status_code == 200

    def test_an_unacknowledged_block_links_the_managing_director_to_the_block_page(self, client, md, officer):
        block = factories.ActiveBlockFactory()
        admin_url = reverse("admin:escalation_block_change", args=[block.pk])
        client.force_login(staff(md))
        decide = decide_link(client, admin_url)
        assert decide == reverse("escalation:block_detail", args=[block.pk])
        assert "Acknowledge the block" in client.get(decide).content.decode()
        client.force_login(staff(officer))
        assert decide_link(client, admin_url) is None
        client.force_login(md)
        client.post(reverse("escalation:block_acknowledge", args=[block.pk]))
        client.force_login(staff(md))
        body = client.get(admin_url).content.decode()
        assert "mc-decision" not in body  # nothing waits any more

    def test_a_decided_sign_off_has_no_link(self, client, manager):
        signoff = factories.AwaitingSignoffWarningFactory().signoffs.get()
        services.signoff_decide(actor=manager, signoff=signoff, approve=True)
        client.force_login(staff(manager))
        body = client.get(reverse("admin:escalation_signoff_change", args=[signoff.pk])).content.decode()
        assert "Decide in the workspace" not in body


class TestAStaleAdminDecision:
    """A form from before the move (an open tab, a bookmark) decides nothing: the workspace does."""

    @pytest.mark.parametrize("action", ["approve", "refuse"])
    def test_on_warnings(self, client, manager, action):
        warning = factories.AwaitingSignoffWarningFactory()
        signoff = warning.signoffs.get()
        events = CaseEvent.objects.count()
        client.force_login(staff(manager))
        response = client.post(
            WARNINGS, {"action": action, ACTION_CHECKBOX_NAME: [str(warning.pk)], "apply": "yes", "reason": "Old tab"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("escalation:signoff_detail", args=[signoff.pk])
        warning.refresh_from_db()
        signoff.refresh_from_db()
        assert (warning.status, signoff.status) == (WarningStatus.AWAITING_SIGNOFF, SignOffStatus.PENDING)
        assert CaseEvent.objects.count() == events
        page = client.get(response["Location"])
        assert "Warnings are signed off on the sign-off&#x27;s page in the workspace" in page.content.decode()

    @pytest.mark.parametrize("action", ["approve", "refuse"])
    def test_on_sign_offs(self, client, manager, action):
        block = factories.ProposedBlockFactory()
        signoff = block.signoffs.get()
        events = CaseEvent.objects.count()
        client.force_login(staff(manager))
        response = client.post(
            SIGNOFFS, {"action": action, ACTION_CHECKBOX_NAME: [str(signoff.pk)], "apply": "yes", "reason": "Old"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("escalation:signoff_detail", args=[signoff.pk])
        signoff.refresh_from_db()
        block.refresh_from_db()
        assert (signoff.status, block.status) == (SignOffStatus.PENDING, BlockStatus.AWAITING_SIGNOFF)
        assert CaseEvent.objects.count() == events
        page = client.get(response["Location"])
        assert "Sign-offs are decided on their page in the workspace" in page.content.decode()

    def test_acknowledge_on_blocks(self, client, md):
        block = factories.ActiveBlockFactory()
        events = CaseEvent.objects.count()
        client.force_login(staff(md))
        response = client.post(BLOCKS, {"action": "acknowledge", ACTION_CHECKBOX_NAME: [str(block.pk)], "index": "0"})
        assert response.status_code == 302
        assert response["Location"] == reverse("escalation:block_detail", args=[block.pk])
        block.refresh_from_db()
        assert (block.md_acknowledged_at, block.md_acknowledged_by) == (None, None)
        assert CaseEvent.objects.count() == events
        page = client.get(response["Location"])
        assert "Blocks are acknowledged on their page in the workspace" in page.content.decode()

    def test_by_someone_who_may_not_decide_it_goes_back_to_the_list_with_the_message(self, client, officer):
        block = factories.ActiveBlockFactory()
        client.force_login(staff(officer))
        response = client.post(
            BLOCKS, {"action": "acknowledge", ACTION_CHECKBOX_NAME: [str(block.pk)], "index": "0"}, follow=True
        )
        assert response.status_code == 200
        assert response.redirect_chain == [(BLOCKS, 302)]
        assert any("Blocks are acknowledged on their page in the workspace" in m for m in messages_of(response))
        block.refresh_from_db()
        assert block.md_acknowledged_at is None
