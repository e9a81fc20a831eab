"""The admin as each role uses it: what is offered, what the actions do, what they refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

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

    def test_only_the_managing_director_is_offered_acknowledgement(self, client, officer, manager, md):
        for user, allowed in [(officer, False), (manager, False), (md, True)]:
            client.force_login(staff(user))
            assert ("acknowledge" in offered_actions(client, BLOCKS)) is allowed

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

    def test_refusal_needs_a_reason_on_the_intermediate_page(self, client, manager):
        warning = factories.AwaitingSignoffWarningFactory()
        client.force_login(staff(manager))
        page = client.post(WARNINGS, {"action": "refuse", ACTION_CHECKBOX_NAME: [warning.pk]})
        assert page.status_code == 200
        assert b"Refuse sign-off" in page.content
        empty = act(client, WARNINGS, "refuse", [warning.pk], reason="")
        assert empty.status_code == 200
        warning.refresh_from_db()
        assert warning.status == WarningStatus.AWAITING_SIGNOFF
        done = act(client, WARNINGS, "refuse", [warning.pk], reason="Tone it down")
        assert any("returned to the drafter" in m for m in messages_of(done))
        warning.refresh_from_db()
        assert warning.status == WarningStatus.DRAFT

    def test_own_request_is_refused_with_a_message(self, client, manager):
        warning = factories.AwaitingSignoffWarningFactory(drafted_by=manager)
        client.force_login(staff(manager))
        response = act(client, WARNINGS, "approve", [warning.pk])
        assert any("someone else must make it" in m for m in messages_of(response))
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


def test_walk_one_case_from_record_to_a_decided_appeal(
    client, officer, manager, md, channel, django_capture_on_commit_callbacks, mailoutbox
):
    """The issue's 'done when': record → hide → warn → sign off → block → acknowledge → appeal → overturn
    (all in the admin but the appeal decision, which the Managing Director makes in the workspace)."""
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
    act(client, WARNINGS, "approve", [warning.pk])
    client.force_login(officer)
    act(client, WARNINGS, "mark_sent", [warning.pk])
    warning.refresh_from_db()
    assert warning.status == WarningStatus.SENT

    second = record("p2", "Still useless, hang the lot of you")
    act(client, CASES, "propose_block", [second.pk], scope="all", reason="Second offence after a warning")
    block = Block.objects.get(case=second)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, SIGNOFFS, "approve", [block.signoffs.get().pk])
    block.refresh_from_db()
    assert block.status == BlockStatus.ACTIVE
    assert [m.to for m in mailoutbox] == [[md.email]]
    client.force_login(md)
    act(client, BLOCKS, "acknowledge", [block.pk])

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
