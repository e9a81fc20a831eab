"""moderation.services: recording cases, moderating posts, assigning, closing, reopening, evidence.

Every refused call is checked to have stored nothing (row counts, ``refresh_from_db``) and every
state change to have written exactly one timeline event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from escalation import routing
from escalation.constants import SignOffStatus
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Platform, PostKind, Priority, Visibility
from moderation.models import Case, CaseEvent, Evidence, Post, SocialAccount
from moderation.services import (
    MAX_EVIDENCE_BYTES,
    PostData,
    case_assign,
    case_close,
    case_record,
    case_reopen,
    evidence_add,
    post_set_visibility,
)
from tests import factories
from tests.factories import rule

LONDON = ZoneInfo("Europe/London")
# Roles outside the communications team: they decide, they do not do casework.
NOT_CASEWORKERS = [routing.SERVICE_DIRECTOR, routing.MANAGING_DIRECTOR]
CASEWORKERS = [routing.OFFICER, routing.MANAGER]


def ldn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


def stored() -> dict[str, int]:
    """Row counts a refused call must leave as they were."""
    return {
        "cases": Case.objects.count(),
        "accounts": SocialAccount.objects.count(),
        "posts": Post.objects.count(),
        "events": CaseEvent.objects.count(),
        "evidence": Evidence.objects.count(),
    }


def a_post(channel, **overrides) -> PostData:
    values = {
        "channel": channel,
        "posted_at": clock.now() - timedelta(hours=2),
        "text": "You lot are useless idiots.",
        "external_id": "fb-1001",
    }
    values.update(overrides)
    return PostData(**values)


def record(actor, channel, **overrides):
    values = {
        "actor": actor,
        "platform": channel.platform,
        "handle": " @Some_User ",
        "display_name": "Sam Smith",
        "posts": [a_post(channel)],
        "rules": [rule("abusive")],
        "reason": "Abusive reply to a resident.",
    }
    values.update(overrides)
    return case_record(**values)


def events_of(case, kind=None):
    events = CaseEvent.objects.filter(case=case)
    return list(events.filter(kind=kind) if kind else events)


def closed_case(**overrides) -> Case:
    values = {"status": CaseStatus.CLOSED, "outcome": CaseOutcome.WARNED, "closed_at": clock.now()}
    values.update(overrides)
    return factories.OpenCaseFactory(**values)


MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBP",
    "application/pdf": b"%PDF-1.7\n",
}


def upload(name: str = "screenshot.png", size: int = 1024, content_type: str = "image/png") -> SimpleUploadedFile:
    """A file whose first bytes are those of ``content_type`` (other types: plain text)."""
    head = MAGIC.get(content_type, b"<html>")
    return SimpleUploadedFile(name, head + b"\x00" * (size - len(head)), content_type=content_type)


# --- case_record -----------------------------------------------------------------------------


class TestCaseRecord:
    @pytest.mark.parametrize("role", CASEWORKERS)
    def test_opens_a_case_for_the_account_with_a_normalised_handle(self, channel, role):
        actor = factories.UserFactory(role=role)

        result = record(actor, channel, handle=" @Some_User ", priority=Priority.HIGH)

        assert result.created is True
        case = Case.objects.get()
        assert result.case == case
        assert (case.account.platform, case.account.handle, case.account.display_name) == (
            Platform.FACEBOOK,
            "some_user",
            "Sam Smith",
        )
        assert case.status == CaseStatus.OPEN
        assert case.channel == channel
        assert case.recorded_by == actor
        assert case.priority == Priority.HIGH
        assert case.reason == "Abusive reply to a resident."
        assert [r.code for r in case.rules.all()] == ["abusive"]

    def test_the_same_handle_written_differently_is_the_same_account(self, officer, channel):
        first = record(officer, channel, handle=" @Some_User ", posts=[a_post(channel, external_id="fb-1")])
        second = record(officer, channel, handle="some_user", posts=[a_post(channel, external_id="fb-2")])

        assert SocialAccount.objects.count() == 1
        assert first.case.account == second.case.account
        assert first.case != second.case

    def test_the_same_handle_on_another_platform_is_another_account(self, officer, channel):
        x_channel = factories.ChannelFactory(platform=Platform.X, name="NHDC on X", handle="nhdc")

        on_facebook = record(officer, channel, handle="@some_user")
        on_x = record(officer, x_channel, platform=Platform.X, handle="@some_user")

        assert SocialAccount.objects.count() == 2
        assert on_facebook.case.account.platform == Platform.FACEBOOK
        assert on_x.case.account.platform == Platform.X

    def test_stores_every_post_on_the_case(self, officer, channel):
        posted = clock.now() - timedelta(days=1)
        posts = [
            a_post(channel, external_id="fb-1", text="First insult", posted_at=posted),
            a_post(
                channel,
                external_id="",
                url="https://facebook.example/nhdc/posts/2",
                text="A reply",
                kind=PostKind.REPLY,
                posted_at=posted + timedelta(minutes=5),
            ),
        ]

        result = record(officer, channel, posts=posts)

        stored_posts = list(result.case.posts.order_by("posted_at"))
        assert [(p.external_id, p.url, p.text, p.kind, p.posted_at) for p in stored_posts] == [
            ("fb-1", "", "First insult", PostKind.COMMENT, posted),
            ("", "https://facebook.example/nhdc/posts/2", "A reply", PostKind.REPLY, posted + timedelta(minutes=5)),
        ]
        assert {p.account for p in stored_posts} == {result.case.account}
        assert {p.visibility for p in stored_posts} == {Visibility.VISIBLE}

    @pytest.mark.parametrize(
        ("recorded_at", "due_at"),
        [
            pytest.param(ldn(2026, 1, 16, 16), ldn(2026, 1, 19, 16), id="friday-afternoon-to-monday"),
            pytest.param(ldn(2026, 1, 14, 19), ldn(2026, 1, 15, 17), id="after-hours-to-next-closing"),
            pytest.param(ldn(2026, 12, 24, 16), ldn(2026, 12, 29, 16), id="over-christmas-bank-holidays"),
        ],
    )
    def test_response_is_due_one_working_day_later_in_office_time(self, officer, channel, recorded_at, due_at):
        with clock.travel_to(recorded_at):
            result = record(officer, channel)

        result.case.refresh_from_db()
        assert result.case.recorded_at == recorded_at
        assert result.case.response_due_at == due_at

    def test_writes_one_case_recorded_event_with_the_actor(self, officer, channel):
        moment = datetime(2026, 1, 14, 10, 30, tzinfo=UTC)
        with clock.travel_to(moment):
            result = record(officer, channel, reason="Threatened a member of staff.")

        [event] = events_of(result.case)
        assert event.kind == EventKind.CASE_RECORDED
        assert event.actor == officer
        assert event.actor_label == officer.get_full_name()
        assert event.at == moment
        assert (event.subject_type, event.subject_id) == ("case", result.case.pk)
        assert event.note == "Threatened a member of staff."
        assert event.after["rules"] == ["abusive"]
        assert event.after["posts"] == [result.case.posts.get().pk]

    @pytest.mark.parametrize(
        "same_post",
        [
            pytest.param({"external_id": "fb-1001", "url": ""}, id="same-channel-and-external-id"),
            pytest.param({"external_id": "", "url": "https://facebook.example/p/1"}, id="same-url-without-id"),
        ],
    )
    def test_recording_the_same_post_again_returns_the_existing_case(self, officer, other_officer, channel, same_post):
        first = record(officer, channel, posts=[a_post(channel, **same_post)])
        before = stored()

        again = record(
            other_officer,
            channel,
            posts=[a_post(channel, text="Copied again from the page", **same_post)],
            rules=[rule("spam")],
            reason="Seen it again.",
        )

        assert again.created is False
        assert again.case == first.case
        assert [p.pk for p in again.existing_posts] == [first.case.posts.get().pk]
        assert stored() == before
        first.case.refresh_from_db()
        assert first.case.reason == "Abusive reply to a resident."
        assert [r.code for r in first.case.rules.all()] == ["abusive"]

    def test_the_same_external_id_on_another_channel_is_another_post(self, officer, channel):
        other_channel = factories.ChannelFactory(name="NHDC Waste", handle="nhdcwaste")
        first = record(officer, channel, posts=[a_post(channel, external_id="fb-7")])

        second = record(officer, other_channel, posts=[a_post(other_channel, external_id="fb-7")])

        assert second.created is True
        assert second.case != first.case
        assert Post.objects.count() == 2

    def test_a_new_post_recorded_with_a_known_one_is_added_to_its_case(self, officer, channel):
        first = record(officer, channel, posts=[a_post(channel, external_id="fb-1")])
        cases_before = Case.objects.count()

        again = record(
            officer,
            channel,
            posts=[a_post(channel, external_id="fb-1"), a_post(channel, external_id="fb-2", text="And another")],
        )

        assert again.created is False
        assert again.case == first.case
        assert Case.objects.count() == cases_before
        added = Post.objects.get(external_id="fb-2")
        assert added.case == first.case
        assert added.text == "And another"
        [event] = events_of(first.case, EventKind.POSTS_ADDED)
        assert event.actor == officer
        assert event.after == {"posts": [added.pk]}
        assert len(events_of(first.case)) == 2  # recorded + posts added

    def test_an_ingested_post_in_no_case_joins_the_new_case(self, officer, channel):
        account = factories.SocialAccountFactory(handle="some_user")
        ingested = factories.PostFactory(channel=channel, account=account, external_id="fb-55", case=None)

        result = record(officer, channel, handle="@Some_User", posts=[a_post(channel, external_id="fb-55")])

        ingested.refresh_from_db()
        assert result.created is True
        assert ingested.case == result.case
        assert Post.objects.count() == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            pytest.param({"rules": []}, "rules", id="no-rules"),
            pytest.param({"reason": ""}, "reason", id="no-reason"),
            pytest.param({"reason": "   \n"}, "reason", id="blank-reason"),
            pytest.param({"reason": "\x00"}, "reason", id="nul-only-reason"),
            pytest.param({"posts": []}, "posts", id="no-posts"),
        ],
    )
    def test_refuses_a_record_missing_what_the_policy_asks_for(self, officer, channel, overrides, field):
        before = stored()

        with pytest.raises(ValidationError) as excinfo:
            record(officer, channel, **overrides)

        assert field in excinfo.value.message_dict
        assert stored() == before

    def test_refuses_a_post_with_no_text_address_or_id(self, officer, channel):
        before = stored()

        with pytest.raises(ValidationError) as excinfo:
            record(officer, channel, posts=[a_post(channel, text="", url="", external_id="")])

        assert "posts" in excinfo.value.message_dict
        assert stored() == before

    def test_refuses_posts_on_a_channel_of_another_platform(self, officer, channel):
        before = stored()

        with pytest.raises(ValidationError) as excinfo:
            record(officer, channel, platform=Platform.INSTAGRAM)

        assert "posts" in excinfo.value.message_dict
        assert stored() == before

    def test_refuses_a_blank_handle(self, officer, channel):
        before = stored()

        with pytest.raises(ValidationError):
            record(officer, channel, handle=" @ ")

        assert stored() == before

    def test_strips_nul_characters(self, officer, channel):
        result = record(
            officer,
            channel,
            handle="@Some\x00_User",
            display_name="Sam\x00 Smith",
            reason="Abusive\x00 reply.",
            posts=[a_post(channel, text="Useless\x00 idiots", external_id="fb-\x009")],
        )

        case = Case.objects.get(pk=result.case.pk)
        post = case.posts.get()
        assert case.account.handle == "some_user"
        assert case.account.display_name == "Sam Smith"
        assert case.reason == "Abusive reply."
        assert post.text == "Useless idiots"
        assert post.external_id == "fb-9"
        assert events_of(case)[0].note == "Abusive reply."

    @pytest.mark.parametrize(
        "written_again",
        [
            pytest.param({"external_id": " fb-1001 "}, id="external-id-with-spaces"),
            pytest.param({"external_id": "fb-\x001001"}, id="external-id-with-nul"),
        ],
    )
    def test_the_same_post_written_slightly_differently_is_still_the_same_post(self, officer, channel, written_again):
        first = record(officer, channel, posts=[a_post(channel, external_id="fb-1001")])
        before = stored()

        again = record(officer, channel, posts=[a_post(channel, **written_again)])

        assert again.created is False
        assert again.case == first.case
        assert stored() == before

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, channel, role):
        actor = factories.UserFactory(role=role)
        before = stored()

        with pytest.raises(PermissionDenied):
            record(actor, channel)

        assert stored() == before

    def test_refused_for_an_inactive_officer(self, channel):
        actor = factories.OfficerFactory(is_active=False)
        before = stored()

        with pytest.raises(PermissionDenied):
            record(actor, channel)

        assert stored() == before


# --- post_set_visibility ---------------------------------------------------------------------


@pytest.fixture
def case(db):
    return factories.OpenCaseFactory()


def post_on(case, visibility=Visibility.VISIBLE) -> Post:
    post = case.posts.get()
    if visibility != Visibility.VISIBLE:
        earlier = factories.OfficerFactory()
        Post.objects.filter(pk=post.pk).update(
            visibility=visibility,
            visibility_changed_by=earlier,
            visibility_changed_at=clock.now() - timedelta(days=1),
        )
        post.refresh_from_db()
    return post


def snapshot(post: Post) -> tuple:
    post.refresh_from_db()
    return (post.visibility, post.visibility_changed_at, post.visibility_changed_by_id)


class TestPostSetVisibility:
    @pytest.mark.parametrize(
        ("start", "target", "event_kind"),
        [
            (Visibility.VISIBLE, Visibility.HIDDEN, EventKind.POST_HIDDEN),
            (Visibility.VISIBLE, Visibility.DELETED, EventKind.POST_DELETED),
            (Visibility.HIDDEN, Visibility.RESTORED, EventKind.POST_RESTORED),
            (Visibility.HIDDEN, Visibility.DELETED, EventKind.POST_DELETED),
            (Visibility.RESTORED, Visibility.HIDDEN, EventKind.POST_HIDDEN),
            (Visibility.RESTORED, Visibility.DELETED, EventKind.POST_DELETED),
        ],
    )
    @pytest.mark.parametrize("role", CASEWORKERS)
    def test_moves_the_post_and_stamps_who_and_when(self, case, role, start, target, event_kind):
        actor = factories.UserFactory(role=role)
        post = post_on(case, start)
        moment = datetime(2026, 2, 3, 11, 0, tzinfo=UTC)

        with clock.travel_to(moment):
            post_set_visibility(actor=actor, post=post, visibility=target, note="Breaks rule 1.")

        assert snapshot(post) == (target, moment, actor.pk)
        [event] = events_of(case, event_kind)
        assert len(events_of(case)) == 1
        assert event.actor == actor
        assert (event.subject_type, event.subject_id) == ("post", post.pk)
        assert (event.before, event.after) == ({"visibility": start}, {"visibility": target})
        assert event.note == "Breaks rule 1."

    @pytest.mark.parametrize(
        ("start", "target"),
        [
            (Visibility.DELETED, Visibility.RESTORED),
            (Visibility.DELETED, Visibility.HIDDEN),
            (Visibility.VISIBLE, Visibility.RESTORED),
        ],
    )
    def test_refuses_an_illegal_move_and_changes_nothing(self, case, officer, start, target):
        post = post_on(case, start)
        before = snapshot(post)

        with pytest.raises(ValidationError) as excinfo:
            post_set_visibility(actor=officer, post=post, visibility=target)

        assert excinfo.value.code == "conflict"
        assert start in excinfo.value.messages[0]
        assert snapshot(post) == before
        assert events_of(case) == []

    @pytest.mark.parametrize("state", [Visibility.HIDDEN, Visibility.DELETED, Visibility.RESTORED])
    def test_the_same_state_again_returns_quietly(self, case, officer, state):
        post = post_on(case, state)
        before = snapshot(post)

        result = post_set_visibility(actor=officer, post=post, visibility=state)

        assert result.visibility == state
        assert snapshot(post) == before
        assert events_of(case) == []

    def test_visible_is_not_a_move(self, case, officer):
        post = post_on(case, Visibility.HIDDEN)
        before = snapshot(post)

        with pytest.raises(ValidationError):
            post_set_visibility(actor=officer, post=post, visibility=Visibility.VISIBLE)

        assert snapshot(post) == before

    def test_a_post_in_no_case_cannot_be_moderated(self, officer, channel):
        post = factories.PostFactory(channel=channel, case=None)
        before = snapshot(post)

        with pytest.raises(ValidationError) as excinfo:
            post_set_visibility(actor=officer, post=post, visibility=Visibility.HIDDEN)

        assert excinfo.value.code == "conflict"
        assert snapshot(post) == before

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, case, role):
        post = post_on(case)
        before = snapshot(post)

        with pytest.raises(PermissionDenied):
            post_set_visibility(actor=factories.UserFactory(role=role), post=post, visibility=Visibility.HIDDEN)

        assert snapshot(post) == before
        assert events_of(case) == []


# --- case_assign -----------------------------------------------------------------------------


class TestCaseAssign:
    @pytest.mark.parametrize("assignee_role", CASEWORKERS)
    def test_assigns_the_case_and_writes_one_event(self, case, officer, assignee_role):
        assignee = factories.UserFactory(role=assignee_role)

        case_assign(actor=officer, case=case, assignee=assignee)

        case.refresh_from_db()
        assert case.assignee == assignee
        [event] = events_of(case)
        assert event.kind == EventKind.CASE_ASSIGNED
        assert event.actor == officer
        assert (event.before, event.after) == ({"assignee": ""}, {"assignee": str(assignee)})

    def test_unassigns(self, officer, other_officer):
        case = factories.OpenCaseFactory(assignee=other_officer)

        case_assign(actor=officer, case=case, assignee=None)

        case.refresh_from_db()
        assert case.assignee is None
        [event] = events_of(case, EventKind.CASE_ASSIGNED)
        assert (event.before, event.after) == ({"assignee": str(other_officer)}, {"assignee": ""})

    def test_assigning_the_same_person_again_returns_quietly(self, officer, other_officer):
        case = factories.OpenCaseFactory(assignee=other_officer)

        case_assign(actor=officer, case=case, assignee=other_officer)

        case.refresh_from_db()
        assert case.assignee == other_officer
        assert events_of(case) == []

    @pytest.mark.parametrize("assignee_role", NOT_CASEWORKERS)
    def test_refuses_an_assignee_outside_the_communications_team(self, officer, other_officer, assignee_role):
        case = factories.OpenCaseFactory(assignee=other_officer)

        with pytest.raises(ValidationError) as excinfo:
            case_assign(actor=officer, case=case, assignee=factories.UserFactory(role=assignee_role))

        assert "assignee" in excinfo.value.message_dict
        case.refresh_from_db()
        assert case.assignee == other_officer
        assert events_of(case) == []

    def test_refuses_an_inactive_assignee(self, case, officer):
        with pytest.raises(ValidationError):
            case_assign(actor=officer, case=case, assignee=factories.OfficerFactory(is_active=False))

        case.refresh_from_db()
        assert case.assignee is None
        assert events_of(case) == []

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, case, officer, role):
        with pytest.raises(PermissionDenied):
            case_assign(actor=factories.UserFactory(role=role), case=case, assignee=officer)

        case.refresh_from_db()
        assert case.assignee is None
        assert events_of(case) == []


# --- case_close / case_reopen ----------------------------------------------------------------


def case_state(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.outcome, case.closed_at)


class TestCaseClose:
    @pytest.mark.parametrize("outcome", CaseOutcome.values)
    def test_closes_with_the_outcome(self, case, officer, outcome):
        moment = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

        with clock.travel_to(moment):
            case_close(actor=officer, case=case, outcome=outcome, note="Dealt with.")

        assert case_state(case) == (CaseStatus.CLOSED, outcome, moment)
        [event] = events_of(case)
        assert event.kind == EventKind.CASE_CLOSED
        assert event.actor == officer
        assert event.after == {"status": CaseStatus.CLOSED, "outcome": outcome}
        assert event.note == "Dealt with."

    @pytest.mark.parametrize("outcome", ["", "resolved"])
    def test_refuses_without_a_valid_outcome(self, case, officer, outcome):
        with pytest.raises(ValidationError) as excinfo:
            case_close(actor=officer, case=case, outcome=outcome)

        assert "outcome" in excinfo.value.message_dict
        assert case_state(case) == (CaseStatus.OPEN, "", None)
        assert events_of(case) == []

    @pytest.mark.parametrize(
        "pending",
        [
            pytest.param(lambda case: factories.AwaitingSignoffWarningFactory(case=case), id="warning-sign-off"),
            pytest.param(lambda case: factories.ProposedBlockFactory(case=case), id="block-sign-off"),
        ],
    )
    def test_refused_while_a_sign_off_is_pending(self, case, officer, pending):
        pending(case)

        with pytest.raises(ValidationError) as excinfo:
            case_close(actor=officer, case=case, outcome=CaseOutcome.NO_ACTION)

        assert excinfo.value.code == "conflict"
        assert case_state(case) == (CaseStatus.OPEN, "", None)
        assert events_of(case) == []

    def test_a_decided_sign_off_does_not_stop_closing(self, case, officer, manager):
        warning = factories.ApprovedWarningFactory(case=case)
        factories.WarningSignOffFactory(
            case=case,
            warning=warning,
            requested_by=officer,
            status=SignOffStatus.APPROVED,
            decided_by=manager,
            decided_at=clock.now(),
        )

        case_close(actor=officer, case=case, outcome=CaseOutcome.WARNED)

        assert case_state(case)[0] == CaseStatus.CLOSED

    def test_closing_again_with_the_same_outcome_returns_quietly(self, officer):
        case = closed_case(outcome=CaseOutcome.WARNED)
        before = case_state(case)

        case_close(actor=officer, case=case, outcome=CaseOutcome.WARNED)

        assert case_state(case) == before
        assert events_of(case) == []

    def test_refuses_another_outcome_on_a_closed_case(self, officer):
        case = closed_case(outcome=CaseOutcome.WARNED)
        before = case_state(case)

        with pytest.raises(ValidationError) as excinfo:
            case_close(actor=officer, case=case, outcome=CaseOutcome.BLOCKED)

        assert excinfo.value.code == "conflict"
        assert "already closed" in excinfo.value.messages[0]
        assert case_state(case) == before
        assert events_of(case) == []

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, case, role):
        with pytest.raises(PermissionDenied):
            case_close(actor=factories.UserFactory(role=role), case=case, outcome=CaseOutcome.NO_ACTION)

        assert case_state(case) == (CaseStatus.OPEN, "", None)
        assert events_of(case) == []


class TestCaseReopen:
    def test_reopens_with_a_reason(self, officer):
        case = closed_case(outcome=CaseOutcome.NO_ACTION)

        case_reopen(actor=officer, case=case, note="The account posted again.")

        assert case_state(case) == (CaseStatus.OPEN, "", None)
        [event] = events_of(case)
        assert event.kind == EventKind.CASE_REOPENED
        assert event.actor == officer
        assert event.before == {"status": CaseStatus.CLOSED, "outcome": CaseOutcome.NO_ACTION}
        assert event.after == {"status": CaseStatus.OPEN}
        assert event.note == "The account posted again."

    @pytest.mark.parametrize("note", ["", "   ", "\x00"])
    def test_refuses_without_a_reason(self, officer, note):
        case = closed_case()
        before = case_state(case)

        with pytest.raises(ValidationError) as excinfo:
            case_reopen(actor=officer, case=case, note=note)

        assert "note" in excinfo.value.message_dict
        assert case_state(case) == before
        assert events_of(case) == []

    def test_an_open_case_is_returned_quietly(self, case, officer):
        case_reopen(actor=officer, case=case, note="Again.")

        assert case_state(case) == (CaseStatus.OPEN, "", None)
        assert events_of(case) == []

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, db, role):
        case = closed_case()
        before = case_state(case)

        with pytest.raises(PermissionDenied):
            case_reopen(actor=factories.UserFactory(role=role), case=case, note="Please look again.")

        assert case_state(case) == before
        assert events_of(case) == []


# --- evidence_add ----------------------------------------------------------------------------


class TestEvidenceAdd:
    @pytest.mark.parametrize(
        ("name", "content_type"),
        [
            ("screenshot.png", "image/png"),
            ("photo.jpg", "image/jpeg"),
            ("animation.gif", "image/gif"),
            ("capture.webp", "image/webp"),
            ("export.pdf", "application/pdf"),
        ],
    )
    def test_attaches_a_screenshot_or_pdf(self, case, officer, name, content_type):
        evidence = evidence_add(
            actor=officer, case=case, file=upload(name, content_type=content_type), description="Screenshot\x00"
        )

        evidence.refresh_from_db()
        assert evidence.case == case
        assert evidence.added_by == officer
        assert evidence.file.name.startswith("evidence/")
        assert evidence.file.name.endswith(name.rsplit(".", 1)[1])
        assert evidence.file.size == 1024
        assert evidence.description == "Screenshot"
        [event] = events_of(case)
        assert event.kind == EventKind.EVIDENCE_ADDED
        assert event.actor == officer
        assert (event.subject_type, event.subject_id) == ("evidence", evidence.pk)
        assert event.after["file"] == evidence.file.name

    def test_a_file_of_exactly_the_limit_is_accepted(self, case, officer):
        evidence = evidence_add(actor=officer, case=case, file=upload(size=MAX_EVIDENCE_BYTES))

        assert evidence.file.size == MAX_EVIDENCE_BYTES == 10 * 1024 * 1024

    def test_refuses_a_file_over_ten_megabytes(self, case, officer):
        before = stored()

        with pytest.raises(ValidationError) as excinfo:
            evidence_add(actor=officer, case=case, file=upload(size=MAX_EVIDENCE_BYTES + 1))

        assert "10 MB" in excinfo.value.message_dict["file"][0]
        assert stored() == before

    def test_refuses_a_file_that_only_claims_to_be_an_image(self, case, officer):
        before = stored()
        disguised = SimpleUploadedFile("shot.png", b"<script>alert(1)</script>", content_type="image/png")

        with pytest.raises(ValidationError) as excinfo:
            evidence_add(actor=officer, case=case, file=disguised)

        assert "image" in excinfo.value.message_dict["file"][0]
        assert stored() == before

    @pytest.mark.parametrize(
        ("name", "content_type"),
        [
            ("page.html", "text/html"),
            ("setup.exe", "application/x-msdownload"),
            ("notes.txt", "text/plain"),
            ("image.svg", "image/svg+xml"),
        ],
    )
    def test_refuses_other_file_types(self, case, officer, name, content_type):
        before = stored()

        with pytest.raises(ValidationError) as excinfo:
            evidence_add(actor=officer, case=case, file=upload(name, content_type=content_type))

        assert "file" in excinfo.value.message_dict
        assert stored() == before

    def test_attaches_a_link(self, case, officer):
        evidence = evidence_add(
            actor=officer, case=case, url="https://facebook.example/nhdc/posts/1", description="The post"
        )

        evidence.refresh_from_db()
        assert evidence.url == "https://facebook.example/nhdc/posts/1"
        assert not evidence.file
        [event] = events_of(case)
        assert event.kind == EventKind.EVIDENCE_ADDED
        assert event.after == {"file": "", "url": "https://facebook.example/nhdc/posts/1"}
        assert event.note == "The post"

    @pytest.mark.parametrize("url", ["", "not a link", "javascript:alert(1)"])
    def test_refuses_no_file_and_no_valid_link(self, case, officer, url):
        before = stored()

        with pytest.raises(ValidationError):
            evidence_add(actor=officer, case=case, url=url)

        assert stored() == before

    @pytest.mark.parametrize("role", NOT_CASEWORKERS)
    def test_refused_for_roles_outside_the_communications_team(self, case, role):
        before = stored()

        with pytest.raises(PermissionDenied):
            evidence_add(actor=factories.UserFactory(role=role), case=case, url="https://facebook.example/p/1")

        assert stored() == before
