"""Issue 10, items 8, 9, 10 and 12: one JSON and Unicode boundary for every way posts come in
(the API, Meta's webhook, the CSV import), one place that resolves a channel from a handle, one
rule for a post's time, every version of a post's text kept, JSON 404s, and the drama-range
mobile numbers a personal-data flag must catch."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from moderation import clock, csvfiles, flags, intake, services, webhooks
from moderation.constants import FlagKind, Platform, Visibility
from moderation.models import Flag, Integration, Post, PostTextRevision
from tests import factories
from tests.moderation.test_flags import make_rule
from tests.moderation.test_meta_webhooks import PAGE_ID, fb_change, send

POSTS_URL = "/api/v1/posts/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _meta_settings(settings):
    settings.META_APP_SECRET = "test-app-secret"
    settings.META_WEBHOOK_VERIFY_TOKEN = "test-verify-token"


@pytest.fixture
def facebook(db):
    return factories.ChannelFactory(name="North Herts Council", handle="northhertsdc", platform=Platform.FACEBOOK)


@pytest.fixture
def instagram(db):
    return factories.ChannelFactory(name="North Herts on Instagram", handle="NorthHertsDC", platform=Platform.INSTAGRAM)


@pytest.fixture
def page(db):
    return factories.ChannelFactory(name="NHDC Facebook page", handle=PAGE_ID, platform=Platform.FACEBOOK)


def api_for(*channels) -> APIClient:
    _, token = services.integration_create(actor=None, name="Social inbox", channels=list(channels))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def item(n=1, /, **overrides):
    data = {
        "channel": "northhertsdc",
        "external_id": f"ext-{n}",
        "author_handle": f"@resident_{n}",
        "text": f"Comment number {n}",
        "posted_at": "2025-03-01T14:05:00Z",
    }
    data.update(overrides)
    return data


def post_raw(client, body: bytes):
    return client.post(POSTS_URL, data=body, content_type="application/json")


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def assert_json_400(response):
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


# --- item 8: JSON nested thousands deep ------------------------------------------------------------


class TestDeepNesting:
    @pytest.mark.parametrize("depth", [intake.MAX_JSON_DEPTH + 1, 950, 5_000, 100_000])
    def test_api_answers_400_json(self, facebook, depth):
        assert_json_400(post_raw(api_for(facebook), nested(depth)))

    @pytest.mark.parametrize("depth", [950, 100_000])
    def test_api_deep_inside_an_item_is_400_json(self, facebook, depth):
        body = b'{"channel": "northhertsdc", "text": ' + nested(depth) + b"}"
        assert_json_400(post_raw(api_for(facebook), body))

    @pytest.mark.parametrize("depth", [950, 100_000])
    def test_webhook_answers_400_json(self, client, page, depth):
        body = b'{"object": "page", "entry": ' + nested(depth) + b"}"
        response = send(client, None, raw=body)
        assert_json_400(response)
        assert Post.objects.count() == 0

    def test_brackets_inside_strings_are_not_nesting(self, facebook):
        response = post_raw(api_for(facebook), json.dumps(item(1, text="[[[[{{{{" * 500)).encode())
        assert response.status_code == 201
        assert Post.objects.get().text.startswith("[[[[{{{{")

    @pytest.mark.parametrize(
        "body",
        [b'"' + b'\\"' * 1_000_000, b'["' * 700_000, b"[" * 2_000_000, b'"' * 2_000_000],
        ids=["unclosed-escaped-quotes", "open-strings", "brackets", "quotes"],
    )
    def test_the_depth_check_takes_linear_time(self, facebook, body):
        started = time.perf_counter()
        response = post_raw(api_for(facebook), body)
        assert response.status_code == 400
        assert time.perf_counter() - started < 5  # a backtracking string pattern took hours here

    def test_depth_at_the_limit_is_read(self):
        value = intake.json_load(b"[" * intake.MAX_JSON_DEPTH + b"]" * intake.MAX_JSON_DEPTH)
        assert isinstance(value, list)


# --- item 9: lone surrogates and other characters nothing can store ------------------------------


def raw_item(n, **fields) -> str:
    """One item as JSON text, with ``fields`` spliced in verbatim (so "\\ud800" stays an escape)."""
    base = json.dumps({k: v for k, v in item(n).items() if k not in fields})[:-1]
    return base + "".join(f', "{k}": "{v}"' for k, v in fields.items()) + "}"


class TestBadCharactersInTheApi:
    @pytest.mark.parametrize("field", ["external_id", "author_handle", "channel", "url", "posted_at", "in_reply_to"])
    def test_a_lone_surrogate_in_an_identifier_refuses_that_item_only(self, facebook, field):
        body = "[" + raw_item(1) + ", " + raw_item(2, **{field: "abc\\ud800"}) + ", " + raw_item(3) + "]"
        response = post_raw(api_for(facebook), body.encode())
        assert response.status_code == 207, response.content[:500]
        assert response["Content-Type"].startswith("application/json")
        items = response.json()["items"]
        assert [i["status"] for i in items] == ["created", "invalid", "created"]
        assert "cannot be stored" in items[1]["errors"][field][0]
        assert sorted(Post.objects.values_list("external_id", flat=True)) == ["ext-1", "ext-3"]

    @pytest.mark.parametrize("field", ["text", "author_display_name"])
    def test_a_lone_surrogate_in_free_text_is_replaced(self, facebook, field):
        body = "[" + raw_item(1, **{field: "bad \\ud800 and \\udfff end"}) + "]"
        response = post_raw(api_for(facebook), body.encode())
        assert response.status_code == 201, response.content[:500]
        stored = Post.objects.select_related("account").get()
        value = stored.text if field == "text" else stored.account.display_name
        assert value == "bad \ufffd and \ufffd end"

    def test_control_characters_are_dropped_from_text_but_lines_kept(self, facebook):
        text = "line one\r\nline\ttwo\x07\x1b[31m\x7f\x85 end\x00"
        response = post_raw(api_for(facebook), json.dumps([item(1, text=text)]).encode())
        assert response.status_code == 201
        assert Post.objects.get().text == "line one\r\nline\ttwo[31m end"

    @pytest.mark.parametrize("value", ["ab\x07c", "a\nb", "a\x1b"])
    def test_control_characters_in_an_identifier_refuse_the_item(self, facebook, value):
        response = post_raw(api_for(facebook), json.dumps([item(1, external_id=value), item(2)]).encode())
        assert response.status_code == 207
        assert [i["status"] for i in response.json()["items"]] == ["invalid", "created"]

    def test_a_surrogate_pair_written_as_escapes_is_a_character(self, facebook):
        body = "[" + raw_item(1, text="smile \\ud83d\\ude00") + "]"
        assert post_raw(api_for(facebook), body.encode()).status_code == 201
        assert Post.objects.get().text == "smile \U0001f600"


class TestBadCharactersInAWebhookDelivery:
    def delivery(self, bad_value: dict) -> bytes:
        payload = fb_change(comment_id="1111_1")
        good = payload["entry"][0]["changes"][0]
        bad = {"field": "feed", "value": {**good["value"], "comment_id": "1111_2", **bad_value}}
        after = {"field": "feed", "value": {**good["value"], "comment_id": "1111_3"}}
        payload["entry"][0]["changes"] = [good, bad, after]
        return json.dumps(payload).replace("SURROGATE", "\\ud800").encode()

    @pytest.mark.parametrize(
        "bad_value",
        [
            {"message": "abuse SURROGATE"},
            {"from": {"id": "9001SURROGATE", "name": "A. Resident"}},
            {"from": {"id": "9001", "name": "A. SURROGATE Resident"}},
            {"comment_id": "1111_SURROGATE"},
            {"parent_id": "1111_SURROGATE"},
        ],
    )
    def test_the_other_comments_are_stored(self, client, page, bad_value):
        response = send(client, None, raw=self.delivery(bad_value))
        assert response.status_code == 200
        stored = set(Post.objects.values_list("external_id", flat=True))
        assert {"1111_1", "1111_3"} <= stored

    def test_a_surrogate_in_the_message_is_replaced(self, client, page):
        send(client, None, raw=self.delivery({"message": "abuse SURROGATE"}))
        assert Post.objects.get(external_id="1111_2").text == "abuse \ufffd"

    def test_an_edit_with_a_surrogate_keeps_the_delivery_going(self, client, page):
        send(client, fb_change(comment_id="1111_1"))
        payload = fb_change("edited", comment_id="1111_1", message="edited SURROGATE")
        payload["entry"][0]["changes"].append(fb_change(comment_id="1111_5")["entry"][0]["changes"][0])
        response = send(client, None, raw=json.dumps(payload).replace("SURROGATE", "\\ud800").encode())
        assert response.status_code == 200
        assert Post.objects.get(external_id="1111_1").text == "edited \ufffd"
        assert Post.objects.filter(external_id="1111_5").exists()

    def test_an_unexpected_failure_in_one_event_does_not_lose_the_others(self, page, monkeypatch):
        real = services.posts_ingest

        def explode_on_the_second(*, integration, items, atomic=False):
            if items[0]["external_id"] == "1111_2":
                raise RuntimeError("a bug")
            return real(integration=integration, items=items, atomic=atomic)

        monkeypatch.setattr(services, "posts_ingest", explode_on_the_second)
        payload = json.loads(self.delivery({}))
        counts = webhooks.meta_events_apply(payload=payload)
        assert counts["failed"] == 1
        assert set(Post.objects.values_list("external_id", flat=True)) == {"1111_1", "1111_3"}


# --- item 10: one handle, two channels -----------------------------------------------------------


class TestSharedHandle:
    def test_api_refuses_an_ambiguous_handle_naming_the_channels(self, facebook, instagram):
        response = post_raw(api_for(facebook, instagram), json.dumps(item(1)).encode())
        assert response.status_code == 422
        message = response.json()["items"][0]["errors"]["channel"][0]
        assert "North Herts Council (Facebook)" in message
        assert "North Herts on Instagram (Instagram)" in message
        assert "platform" in message
        assert Post.objects.count() == 0

    @pytest.mark.parametrize(("platform", "expected"), [("facebook", "facebook"), ("Instagram", "instagram")])
    def test_api_resolves_by_platform(self, facebook, instagram, platform, expected):
        response = post_raw(api_for(facebook, instagram), json.dumps(item(1, platform=platform)).encode())
        assert response.status_code == 201
        assert Post.objects.get().channel.platform == expected

    def test_api_unknown_platform_is_a_field_error(self, facebook, instagram):
        response = post_raw(api_for(facebook, instagram), json.dumps(item(1, platform="myspace")).encode())
        assert response.status_code == 422
        assert "platform" in response.json()["items"][0]["errors"]

    def test_api_handle_with_at_and_case(self, facebook):
        response = post_raw(api_for(facebook), json.dumps(item(1, channel=" @NorthHertsDC")).encode())
        assert response.status_code == 201

    def test_an_integration_allowed_one_of_the_two_means_that_one(self, facebook, instagram):
        response = post_raw(api_for(instagram), json.dumps(item(1)).encode())
        assert response.status_code == 201
        assert Post.objects.get().channel == instagram

    def test_one_function_resolves_channels(self, facebook, instagram):
        channels = [facebook, instagram]
        assert intake.channel_resolve("@NORTHHERTSDC", channels=channels, platform="instagram") == instagram
        assert intake.channel_resolve(facebook.pk, channels=channels) == facebook
        assert intake.channel_resolve(str(instagram.pk), channels=channels) == instagram
        with pytest.raises(intake.ChannelRefused, match="Facebook.*Instagram"):
            intake.channel_resolve("northhertsdc", channels=channels)
        with pytest.raises(intake.ChannelRefused, match="Unknown channel"):
            intake.channel_resolve("nosuch", channels=channels)

    def test_integration_create_refuses_an_ambiguous_handle(self, facebook, instagram):
        with pytest.raises(CommandError, match="North Herts Council \\(Facebook\\).*North Herts on Instagram"):
            call_command("integration_create", "Script", "--channel", "northhertsdc", stdout=io.StringIO())
        assert not Integration.objects.filter(name="Script").exists()

    def test_integration_create_by_platform_and_at_handle(self, facebook, instagram):
        out = io.StringIO()
        instagram.handle = "north_herts"
        instagram.save()
        call_command("integration_create", "Script", "--channel", "@North_Herts", stdout=out)
        assert list(Integration.objects.get(name="Script").channels.all()) == [instagram]
        call_command("integration_create", "Script 2", "--channel", "facebook:@NorthHertsDC", stdout=out)
        assert list(Integration.objects.get(name="Script 2").channels.all()) == [facebook]

    def test_integration_create_unknown_handle(self, facebook):
        with pytest.raises(CommandError, match="nosuch"):
            call_command("integration_create", "Script", "--channel", "nosuch", stdout=io.StringIO())


# --- item 12: edits, dates, 404s, drama-range numbers ---------------------------------------------


class TestEditsKeepEveryVersion:
    def test_a_webhook_edit_keeps_the_original_text(self, client, page):
        send(client, fb_change(comment_id="1111_1", message="You are scum."))
        send(client, fb_change("edited", comment_id="1111_1", message="You are wrong."))
        send(client, fb_change("edited", comment_id="1111_1", message="Fair enough."))
        post = Post.objects.get()
        assert post.text == "Fair enough."
        assert [r.text for r in post.text_revisions.all()] == ["You are scum.", "You are wrong."]
        assert all(r.received_at and r.kind == "replaced" for r in post.text_revisions.all())

    def test_a_replayed_edit_adds_no_version(self, client, page):
        send(client, fb_change(comment_id="1111_1", message="You are scum."))
        edit = fb_change("edited", comment_id="1111_1", message="You are wrong.")
        send(client, edit)
        send(client, edit)
        assert PostTextRevision.objects.count() == 1

    def test_an_edit_of_a_post_in_a_case_is_kept_beside_what_staff_recorded(self, client, page):
        send(client, fb_change(comment_id="1111_1", message="You are scum."))
        post = Post.objects.get()
        case = factories.OpenCaseFactory(posts=[], channel=page, account=post.account)
        Post.objects.filter(pk=post.pk).update(case=case)
        send(client, fb_change("edited", comment_id="1111_1", message="Nothing to see."))
        post.refresh_from_db()
        assert post.text == "You are scum."
        (revision,) = post.text_revisions.all()
        assert revision.text == "Nothing to see."
        assert revision.kind == PostTextRevision.Kind.NOT_APPLIED

    def test_deleting_for_personal_data_redacts_every_version(self, client, page, officer):
        make_rule(FlagKind.PHONE_NUMBER, name="Phone numbers")
        send(client, fb_change(comment_id="1111_1", message="ring me 07911 123456"))
        send(client, fb_change("edited", comment_id="1111_1", message="ring me"))
        post = Post.objects.get()
        case = factories.OpenCaseFactory(posts=[], channel=page, account=post.account)
        Post.objects.filter(pk=post.pk).update(case=case)
        services.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
        assert "07911" not in json.dumps(list(PostTextRevision.objects.values_list("text", flat=True)))
        assert "07911" not in Post.objects.get().text


class TestPostedAtRule:
    @pytest.mark.parametrize(
        "posted_at",
        [
            "3000-01-01T00:00:00Z",
            "future",  # seven days ahead, filled in below
            "2025-03-30T01:30:00",  # London's clocks went from 01:00 to 02:00
        ],
    )
    def test_api_refuses_what_the_csv_import_refuses(self, facebook, posted_at):
        if posted_at == "future":
            posted_at = (clock.now() + timedelta(days=7)).isoformat()
        response = post_raw(api_for(facebook), json.dumps(item(1, posted_at=posted_at)).encode())
        assert response.status_code == 422
        assert response.json()["items"][0]["errors"]["posted_at"]
        with pytest.raises(ValueError, match="London|between 1970|future"):  # as the CSV import refuses it
            csvfiles.parse_export_time(posted_at, now=clock.now())

    def test_within_a_day_ahead_and_the_repeated_autumn_hour_are_accepted(self, facebook):
        soon = (clock.now() + timedelta(hours=20)).isoformat()
        response = post_raw(
            api_for(facebook),
            json.dumps([item(1, posted_at=soon), item(2, posted_at="2025-10-26T01:30:00")]).encode(),
        )
        assert response.status_code == 201
        autumn = Post.objects.get(external_id="ext-2").posted_at
        assert autumn.isoformat() == "2025-10-26T00:30:00+00:00"  # the first 01:30 (BST)


class TestJson404:
    @pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/posts/1/", "/api/v1/cases/x", "/api/v1/"])
    def test_unknown_api_urls_answer_json(self, client, db, path):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]

    def test_a_missing_slash_is_named(self, client, db):
        response = client.post("/api/v1/posts", data="{}", content_type="application/json")
        assert response.status_code == 404
        assert "/api/v1/posts/" in response.json()["detail"]


class TestDramaRangeNumbers:
    @pytest.mark.parametrize(
        "text", ["call 07700 900123", "ring +44 7700 900461", "07700900999", "01632 960123", "0113 496 0000"]
    )
    def test_ofcom_drama_numbers_are_flagged(self, db, text):
        assert flags.has_uk_phone_number(text)

    def test_a_drama_number_in_a_post_raises_a_phone_flag(self, channel):
        rule = make_rule(FlagKind.PHONE_NUMBER, name="Phone numbers")
        post = factories.PostFactory(channel=channel, text="my number is 07700 900123")
        flags.flags_evaluate(posts=[post])
        assert Flag.objects.get().rule == rule
