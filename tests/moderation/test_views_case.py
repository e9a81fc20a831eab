"""Recording a case and the case page: what is stored, what is refused, what each role is offered."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation.constants import WarningStatus
from moderation import clock, services
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Platform, Priority, Visibility
from moderation.models import Case, CaseEvent, Evidence, Post, SocialAccount
from tests import factories

pytestmark = pytest.mark.django_db
CREATE = reverse("moderation:case_create")
LONDON = ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


def case_url(case) -> str:
    return reverse("moderation:case_detail", args=[case.pk])


def an_hour_ago() -> str:
    return f"{timezone.localtime(clock.now() - timedelta(hours=1)):%d/%m/%Y %H:%M}"


@pytest.fixture
def form_data(channel):
    return {
        "channel": channel.pk,
        "handle": "@BinRage77",
        "display_name": "Gary Pike",
        "text": "Bin men are lazy scum, I know where the depot is.",
        "url": "https://facebook.com/northhertsdc/posts/1?comment=99",
        "posted_at": an_hour_ago(),
        "kind": "comment",
        "rules": [factories.rule("abusive").pk],
        "reason": "Threat towards waste crews.",
        "service_area": "",
        "priority": Priority.NORMAL,
    }


def visibility_url(post) -> str:
    return reverse("moderation:post_visibility", args=[post.case_id, post.pk])


# --- Record a case ------------------------------------------------------------------------------


class TestRecordCase:
    def test_the_form_is_multipart_with_sensible_defaults(self, client, officer, channel):
        factories.OpenCaseFactory(channel=channel, recorded_by=officer)  # the channel I used last
        factories.ChannelFactory(name="Another page")
        client.force_login(officer)
        response = client.get(CREATE)
        page = response.content.decode()
        assert response.status_code == 200
        assert 'enctype="multipart/form-data"' in page
        form = response.context["form"]
        assert form["channel"].value() == channel.pk
        assert form["kind"].value() == "comment"
        assert form["priority"].value() == Priority.NORMAL
        assert datetime.strptime(form["posted_at"].value(), "%d/%m/%Y %H:%M")  # noqa: DTZ007 - a text box's value
        # each house rule shows its guidance as the checkbox hint
        assert "govuk-checkboxes__hint" in page
        assert factories.rule("discriminatory").guidance in page
        assert "Display name (optional)" in page

    def test_records_the_case_and_goes_to_it_with_a_message(self, client, officer, channel, form_data):
        client.force_login(officer)
        response = client.post(CREATE, form_data, follow=True)
        case = Case.objects.get()
        assert response.redirect_chain[-1][0] == case_url(case)
        assert f"Case {case.pk} recorded: @binrage77" in response.content.decode()
        assert case.account.handle == "binrage77"
        assert case.account.platform == channel.platform
        assert case.account.display_name == "Gary Pike"
        assert case.recorded_by == officer
        assert list(case.rules.values_list("code", flat=True)) == ["abusive"]
        post = case.posts.get()
        assert post.channel == channel
        assert post.url == form_data["url"]
        assert timezone.localtime(post.posted_at, LONDON).strftime("%d/%m/%Y %H:%M") == form_data["posted_at"]
        assert list(case.events.values_list("kind", flat=True)) == [EventKind.CASE_RECORDED]

    def test_who_reported_it_is_recorded_and_shown_on_the_case(self, client, officer, form_data):
        client.force_login(officer)
        form_data["reported_by"] = "  A member of the public, by direct message  "
        page = client.post(CREATE, form_data, follow=True).content.decode()
        case = Case.objects.get()
        assert case.reported_by == "A member of the public, by direct message"
        assert "Reported to us by" in page
        assert "A member of the public, by direct message" in page

    def test_who_reported_it_is_optional_and_too_long_is_refused_in_the_form(self, client, officer, form_data):
        client.force_login(officer)
        page = client.post(CREATE, {**form_data, "reported_by": "x" * 201}).content.decode()
        assert "Who reported it must be 200 characters or fewer" in page
        assert not Case.objects.exists()
        client.post(CREATE, form_data)
        assert Case.objects.get().reported_by == ""
        assert "Reported to us by" not in client.get(case_url(Case.objects.get())).content.decode()

    def test_a_post_already_recorded_leads_to_its_existing_case(self, client, officer, channel, form_data):
        existing = factories.OpenCaseFactory(channel=channel, posts=[])
        factories.PostFactory(
            case=existing, channel=channel, account=existing.account, external_id="", url=form_data["url"]
        )
        client.force_login(officer)
        response = client.post(CREATE, form_data, follow=True)
        assert response.redirect_chain[-1][0] == case_url(existing)
        assert f"That post is already on case {existing.pk}" in response.content.decode()
        assert Case.objects.count() == 1
        assert not SocialAccount.objects.filter(handle="binrage77").exists()

    def test_missing_fields_show_the_error_summary_and_keep_what_was_typed(self, client, officer, form_data):
        client.force_login(officer)
        typed = {**form_data, "handle": "", "reason": "", "rules": [], "text": "Keep these words"}
        response = client.post(CREATE, typed)
        page = response.content.decode()
        assert response.status_code == 200
        assert "govuk-error-summary" in page
        assert "There is a problem" in page
        assert "Error: Record a case" in page  # the title says so too
        for message in (
            "Enter the account&#x27;s handle",
            "Say why the post is unacceptable",
            "Select at least one house rule that was broken",
        ):
            assert message in page
        assert 'href="#id_rules_0"' in page
        assert "Keep these words" in page
        assert form_data["url"] in page
        assert form_data["posted_at"] in page
        assert "govuk-form-group--error" in page
        assert Case.objects.count() == 0

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("27/03/2026 14:05", datetime(2026, 3, 27, 14, 5, tzinfo=LONDON)),
            ("1/7/2026 9:30", datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)),
            ("2026-07-01T09:30", datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)),
            ("2026-07-01 08:30:00+00:00", datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)),
        ],
    )
    def test_takes_uk_and_iso_dates(self, client, officer, form_data, typed, expected):
        with clock.travel_to(datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)):
            client.force_login(officer)
            client.post(CREATE, {**form_data, "posted_at": typed})
        assert Post.objects.get().posted_at == expected

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("31/02/2026 10:00", "must be a real date and time"),
            ("yesterday", "must be a real date and time"),
            ("", "Enter the date and time of the post"),
        ],
    )
    def test_refuses_a_date_that_is_not_one(self, client, officer, form_data, typed, message):
        client.force_login(officer)
        page = client.post(CREATE, {**form_data, "posted_at": typed}).content.decode()
        assert message in page
        assert Case.objects.count() == 0

    def test_refuses_a_post_from_the_future(self, client, officer, form_data):
        client.force_login(officer)
        tomorrow = f"{timezone.localtime(clock.now() + timedelta(days=1)):%d/%m/%Y %H:%M}"
        page = client.post(CREATE, {**form_data, "posted_at": tomorrow}).content.decode()
        assert "must be in the past" in page
        assert Case.objects.count() == 0

    def test_strips_nul_characters(self, client, officer, form_data):
        client.force_login(officer)
        client.post(CREATE, {**form_data, "handle": "bin\x00rage", "text": "lazy\x00 scum", "reason": "Threat\x00."})
        case = Case.objects.get()
        assert case.account.handle == "binrage"
        assert case.posts.get().text == "lazy scum"
        assert case.reason == "Threat."

    def test_the_same_form_sent_twice_records_once(self, client, officer, form_data):
        client.force_login(officer)
        token = client.get(CREATE).context["form_token"]
        without_url = {**form_data, "url": "", "form_token": token}  # no address: nothing else dedupes it
        first = client.post(CREATE, without_url)
        second = client.post(CREATE, without_url, follow=True)
        case = Case.objects.get()
        assert first.url == case_url(case)
        assert second.redirect_chain[-1][0] == case_url(case)
        assert f"already recorded: case {case.pk}" in second.content.decode()

    def test_a_refusal_from_the_service_lands_on_the_form(self, client, officer, form_data, monkeypatch):
        def refuse(**kwargs):
            raise ValidationError({"posts": "Give each post its text.", "other": "Something else."})

        monkeypatch.setattr(services, "case_record", refuse)
        client.force_login(officer)
        response = client.post(CREATE, form_data)
        assert response.status_code == 200
        assert response.context["form"].errors["text"] == ["Give each post its text."]
        assert response.context["form"].non_field_errors() == ["Something else."]

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_only_the_communications_team_records(self, client, request, role, form_data):
        client.force_login(request.getfixturevalue(role))
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, form_data).status_code == 403
        assert Case.objects.count() == 0

    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(CREATE)
        assert response.status_code == 302
        assert reverse("sign_in") in response.url


class TestEvidenceWithTheCase:
    @pytest.mark.parametrize(("name", "content"), [("shot.png", PNG), ("post.pdf", PDF)])
    def test_is_stored_with_the_case(self, client, officer, form_data, name, content):
        client.force_login(officer)
        response = client.post(CREATE, {**form_data, "evidence": SimpleUploadedFile(name, content)})
        case = Case.objects.get()
        assert response.url == case_url(case)
        evidence = Evidence.objects.get(case=case)
        assert evidence.added_by == officer
        assert evidence.file.read() == content
        assert set(case.events.values_list("kind", flat=True)) == {EventKind.CASE_RECORDED, EventKind.EVIDENCE_ADDED}

    @pytest.mark.parametrize(
        ("upload", "message"),
        [
            (SimpleUploadedFile("shot.png", b"<html>not a picture</html>"), "must be an image"),
            (SimpleUploadedFile("notes.txt", b"plain words"), "must be an image"),
            (SimpleUploadedFile("empty.png", b""), "The selected file is empty"),
        ],
    )
    def test_a_wrong_file_is_refused_and_nothing_is_recorded(self, client, officer, form_data, upload, message):
        client.force_login(officer)
        response = client.post(CREATE, {**form_data, "evidence": upload})
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["evidence"])
        assert "govuk-error-summary" in response.content.decode()
        assert Case.objects.count() == 0
        assert SocialAccount.objects.count() == 0
        assert Evidence.objects.count() == 0

    def test_a_file_over_the_limit_is_refused(self, client, officer, form_data, monkeypatch):
        monkeypatch.setattr(services, "MAX_EVIDENCE_BYTES", 1024 * 1024)
        client.force_login(officer)
        big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024))
        response = client.post(CREATE, {**form_data, "evidence": big})
        assert "must be smaller than 1MB" in response.content.decode()
        assert Case.objects.count() == 0

    def test_if_storing_the_evidence_fails_the_case_is_not_recorded(self, client, officer, form_data, monkeypatch):
        def refuse(**kwargs):
            raise ValidationError({"file": "The file must be 10 MB or smaller."})

        monkeypatch.setattr(services, "evidence_add", refuse)
        client.force_login(officer)
        response = client.post(CREATE, {**form_data, "evidence": SimpleUploadedFile("shot.png", PNG)})
        assert response.context["form"].errors["evidence"] == ["The file must be 10 MB or smaller."]
        assert Case.objects.count() == 0

    def test_asks_to_choose_the_file_again_when_another_field_is_wrong(self, client, officer, form_data):
        client.force_login(officer)
        page = client.post(
            CREATE, {**form_data, "reason": "", "evidence": SimpleUploadedFile("shot.png", PNG)}
        ).content.decode()
        assert "Choose the file again" in page


# --- The case page ------------------------------------------------------------------------------


def case_with(n: int, *, channel, officer) -> Case:
    """An open case with ``n`` posts and ``n`` + 1 timeline events, inserted in a few statements."""
    case = factories.OpenCaseFactory(channel=channel, recorded_by=officer, posts=[])
    now = clock.now()
    Post.objects.bulk_create(
        [
            Post(
                channel=channel,
                account=case.account,
                case=case,
                external_id=f"many-{case.pk}-{i}",
                text=f"post {i}",
                posted_at=now - timedelta(minutes=i),
                visibility=[Visibility.VISIBLE, Visibility.HIDDEN, Visibility.DELETED][i % 3],
                visibility_changed_by=officer if i % 3 else None,
                visibility_changed_at=now if i % 3 else None,
            )
            for i in range(n)
        ]
    )
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=case,
                kind=EventKind.POST_HIDDEN,
                actor=officer,
                actor_label="Olivia",
                at=now - timedelta(minutes=i),
                subject_type="post",
                subject_id=i,
                note=f"note {i}",
            )
            for i in range(n + 1)
        ]
    )
    for i in range(n):
        evidence = Evidence(case=case, url=f"https://archive.example/{i}", added_by=officer)
        evidence.save()
    return case


class TestCasePage:
    def test_shows_the_summary_posts_and_timeline(self, client, officer, channel, service_area):
        case = factories.OpenCaseFactory(
            channel=channel,
            account__handle="binrage77",
            reason="Threat towards waste crews.",
            service_area=service_area,
            assignee=officer,
            priority=Priority.URGENT,
            posts=[],
        )
        post = factories.PostFactory(case=case, channel=channel, account=case.account, text="Lazy scum")
        client.force_login(officer)
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.HIDDEN, note="Hidden at once.")
        services.case_assign(actor=officer, case=case, assignee=None)
        page = client.get(case_url(case)).content.decode()
        assert reverse("moderation:account_detail", args=[case.account_id]) in page
        for text in (
            "@binrage77",
            channel.name,
            "Rude, abusive, harassing or threatening",
            "Threat towards waste crews.",
            "Waste and recycling",
            "Urgent priority",
            "Lazy scum",
            "Recommended next step",
            "Issue a written warning",
            'class="moj-timeline"',
            "Hidden at once.",
        ):
            assert text in page, text
        assert f'id="post-{post.pk}"' in page
        # newest first: the assignment comes before the hide
        assert page.index("Case assigned") < page.index("Post hidden")
        assert "Unassigned" in page

    def test_lists_the_decisions_of_the_case_with_links(self, client, officer, block_in_state):
        block = block_in_state("active")
        warning = factories.SentWarningFactory(case=block.case)
        appeal = factories.UnderReviewAppealFactory(block=block)
        client.force_login(officer)
        page = client.get(case_url(block.case)).content.decode()
        assert reverse("escalation:block_detail", args=[block.pk]) in page
        assert reverse("escalation:warning_detail", args=[warning.pk]) in page
        assert reverse("escalation:appeal_detail", args=[appeal.pk]) in page

    def test_query_count_is_constant_in_posts_events_and_evidence(
        self, client, officer, channel, django_assert_max_num_queries
    ):
        small_case = case_with(2, channel=channel, officer=officer)
        large_case = case_with(30, channel=channel, officer=officer)
        client.force_login(officer)
        client.get(case_url(small_case))  # the session is warm for both
        with CaptureQueriesContext(connection) as small:
            assert client.get(case_url(small_case)).status_code == 200
        with django_assert_max_num_queries(len(small)):
            response = client.get(case_url(large_case))
        assert response.status_code == 200
        assert len(response.context["post_rows"]) == 30
        assert len(response.context["timeline"]) == 31
        assert len(small) <= 25

    def test_a_service_director_reads_cases_of_their_area_only(self, client, director, other_director, service_area):
        case = factories.OpenCaseFactory(service_area=service_area)
        client.force_login(director)
        assert client.get(case_url(case)).status_code == 200
        client.force_login(other_director)
        assert client.get(case_url(case)).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, client):
        case = factories.OpenCaseFactory()
        response = client.get(case_url(case))
        assert response.status_code == 302
        assert reverse("sign_in") in response.url


OFFICER_ACTIONS = {"draft_warning", "propose_block", "hide", "assign", "close", "evidence"}


class TestActionsOffered:
    BUTTONS = {
        "draft_warning": "Draft a warning",
        "propose_block": "Propose a block",
        "immediate_block": "Block immediately",
        "channel_ban": "(misinformation)",
        "police_report": "Record a police report",
        "hide": ">Hide<",
        "assign": "Assign to me",
        "close": "Close the case",
        "evidence": "Add evidence",
    }

    @pytest.mark.parametrize(
        ("role", "offered"),
        [
            ("officer", OFFICER_ACTIONS),
            ("manager", OFFICER_ACTIONS | {"immediate_block", "police_report"}),
            ("md", set()),
            ("director", set()),
        ],
    )
    def test_each_role_sees_only_what_it_may_do(self, client, request, service_area, role, offered):
        case = factories.OpenCaseFactory(service_area=service_area)
        client.force_login(request.getfixturevalue(role))
        page = client.get(case_url(case)).content.decode()
        for action, label in self.BUTTONS.items():
            assert (label in page) == (action in offered), action

    def test_links_go_to_the_escalation_pages(self, client, manager):
        case = factories.OpenCaseFactory()
        client.force_login(manager)
        page = client.get(case_url(case)).content.decode()
        assert reverse("escalation:warning_create", args=[case.pk]) in page
        block_create = reverse("escalation:block_create", args=[case.pk])
        assert f"{block_create}?kind=standard" in page
        assert f"{block_create}?kind=immediate" in page
        assert reverse("escalation:police_report_create", args=[case.pk]) in page

    def test_a_misinformation_case_offers_the_channel_ban(self, client, officer):
        case = factories.OpenCaseFactory(rules=[factories.rule("misinformation")])
        client.force_login(officer)
        page = client.get(case_url(case)).content.decode()
        assert f"{reverse('escalation:block_create', args=[case.pk])}?kind=channel_ban" in page

    @pytest.mark.parametrize("status", [WarningStatus.DRAFT, WarningStatus.APPROVED])
    def test_no_second_warning_while_one_is_in_progress(self, client, officer, status):
        warning = factories.DraftWarningFactory(status=status)
        client.force_login(officer)
        page = client.get(case_url(warning.case)).content.decode()
        assert "Draft a warning" not in page

    def test_a_pending_sign_off_stops_closing_and_is_linked_for_its_decider(self, client, officer, manager):
        warning = factories.AwaitingSignoffWarningFactory()
        signoff = warning.signoffs.get()
        client.force_login(manager)
        page = client.get(case_url(warning.case)).content.decode()
        assert reverse("escalation:signoff_detail", args=[signoff.pk]) in page
        assert reverse("moderation:case_close", args=[warning.case_id]) not in page
        assert "can be closed once the sign-off is decided" in page
        client.force_login(warning.drafted_by)  # the asker does not decide
        assert (
            reverse("escalation:signoff_detail", args=[signoff.pk])
            not in client.get(case_url(warning.case)).content.decode()
        )

    def test_a_closed_case_offers_reopen_only(self, client, officer):
        case = factories.OpenCaseFactory(status=CaseStatus.CLOSED, outcome=CaseOutcome.NO_ACTION, closed_at=clock.now())
        client.force_login(officer)
        page = client.get(case_url(case)).content.decode()
        assert "Reopen the case" in page
        for label in (
            "Draft a warning",
            "Propose a block",
            "Assign to me",
            reverse("moderation:case_close", args=[case.pk]),
        ):
            assert label not in page

    def test_only_the_moves_allowed_now_are_offered(self, client, officer):
        case = factories.OpenCaseFactory(posts=[])
        visible = factories.PostFactory(case=case, channel=case.channel, account=case.account)
        hidden = factories.PostFactory(case=case, channel=case.channel, account=case.account, visibility="hidden")
        deleted = factories.PostFactory(case=case, channel=case.channel, account=case.account, visibility="deleted")
        client.force_login(officer)
        rows = dict(client.get(case_url(case)).context["post_rows"])
        assert [m[0] for m in rows[visible]] == ["hidden", "deleted"]
        assert [m[0] for m in rows[hidden]] == ["restored", "deleted"]
        assert rows[deleted] == []


# --- Hide, delete, restore ----------------------------------------------------------------------


class TestPostVisibility:
    @pytest.mark.parametrize(
        ("start", "target", "event"),
        [
            (Visibility.VISIBLE, Visibility.HIDDEN, EventKind.POST_HIDDEN),
            (Visibility.VISIBLE, Visibility.DELETED, EventKind.POST_DELETED),
            (Visibility.HIDDEN, Visibility.RESTORED, EventKind.POST_RESTORED),
            (Visibility.RESTORED, Visibility.HIDDEN, EventKind.POST_HIDDEN),
        ],
    )
    def test_moves_the_post_and_writes_the_event(self, client, officer, start, target, event):
        case = factories.OpenCaseFactory(posts=[])
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, visibility=start)
        client.force_login(officer)
        response = client.post(visibility_url(post), {"visibility": target}, follow=True)
        post.refresh_from_db()
        assert post.visibility == target
        assert post.visibility_changed_by == officer
        assert response.redirect_chain[-1][0] == f"{case_url(case)}#post-{post.pk}"
        assert f"Post {target}." in response.content.decode()
        assert list(case.events.values_list("kind", flat=True)) == [event]

    def test_twice_is_recorded_once(self, client, officer):
        post = factories.OpenCaseFactory().posts.get()
        client.force_login(officer)
        client.post(visibility_url(post), {"visibility": "hidden"})
        response = client.post(visibility_url(post), {"visibility": "hidden"}, follow=True)
        assert "The post was already hidden." in response.content.decode()
        assert CaseEvent.objects.filter(kind=EventKind.POST_HIDDEN).count() == 1

    def test_a_deleted_post_is_not_restored(self, client, officer):
        case = factories.OpenCaseFactory(posts=[])
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, visibility="deleted")
        client.force_login(officer)
        response = client.post(visibility_url(post), {"visibility": "restored"}, follow=True)
        assert response.status_code == 200
        assert "cannot be restored now" in response.content.decode()
        post.refresh_from_db()
        assert post.visibility == Visibility.DELETED
        assert not case.events.exists()

    def test_a_nonsense_visibility_is_a_message(self, client, officer):
        post = factories.OpenCaseFactory().posts.get()
        client.force_login(officer)
        response = client.post(visibility_url(post), {"visibility": "visible"}, follow=True)
        assert "Choose to hide, delete or restore the post." in response.content.decode()
        post.refresh_from_db()
        assert post.visibility == Visibility.VISIBLE

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_forbidden_for_the_directors(self, client, request, role, service_area):
        post = factories.OpenCaseFactory(service_area=service_area).posts.get()
        client.force_login(request.getfixturevalue(role))
        assert client.post(visibility_url(post), {"visibility": "hidden"}).status_code == 403
        post.refresh_from_db()
        assert post.visibility == Visibility.VISIBLE
        assert not CaseEvent.objects.exists()

    def test_a_post_of_another_case_is_not_found(self, client, officer):
        post = factories.OpenCaseFactory().posts.get()
        other = factories.OpenCaseFactory()
        client.force_login(officer)
        url = reverse("moderation:post_visibility", args=[other.pk, post.pk])
        assert client.post(url, {"visibility": "hidden"}).status_code == 404

    def test_only_by_post(self, client, officer):
        post = factories.OpenCaseFactory().posts.get()
        client.force_login(officer)
        assert client.get(visibility_url(post)).status_code == 405


# --- Assign, close, reopen ----------------------------------------------------------------------


class TestCaseManagement:
    def test_assign_to_me_to_someone_and_to_nobody(self, client, officer, other_officer):
        case = factories.OpenCaseFactory()
        url = reverse("moderation:case_assign", args=[case.pk])
        client.force_login(officer)
        response = client.post(url, {"assignee": officer.pk}, follow=True)
        assert f"Case {case.pk} assigned to you." in response.content.decode()
        case.refresh_from_db()
        assert case.assignee == officer
        client.post(url, {"assignee": other_officer.pk})
        case.refresh_from_db()
        assert case.assignee == other_officer
        response = client.post(url, {"assignee": ""}, follow=True)
        assert f"Case {case.pk} unassigned." in response.content.decode()
        case.refresh_from_db()
        assert case.assignee is None
        assert case.events.filter(kind=EventKind.CASE_ASSIGNED).count() == 3

    def test_the_assign_form_offers_the_team(self, client, officer, other_officer, md):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        page = client.get(case_url(case)).content.decode()
        assert f'value="{other_officer.pk}"' in page
        assert f'<option value="{md.pk}"' not in page

    def test_cannot_assign_outside_the_team(self, client, officer, md):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        response = client.post(reverse("moderation:case_assign", args=[case.pk]), {"assignee": md.pk}, follow=True)
        assert "Choose someone in the communications team." in response.content.decode()
        case.refresh_from_db()
        assert case.assignee is None

    def test_close_with_an_outcome(self, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        response = client.post(
            reverse("moderation:case_close", args=[case.pk]),
            {"outcome": CaseOutcome.POST_REMOVED, "note": "Hidden; no more needed."},
            follow=True,
        )
        assert f"Case {case.pk} closed: post hidden or deleted." in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED
        assert case.outcome == CaseOutcome.POST_REMOVED
        event = case.events.get(kind=EventKind.CASE_CLOSED)
        assert event.note == "Hidden; no more needed."

    def test_close_needs_an_outcome(self, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        response = client.post(reverse("moderation:case_close", args=[case.pk]), {"note": "x"}, follow=True)
        assert "Select the outcome of the case to close it." in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN

    def test_close_refused_while_a_sign_off_waits_is_a_message(self, client, officer):
        warning = factories.AwaitingSignoffWarningFactory()
        client.force_login(officer)
        response = client.post(
            reverse("moderation:case_close", args=[warning.case_id]), {"outcome": "no_action"}, follow=True
        )
        assert response.status_code == 200
        assert "sign-off waiting for a decision" in response.content.decode()
        warning.case.refresh_from_db()
        assert warning.case.status == CaseStatus.OPEN

    def test_reopen_with_a_reason(self, client, officer):
        case = factories.OpenCaseFactory(status=CaseStatus.CLOSED, outcome=CaseOutcome.NO_ACTION, closed_at=clock.now())
        url = reverse("moderation:case_reopen", args=[case.pk])
        client.force_login(officer)
        response = client.post(url, {"note": ""}, follow=True)
        assert "Say why the case is reopened." in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED
        response = client.post(url, {"note": "The account posted again."}, follow=True)
        assert f"Case {case.pk} reopened." in response.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.OPEN
        assert case.events.get(kind=EventKind.CASE_REOPENED).note == "The account posted again."

    @pytest.mark.parametrize("name", ["case_assign", "case_close", "case_reopen"])
    @pytest.mark.parametrize("role", ["director", "md"])
    def test_forbidden_for_the_directors(self, client, request, role, name, service_area):
        case = factories.OpenCaseFactory(service_area=service_area)
        client.force_login(request.getfixturevalue(role))
        data = {"assignee": "", "outcome": "no_action", "note": "x"}
        assert client.post(reverse(f"moderation:{name}", args=[case.pk]), data).status_code == 403
        assert not case.events.exists()


# --- Evidence -----------------------------------------------------------------------------------


class TestEvidencePage:
    def test_adds_a_link(self, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        url = reverse("moderation:evidence_add", args=[case.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url, {"url": "https://archive.example/post", "description": "Archived copy"}, follow=True
        )
        assert f"Evidence added to case {case.pk}." in response.content.decode()
        assert "Archived copy" in response.content.decode()
        assert case.evidence.get().url == "https://archive.example/post"

    def test_asks_for_a_file_or_a_link(self, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        page = client.post(reverse("moderation:evidence_add", args=[case.pk]), {"description": "x"}).content.decode()
        assert "govuk-error-summary" in page
        assert "Choose a file or give a link" in page
        assert not case.evidence.exists()

    def test_refuses_a_wrong_file(self, client, officer):
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        response = client.post(
            reverse("moderation:evidence_add", args=[case.pk]), {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")}
        )
        assert "must be an image" in " ".join(response.context["form"].errors["file"])
        assert not case.evidence.exists()

    def test_a_file_is_served_to_readers_with_the_type_its_bytes_show(self, client, officer, md):
        case = factories.OpenCaseFactory()
        evidence = services.evidence_add(actor=officer, case=case, file=SimpleUploadedFile("shot.html", PNG))
        url = reverse("moderation:evidence_file", args=[case.pk, evidence.pk])
        client.force_login(officer)
        page = client.get(case_url(case)).content.decode()
        assert url in page
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG

    def test_directors_cannot_add_evidence(self, client, director, service_area):
        case = factories.OpenCaseFactory(service_area=service_area)
        client.force_login(director)
        assert client.get(reverse("moderation:evidence_add", args=[case.pk])).status_code == 403


def test_platform_of_the_account_is_the_channel_s(client, officer, form_data):
    channel = factories.ChannelFactory(platform=Platform.X, name="NHDC on X")
    client.force_login(officer)
    client.post(CREATE, {**form_data, "channel": channel.pk})
    assert Case.objects.get().account.platform == Platform.X
