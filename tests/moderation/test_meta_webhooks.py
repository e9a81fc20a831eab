"""Meta webhooks: handshake, signature, Facebook feed and Instagram comments, replays, visibility, bad input."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging

import pytest
from django.core.management import call_command

from moderation import services, webhooks
from moderation.constants import Platform, PostKind, Visibility
from moderation.models import Integration, Post, SocialAccount
from tests import factories

URL = "/api/v1/webhooks/meta/"
SECRET = "test-app-secret"
VERIFY = "test-verify-token"
PAGE_ID = "104857600123"
IG_ID = "17841400000000001"


@pytest.fixture(autouse=True)
def _meta_settings(settings):
    settings.META_APP_SECRET = SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = VERIFY


@pytest.fixture
def page(db):
    return factories.ChannelFactory(name="NHDC Facebook", handle=PAGE_ID, platform=Platform.FACEBOOK)


@pytest.fixture
def insta(db):
    return factories.ChannelFactory(
        name="NHDC Instagram",
        handle="northhertsdc",
        platform=Platform.INSTAGRAM,
        url=f"https://business.facebook.com/latest/home?asset_id={IG_ID}",
    )


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(client, payload, *, signature=..., raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signature is ...:
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


def fb_change(verb="add", comment_id="1111_2222", *, page_id=PAGE_ID, field="feed", item="comment", **value):
    data = {
        "item": item,
        "verb": verb,
        "comment_id": comment_id,
        "post_id": "1111",
        "parent_id": "1111",
        "message": "You lot are useless.",
        "from": {"id": "9001", "name": "A. Resident"},
        "created_time": 1740837900,  # 2025-03-01T14:05:00Z
    }
    data.update(value)
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": 1740837901, "changes": [{"field": field, "value": data}]}],
    }


def ig_change(comment_id="18000000000000001", **value):
    data = {
        "id": comment_id,
        "text": "Rubbish service.",
        "from": {"id": "178400", "username": "Angry_Resident"},
        "media": {"id": "17900000000000009", "media_product_type": "FEED"},
    }
    data.update(value)
    return {
        "object": "instagram",
        "entry": [{"id": IG_ID, "time": 1740837901, "changes": [{"field": "comments", "value": data}]}],
    }


class TestHandshake:
    def handshake(self, client, token=VERIFY, mode="subscribe"):
        return client.get(URL, {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": "1158201444"})

    def test_right_token_answers_the_challenge(self, client, db):
        response = self.handshake(client)
        assert response.status_code == 200
        assert response.content == b"1158201444"
        assert response["Content-Type"].startswith("text/plain")

    def test_wrong_token_is_refused(self, client, db):
        assert self.handshake(client, token="guess").status_code == 403
        assert self.handshake(client, mode="unsubscribe").status_code == 403
        assert client.get(URL).status_code == 403

    def test_no_token_configured_is_refused(self, client, db, settings):
        settings.META_WEBHOOK_VERIFY_TOKEN = ""
        assert self.handshake(client, token="").status_code == 403


class TestSignature:
    def test_signed_delivery_is_accepted(self, client, page):
        response = send(client, fb_change())
        assert response.status_code == 200
        assert response.json() == {"received": True}

    @pytest.mark.parametrize("signature", [None, "", "sha256=", "sha256=" + "0" * 64, "sha1=abc", "sha256=ünïcode"])
    def test_missing_or_wrong_signature_is_refused_and_logged(self, client, page, caplog, signature):
        with caplog.at_level(logging.WARNING, logger="moderation.webhooks"):
            response = send(client, fb_change(), signature=signature)
        assert response.status_code == 403
        assert Post.objects.count() == 0
        assert any(r.name == "moderation.webhooks" for r in caplog.records)
        assert "useless" not in caplog.text  # never the body's content

    def test_signed_with_another_secret_is_refused(self, client, page):
        body = json.dumps(fb_change()).encode()
        assert send(client, None, raw=body, signature=sign(body, "other-secret")).status_code == 403
        assert Post.objects.count() == 0

    def test_tampered_body_is_refused(self, client, page):
        body = json.dumps(fb_change()).encode()
        tampered = body.replace(b"useless", b"helpful")
        assert send(client, None, raw=tampered, signature=sign(body)).status_code == 403
        assert Post.objects.count() == 0

    def test_no_secret_configured_refuses_everything(self, client, page, settings):
        settings.META_APP_SECRET = ""
        body = json.dumps(fb_change()).encode()
        assert send(client, None, raw=body, signature=sign(body, "")).status_code == 403
        assert Post.objects.count() == 0


class TestBadInput:
    def test_malformed_json_is_a_400(self, client, db):
        assert send(client, None, raw=b'{"object": "page", ').status_code == 400
        assert send(client, None, raw=b"\xff\xfe").status_code == 400
        assert send(client, None, raw=b"[1, 2]").status_code == 400

    def test_ten_megabytes_is_a_413(self, client, db):
        body = b'{"object": "page", "x": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        response = send(client, None, raw=body)
        assert response.status_code == 413
        assert Post.objects.count() == 0

    def test_nonsense_shapes_are_acknowledged_and_ignored(self, client, page):
        for payload in [{}, {"object": "page", "entry": "x"}, {"object": "page", "entry": [1, {"changes": [None]}]}]:
            assert send(client, payload).status_code == 200
        bad_value = fb_change(comment_id=["x"], created_time="soon", message=5, **{"from": "nobody"})
        assert send(client, bad_value).status_code == 200
        assert Post.objects.count() == 0


class TestFacebook:
    def test_comment_add_creates_a_post_on_the_channel(self, client, page):
        factories.ChannelFactory(name="Another page", handle="555", platform=Platform.FACEBOOK)
        assert send(client, fb_change()).status_code == 200
        post = Post.objects.get()
        assert post.channel == page
        assert post.external_id == "1111_2222"
        assert post.text == "You lot are useless."
        assert post.kind == PostKind.COMMENT
        assert post.in_reply_to == "1111"
        assert post.posted_at.isoformat() == "2025-03-01T14:05:00+00:00"
        assert post.case is None
        assert post.ingested_by.name == webhooks.META_INTEGRATION_NAME
        account = post.account
        assert (account.platform, account.handle) == (Platform.FACEBOOK, "9001")
        assert account.platform_user_id == "9001"
        assert account.display_name == "A. Resident"

    def test_reply_to_a_comment_is_a_reply(self, client, page):
        send(client, fb_change(comment_id="1111_3333", parent_id="1111_2222"))
        post = Post.objects.get()
        assert post.kind == PostKind.REPLY
        assert post.in_reply_to == "1111_2222"

    def test_channel_found_by_its_url(self, client, db):
        channel = factories.ChannelFactory(
            handle="northhertsdc", platform=Platform.FACEBOOK, url=f"https://www.facebook.com/profile.php?id={PAGE_ID}"
        )
        factories.ChannelFactory(handle="near", platform=Platform.FACEBOOK, url=f"https://x.example/?id={PAGE_ID}9")
        send(client, fb_change())
        assert Post.objects.get().channel == channel

    def test_replay_creates_nothing_new(self, client, page):
        payload = fb_change()
        send(client, payload)
        assert send(client, payload).status_code == 200
        assert Post.objects.count() == 1
        assert SocialAccount.objects.count() == 1
        assert Integration.objects.filter(name=webhooks.META_INTEGRATION_NAME).count() == 1

    def test_nul_characters_are_removed(self, client, page):
        send(client, fb_change(message="bad\x00word"))
        assert Post.objects.get().text == "badword"

    def test_edited_updates_the_text(self, client, page):
        send(client, fb_change())
        send(client, fb_change("edited", message="You lot are great."))
        assert Post.objects.get().text == "You lot are great."

    def test_a_comment_edited_into_abuse_is_flagged(self, client, page):
        from moderation.constants import FlagKind
        from moderation.models import Flag, FlagRule

        rule = FlagRule.objects.create(
            name="Insults", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=factories.rule("abusive")
        )
        send(client, fb_change(message="Thanks for the update."))
        assert not Flag.objects.exists()
        send(client, fb_change("edited", message="Thanks, idiots."))
        flag = Flag.objects.get()
        assert (flag.rule, flag.post.text) == (rule, "Thanks, idiots.")
        send(client, fb_change("edited", message="Thanks, idiots!"))  # flagged once per rule
        assert Flag.objects.count() == 1

    def test_edit_without_a_message_keeps_the_text(self, client, page):
        send(client, fb_change())
        change = fb_change("edited")
        del change["entry"][0]["changes"][0]["value"]["message"]
        send(client, change)
        assert Post.objects.get().text == "You lot are useless."

    def test_edit_of_an_unknown_comment_stores_it(self, client, page):
        send(client, fb_change("edited", message="Edited before we saw it."))
        assert Post.objects.get().text == "Edited before we saw it."

    def test_hide_remove_and_unhide_an_uncased_post(self, client, page):
        send(client, fb_change())
        send(client, fb_change("hide"))
        post = Post.objects.get()
        assert post.visibility == Visibility.HIDDEN
        assert post.visibility_changed_at is not None
        assert post.visibility_changed_by is None
        send(client, fb_change("unhide"))
        assert Post.objects.get().visibility == Visibility.RESTORED
        send(client, fb_change("remove"))
        assert Post.objects.get().visibility == Visibility.DELETED
        send(client, fb_change("unhide"))  # a deleted post stays deleted
        assert Post.objects.get().visibility == Visibility.DELETED

    def test_unhide_of_a_visible_post_changes_nothing(self, client, page):
        send(client, fb_change())
        send(client, fb_change("unhide"))
        assert Post.objects.get().visibility == Visibility.VISIBLE

    def test_a_post_in_a_case_keeps_what_staff_recorded(self, client, page):
        case = factories.OpenCaseFactory(channel=page, account__platform=Platform.FACEBOOK, posts=[])
        post = factories.PostFactory(case=case, channel=page, account=case.account, external_id="1111_2222")
        send(client, fb_change("edited", message="Nothing to see here."))
        send(client, fb_change("hide"))
        post.refresh_from_db()
        assert post.text == "You lot are useless idiots."
        assert post.visibility == Visibility.VISIBLE
        assert case.events.count() == 0

    def test_visibility_of_an_unknown_post_is_ignored(self, client, page):
        assert send(client, fb_change("remove")).status_code == 200
        assert Post.objects.count() == 0

    @pytest.mark.parametrize(
        "change",
        [
            {"field": "ratings"},
            {"item": "reaction"},
            {"item": "status"},
            {"verb": "block"},
        ],
    )
    def test_unhandled_events_are_acknowledged_and_ignored(self, client, page, change):
        assert send(client, fb_change(**change)).status_code == 200
        assert Post.objects.count() == 0

    def test_unknown_page_is_ignored(self, client, page, caplog):
        with caplog.at_level(logging.WARNING, logger="moderation.webhooks"):
            assert send(client, fb_change(page_id="999")).status_code == 200
        assert Post.objects.count() == 0
        assert "999" in caplog.text

    def test_inactive_channel_is_ignored(self, client, page):
        page.is_active = False
        page.save()
        send(client, fb_change())
        assert Post.objects.count() == 0

    def test_the_pages_own_comments_are_ignored(self, client, page):
        send(client, fb_change(**{"from": {"id": PAGE_ID, "name": "NHDC"}}))
        assert Post.objects.count() == 0

    def test_a_revoked_integration_stops_ingestion(self, client, page):
        integration = webhooks.meta_integration()
        services.integration_revoke(actor=None, integration=integration)
        assert send(client, fb_change()).status_code == 200
        assert Post.objects.count() == 0

    def test_one_bad_event_does_not_lose_the_others(self, client, page):
        payload = fb_change()
        good = payload["entry"][0]["changes"][0]
        no_author = {"field": "feed", "value": {**good["value"], "comment_id": "1111_9", "from": {}}}
        second = {"field": "feed", "value": {**good["value"], "comment_id": "1111_3"}}
        payload["entry"][0]["changes"] = [good, no_author, second]
        assert send(client, payload).status_code == 200
        assert sorted(Post.objects.values_list("external_id", flat=True)) == ["1111_2222", "1111_3"]


class TestInstagram:
    def test_comment_creates_a_post(self, client, insta, page):
        assert send(client, ig_change()).status_code == 200
        post = Post.objects.get()
        assert post.channel == insta
        assert post.external_id == "18000000000000001"
        assert post.text == "Rubbish service."
        assert post.in_reply_to == "17900000000000009"
        assert post.kind == PostKind.COMMENT
        assert (post.account.platform, post.account.handle) == (Platform.INSTAGRAM, "angry_resident")
        assert post.account.platform_user_id == "178400"

    def test_reply_and_replay(self, client, insta):
        payload = ig_change("18000000000000002", parent_id="18000000000000001")
        send(client, payload)
        send(client, payload)
        post = Post.objects.get()
        assert post.kind == PostKind.REPLY
        assert post.in_reply_to == "18000000000000001"

    def test_other_instagram_fields_are_ignored(self, client, insta):
        payload = ig_change()
        payload["entry"][0]["changes"][0]["field"] = "mentions"
        assert send(client, payload).status_code == 200
        assert Post.objects.count() == 0


def test_webhook_is_not_in_the_schema(db):
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    assert "webhooks" not in out.getvalue()
