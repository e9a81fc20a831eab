"""Automatic flags: detectors, repeat contact, ingest, dismiss, confirm, redaction, the queue and the admin."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from moderation import clock, flags, services
from moderation.constants import EventKind, FlagKind, FlagStatus, Visibility
from moderation.models import CaseEvent, Flag, FlagRule, Post
from tests import factories


def make_rule(kind: str, **kwargs) -> FlagRule:
    defaults = {"name": f"{kind} rule", "house_rule": factories.rule("abusive")}
    return FlagRule.objects.create(kind=kind, **{**defaults, **kwargs})


@pytest.fixture
def words(db):
    return make_rule(FlagKind.WORD_LIST, name="Insults", terms="idiot\nwaste of space\n")


@pytest.fixture
def phone(db):
    return make_rule(FlagKind.PHONE_NUMBER, name="Phone numbers")


def flag_texts(texts: list[str], channel) -> list[Flag]:
    account = factories.SocialAccountFactory()
    posts = [factories.PostFactory(channel=channel, account=account, text=t) for t in texts]
    return flags.flags_evaluate(posts=posts)


class TestDetectors:
    @pytest.mark.parametrize(
        ("text", "flagged"),
        [
            ("You IDIOT!", True),
            ("what an idiot.", True),
            ("a total Waste   of space", True),
            ("that was idiotic", False),  # whole words only
            ("nothing to see", False),
        ],
    )
    def test_word_list_is_whole_word_and_ignores_case(self, words, channel, text, flagged):
        found = flag_texts([text], channel)
        assert bool(found) is flagged
        if flagged:
            flag = Flag.objects.get()
            assert flag.rule == words
            assert flag.reason.startswith("matched ‘")
            assert flag.status == FlagStatus.OPEN

    def test_word_reason_names_the_word(self, words, channel):
        flag_texts(["You idiot"], channel)
        assert Flag.objects.get().reason == "matched ‘idiot’"

    def test_pattern(self, channel):
        make_rule(FlagKind.PATTERN, pattern=r"\bkill\w*\b")
        assert flag_texts(["I will KILL the bins"], channel)
        assert not flag_texts(["skilled staff"], channel)

    @pytest.mark.parametrize(
        "text",
        ["call me on 07911 123456", "ring +44 7911 123456", "+447911123456", "01462 474000", "(020) 7946 0018"],
    )
    def test_uk_phone_numbers(self, phone, channel, text):
        assert flag_texts([text], channel)
        flag = Flag.objects.get()
        assert flag.reason == "contains a UK phone number"
        assert "7911" not in flag.reason  # never the data itself
        assert "474000" not in flag.reason

    @pytest.mark.parametrize("text", ["order 1234567890", "+1 202 555 0143", "the year 2025"])
    def test_not_uk_phone_numbers(self, phone, channel, text):
        assert not flag_texts([text], channel)

    @pytest.mark.parametrize(("text", "flagged"), [("mail j.smith+bins@example.co.uk", True), ("me @ home", False)])
    def test_email_addresses(self, channel, text, flagged):
        make_rule(FlagKind.EMAIL_ADDRESS)
        assert bool(flag_texts([text], channel)) is flagged

    @pytest.mark.parametrize(
        ("text", "flagged"),
        [("I live at SG6 3JF", True), ("sg63jf", True), ("M1 1AE", True), ("EC1A 1BB", True), ("A1 road", False)],
    )
    def test_uk_postcodes(self, channel, text, flagged):
        make_rule(FlagKind.POSTCODE)
        assert bool(flag_texts([text], channel)) is flagged

    def test_inactive_rules_do_not_flag(self, words, channel):
        words.is_active = False
        words.save()
        assert not flag_texts(["idiot"], channel)

    def test_evaluating_twice_stores_one_flag(self, words, channel):
        post = factories.PostFactory(channel=channel, text="idiot")
        flags.flags_evaluate(posts=[post])
        flags.flags_evaluate(posts=[post])
        assert Flag.objects.count() == 1


class TestRepeatContact:
    def test_n_posts_in_m_minutes(self, channel):
        rule = make_rule(FlagKind.REPEAT_CONTACT, repeat_threshold=3, repeat_window_minutes=10)
        account = factories.SocialAccountFactory()
        start = clock.now() - timedelta(hours=2)
        times = [start, start + timedelta(minutes=4), start + timedelta(minutes=8), start + timedelta(minutes=30)]
        posts = [factories.PostFactory(channel=channel, account=account, posted_at=t, text="hello") for t in times]
        factories.PostFactory(channel=channel, posted_at=start + timedelta(minutes=9))  # someone else
        flags.flags_evaluate(posts=posts)
        flagged = Flag.objects.filter(rule=rule)
        assert [f.post_id for f in flagged] == [posts[2].pk]  # the third within ten minutes; the fourth is alone
        assert flagged.get().reason == "3 posts by this account within 10 minutes"

    def test_counts_earlier_posts_already_stored(self, channel):
        make_rule(FlagKind.REPEAT_CONTACT, repeat_threshold=2, repeat_window_minutes=5)
        account = factories.SocialAccountFactory()
        now = clock.now()
        factories.PostFactory(channel=channel, account=account, posted_at=now - timedelta(minutes=3))
        new = factories.PostFactory(channel=channel, account=account, posted_at=now)
        flags.flags_evaluate(posts=[new])
        assert Flag.objects.get().post == new

    def test_threshold_must_be_given(self, db):
        rule = FlagRule(name="r", kind=FlagKind.REPEAT_CONTACT, house_rule=factories.rule("abusive"))
        with pytest.raises(ValidationError):
            rule.full_clean()


class TestIngest:
    @pytest.fixture(autouse=True)
    def _fresh_throttle(self):
        cache.clear()
        yield
        cache.clear()

    def test_batch_ingest_flags_posts(self, words, phone, channel, django_assert_max_num_queries):
        integration, token = services.integration_create(actor=None, name="Export", channels=[channel])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        texts = ["you idiot", "call 07911 123456", "thank you", "idiot, ring 01462 474000"]
        body = [
            {
                "channel": channel.handle,
                "external_id": f"ext-{n}",
                "author_handle": f"resident{n}",
                "text": text,
                "posted_at": "2025-03-01T14:05:00Z",
            }
            for n, text in enumerate(texts)
        ]
        response = client.post("/api/v1/posts/", data=json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 201, 207), response.content
        got = {(f.post.external_id, f.rule.name) for f in Flag.objects.select_related("post", "rule")}
        assert got == {
            ("ext-0", "Insults"),
            ("ext-1", "Phone numbers"),
            ("ext-3", "Insults"),
            ("ext-3", "Phone numbers"),
        }
        # sending the same batch again changes nothing
        client.post("/api/v1/posts/", data=json.dumps(body), content_type="application/json")
        assert Flag.objects.count() == 4


@pytest.fixture
def open_flag(words, channel):
    post = factories.PostFactory(channel=channel, text="you idiot")
    flags.flags_evaluate(posts=[post])
    return Flag.objects.get(post=post)


class TestDismiss:
    def test_records_who_and_when(self, open_flag, officer):
        flags.flag_dismiss(actor=officer, flag=open_flag, note="Banter between friends")
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.DISMISSED
        assert open_flag.dismissed_by == officer
        assert open_flag.dismissed_at is not None
        assert open_flag.note == "Banter between friends"
        assert not CaseEvent.objects.exists()  # an uncased post has no timeline

    def test_is_idempotent(self, open_flag, officer, other_officer):
        flags.flag_dismiss(actor=officer, flag=open_flag)
        flags.flag_dismiss(actor=other_officer, flag=open_flag)
        open_flag.refresh_from_db()
        assert open_flag.dismissed_by == officer

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_refuses_roles_without_moderate_post(self, open_flag, request, role):
        with pytest.raises(PermissionDenied):
            flags.flag_dismiss(actor=request.getfixturevalue(role), flag=open_flag)
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.OPEN

    def test_refused_on_a_confirmed_flag(self, open_flag, officer):
        Flag.objects.filter(pk=open_flag.pk).update(status=FlagStatus.CONFIRMED)
        with pytest.raises(ValidationError) as refused:
            flags.flag_dismiss(actor=officer, flag=open_flag)
        assert refused.value.code == "conflict"
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.CONFIRMED

    def test_writes_a_timeline_event_when_the_post_has_a_case(self, open_flag, officer):
        case = factories.OpenCaseFactory(posts=[])
        Post.objects.filter(pk=open_flag.post_id).update(case=case)
        flags.flag_dismiss(actor=officer, flag=open_flag)
        event = CaseEvent.objects.get(case=case)
        assert event.kind == EventKind.FLAG_DISMISSED
        assert event.actor == officer


class TestCaseRecordConfirms:
    def test_recording_a_case_confirms_open_flags(self, open_flag, officer):
        post = open_flag.post
        services.case_record(
            actor=officer,
            platform=post.channel.platform,
            handle=post.account.handle,
            posts=[services.PostData(channel=post.channel, posted_at=post.posted_at, external_id=post.external_id)],
            rules=[factories.rule("abusive")],
            reason="Insult",
        )
        open_flag.refresh_from_db()
        post.refresh_from_db()
        assert post.case_id is not None
        assert open_flag.status == FlagStatus.CONFIRMED


class TestPersonalDataRedaction:
    def test_deleting_a_pii_flagged_post_redacts_its_text(self, phone, officer):
        case = factories.OpenCaseFactory(posts=[])
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, text="ring 07911 123456")
        flags.flags_evaluate(posts=[post])
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
        post.refresh_from_db()
        assert post.visibility == Visibility.DELETED
        assert post.text == "[redacted: personal information (phone number)]"
        event = CaseEvent.objects.get(case=case, kind=EventKind.POST_DELETED)
        assert "07911" not in json.dumps([event.before, event.after, event.note])
        assert event.after["redacted"] == ["phone number"]

    def test_hiding_keeps_the_text(self, phone, officer):
        case = factories.OpenCaseFactory(posts=[])
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, text="ring 07911 123456")
        flags.flags_evaluate(posts=[post])
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.HIDDEN)
        post.refresh_from_db()
        assert post.text == "ring 07911 123456"

    def test_dismissed_pii_flag_does_not_redact(self, phone, officer):
        case = factories.OpenCaseFactory(posts=[])
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, text="ring 01462 474000")
        flags.flags_evaluate(posts=[post])
        Flag.objects.update(status=FlagStatus.DISMISSED, dismissed_by=officer, dismissed_at=clock.now())
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
        post.refresh_from_db()
        assert post.text == "ring 01462 474000"


class TestFlagListPage:
    url = "/flags/"

    def test_lists_open_flags_with_rule_and_reason(self, client, officer, open_flag):
        client.force_login(officer)
        response = client.get(reverse("moderation:flag_list"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "you idiot" in page
        assert "Insults" in page
        assert "matched ‘idiot’" in page
        assert open_flag.post.channel.name in page
        assert f"@{open_flag.post.account.handle}" in page
        assert "Not a problem" in page
        assert f"post={open_flag.post.pk}" in page  # the Record a case link names the post by id only
        assert "external_id=" not in page
        assert "Flagged posts" in page  # in the navigation, with its count

    @pytest.mark.parametrize("role", ["director", "md"])
    def test_refused_without_record_case(self, client, request, role, open_flag):
        client.force_login(request.getfixturevalue(role))
        assert client.get(reverse("moderation:flag_list")).status_code == 403

    def test_not_a_problem_button(self, client, officer, open_flag):
        client.force_login(officer)
        response = client.post(reverse("moderation:flag_dismiss", args=[open_flag.pk]), follow=True)
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.DISMISSED
        assert open_flag.dismissed_by == officer
        assert "you idiot" not in response.content.decode()

    def test_record_a_case_link_prefills_the_form(self, client, officer, open_flag):
        client.force_login(officer)
        post = open_flag.post
        response = client.get(reverse("moderation:flag_list"))
        link = next(url for _, url in response.context["rows"])
        form = client.get(link).context["form"]
        assert form.initial["text"] == "you idiot"
        assert form.initial["external_id"] == post.external_id
        assert form.initial["handle"] == post.account.handle
        assert str(form.initial["channel"]) == str(post.channel_id)

    def test_query_count_is_constant(self, client, officer, words, channel, django_assert_max_num_queries):
        client.force_login(officer)
        for _ in range(5):
            flags.flags_evaluate(posts=[factories.PostFactory(channel=channel, text="idiot")])
        with django_assert_max_num_queries(50) as few:
            client.get(reverse("moderation:flag_list"))
        for _ in range(45):
            flags.flags_evaluate(posts=[factories.PostFactory(channel=channel, text="idiot")])
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("moderation:flag_list"))
        assert response.context["page"].paginator.count == 50


@pytest.fixture
def administrator(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")


class TestAdmin:
    def test_accuracy_per_rule(self, client, administrator, words, channel, officer):
        posts = [factories.PostFactory(channel=channel, text="idiot") for _ in range(4)]
        flags.flags_evaluate(posts=posts)
        all_flags = list(Flag.objects.order_by("id"))
        Flag.objects.filter(pk__in=[all_flags[0].pk, all_flags[1].pk, all_flags[2].pk]).update(
            status=FlagStatus.CONFIRMED
        )
        flags.flag_dismiss(actor=officer, flag=all_flags[3])
        extra = factories.PostFactory(channel=channel, text="idiot")
        flags.flags_evaluate(posts=[extra])  # one open
        client.force_login(administrator)
        response = client.get(reverse("admin:moderation_flagrule_changelist"))
        assert response.status_code == 200
        row = response.context["cl"].result_list.get(pk=words.pk)
        assert (row.open_flags, row.confirmed_flags, row.dismissed_flags) == (1, 3, 1)
        assert "75%" in response.content.decode()

    def test_invalid_regex_is_refused(self, client, administrator):
        client.force_login(administrator)
        response = client.post(
            reverse("admin:moderation_flagrule_add"),
            {
                "name": "Broken",
                "kind": FlagKind.PATTERN,
                "house_rule": factories.rule("abusive").pk,
                "pattern": "(unclosed",
                "is_active": "on",
            },
        )
        assert response.status_code == 200
        assert "not a valid regular expression" in response.content.decode()
        assert not FlagRule.objects.exists()

    def test_flag_admin_dismiss_action(self, client, officer, open_flag):
        officer.is_staff = True
        officer.save()
        client.force_login(officer)
        client.post(
            reverse("admin:moderation_flag_changelist"),
            {"action": "dismiss_flags", "_selected_action": [open_flag.pk]},
        )
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.DISMISSED
        assert open_flag.dismissed_by == officer

    def test_an_administrator_configures_and_does_not_dismiss(self, client, administrator, open_flag):
        client.force_login(administrator)
        client.post(
            reverse("admin:moderation_flag_changelist"),
            {"action": "dismiss_flags", "_selected_action": [open_flag.pk]},
        )
        open_flag.refresh_from_db()
        assert open_flag.status == FlagStatus.OPEN
