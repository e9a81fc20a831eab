"""The REST API: token auth, ingest (single, batch, idempotent, partial, atomic, bad input), reads, schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from escalation.constants import AppealStatus, BlockStatus
from moderation import clock, services
from moderation.constants import Platform
from moderation.models import CaseEvent, Integration, Post, SocialAccount
from tests import factories

POSTS_URL = "/api/v1/posts/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def integration_and_token(db, channel):
    integration, token = services.integration_create(actor=None, name="Sprout export", channels=[channel])
    return integration, token


@pytest.fixture
def api(integration_and_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {integration_and_token[1]}")
    return client


def item(ch, n=1, /, **overrides):
    data = {
        "channel": ch.handle,
        "external_id": f"ext-{n}",
        "author_handle": f"@Resident_{n}",
        "author_platform_id": f"uid-{n}",
        "author_display_name": f"Resident {n}",
        "text": f"Comment number {n}",
        "url": f"https://www.facebook.com/northhertsdc/posts/{n}",
        "kind": "comment",
        "posted_at": "2025-03-01T14:05:00Z",
    }
    data.update(overrides)
    return data


def post(client, body, **params):
    url = POSTS_URL + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    return client.post(url, data=json.dumps(body), content_type="application/json")


class TestTokenAuth:
    def test_token_is_stored_only_as_a_hash(self, integration_and_token):
        integration, token = integration_and_token
        integration.refresh_from_db()
        assert token not in (integration.token_hash, integration.token_prefix)
        assert integration.token_hash == services.token_hash(token)

    def test_missing_token_is_refused(self, db, channel):
        response = post(APIClient(), item(channel))
        assert response.status_code == 401
        assert response.json()["detail"]
        assert Post.objects.count() == 0

    def test_wrong_token_is_refused(self, db, channel):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token mc_not-a-real-token")
        assert post(client, item(channel)).status_code == 401
        assert client.get("/api/v1/cases/").status_code == 401

    def test_revoked_token_is_refused(self, api, integration_and_token, channel, manager):
        integration, _ = integration_and_token
        services.integration_revoke(actor=manager, integration=integration)
        integration.refresh_from_db()
        assert not integration.is_active
        assert integration.revoked_at
        assert integration.revoked_by == manager
        assert post(api, item(channel)).status_code == 401
        assert Post.objects.count() == 0

    def test_revoke_twice_is_harmless(self, integration_and_token):
        integration, _ = integration_and_token
        first = services.integration_revoke(actor=None, integration=integration)
        second = services.integration_revoke(actor=None, integration=integration)
        assert first.revoked_at == second.revoked_at

    def test_a_person_cannot_send_posts(self, officer, channel):
        client = APIClient()
        client.force_authenticate(officer)
        assert post(client, item(channel)).status_code == 403

    def test_a_signed_in_reader_can_read(self, officer):
        client = APIClient()
        client.force_login(officer)
        assert client.get("/api/v1/cases/").status_code == 200

    def test_a_user_without_a_casework_role_cannot_read(self, db):
        client = APIClient()
        client.force_login(factories.UserFactory(username="nobody"))
        assert client.get("/api/v1/cases/").status_code == 403


class TestIngest:
    def test_single_post_is_stored_without_a_case(self, api, channel, integration_and_token):
        response = post(api, item(channel, in_reply_to="parent-1"))
        assert response.status_code == 201
        body = response.json()
        assert body["created"] == 1
        assert body["exists"] == 0
        assert body["invalid"] == 0
        stored = Post.objects.get(pk=body["items"][0]["id"])
        assert stored.case is None
        assert stored.channel == channel
        assert stored.external_id == "ext-1"
        assert stored.in_reply_to == "parent-1"
        assert stored.ingested_by == integration_and_token[0]
        assert stored.account.handle == "resident_1"
        assert stored.account.platform == channel.platform
        assert stored.account.display_name == "Resident 1"
        assert stored.account.platform_user_id == "uid-1"
        # ingest is not a state change of a case: no timeline event
        assert CaseEvent.objects.count() == 0

    def test_channel_by_id(self, api, channel):
        assert post(api, item(channel, channel=channel.pk)).status_code == 201

    def test_batch_and_idempotent_resend(self, api, channel):
        batch = [item(channel, n) for n in range(5)]
        first = post(api, batch)
        assert first.status_code == 201
        assert first.json()["created"] == 5
        again = post(api, batch)
        assert again.status_code == 200
        body = again.json()
        assert body["created"] == 0
        assert body["exists"] == 5
        assert [i["status"] for i in body["items"]] == ["exists"] * 5
        assert [i["id"] for i in body["items"]] == [i["id"] for i in first.json()["items"]]
        assert Post.objects.count() == 5

    def test_repeat_inside_one_batch_is_stored_once(self, api, channel):
        body = post(api, [item(channel, 1), item(channel, 1)]).json()
        assert [i["status"] for i in body["items"]] == ["created", "exists"]
        assert body["items"][0]["id"] == body["items"][1]["id"]
        assert Post.objects.count() == 1

    def test_known_author_is_reused(self, api, channel):
        existing = factories.SocialAccountFactory(platform=channel.platform, handle="resident_1", display_name="")
        post(api, item(channel, 1, author_handle="@RESIDENT_1"))
        existing.refresh_from_db()
        assert SocialAccount.objects.count() == 1
        assert existing.display_name == "Resident 1"

    def test_partial_failure_stores_the_good_items(self, api, channel):
        batch = [
            item(channel, 1),
            item(channel, 2, external_id="", posted_at="yesterday"),
            item(channel, 3, kind="shout", url="not a url"),
            "not an object",
        ]
        response = post(api, batch)
        assert response.status_code == 207
        body = response.json()
        assert [i["status"] for i in body["items"]] == ["created", "invalid", "invalid", "invalid"]
        assert set(body["items"][1]["errors"]) == {"external_id", "posted_at"}
        assert set(body["items"][2]["errors"]) == {"kind", "url"}
        assert body["items"][3]["errors"]["non_field_errors"]
        assert list(Post.objects.values_list("external_id", flat=True)) == ["ext-1"]

    def test_atomic_stores_nothing_when_one_item_is_bad(self, api, channel):
        response = post(api, [item(channel, 1), item(channel, 2, author_handle="")], atomic="true")
        assert response.status_code == 422
        assert [i["status"] for i in response.json()["items"]] == ["skipped", "invalid"]
        assert Post.objects.count() == 0
        assert SocialAccount.objects.count() == 0

    def test_atomic_stores_all_when_all_good(self, api, channel):
        response = post(api, [item(channel, 1), item(channel, 2)], atomic="true")
        assert response.status_code == 201
        assert Post.objects.count() == 2

    def test_all_invalid_is_422(self, api, channel):
        assert post(api, [{"text": "no channel"}]).status_code == 422

    def test_batch_of_1000_is_a_handful_of_queries(self, api, channel, django_assert_max_num_queries):
        batch = [item(channel, n) for n in range(1000)]
        with django_assert_max_num_queries(20):
            response = post(api, batch)
        assert response.status_code == 201
        assert response.json()["created"] == 1000
        assert Post.objects.count() == 1000
        assert SocialAccount.objects.count() == 1000

    def test_1001_items_are_refused(self, api, channel):
        response = post(api, [item(channel, n) for n in range(1001)])
        assert response.status_code == 400
        assert "1000" in response.json()["detail"]
        assert Post.objects.count() == 0

    def test_empty_list_is_refused(self, api):
        assert post(api, []).status_code == 400

    def test_nul_bytes_are_removed(self, api, channel):
        response = post(api, item(channel, 1, text="bad\u0000text", author_display_name="A\u0000B"))
        assert response.status_code == 201
        stored = Post.objects.get()
        assert stored.text == "badtext"
        assert stored.account.display_name == "AB"

    def test_nul_only_external_id_is_invalid(self, api, channel):
        response = post(api, item(channel, 1, external_id="\u0000"))
        assert response.status_code == 422
        assert "external_id" in response.json()["items"][0]["errors"]

    def test_raw_nul_byte_in_body_is_a_400(self, api):
        response = api.post(POSTS_URL, data=b'{"text": "a\x00b"}', content_type="application/json")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")

    @pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2", b'"a string"', b"42"])
    def test_malformed_json_is_a_400_json_error(self, api, body):
        response = api.post(POSTS_URL, data=body, content_type="application/json")
        assert response.status_code == 400
        assert "detail" in response.json()

    def test_wrong_content_type_is_a_415(self, api):
        assert api.post(POSTS_URL, data="a=b", content_type="application/x-www-form-urlencoded").status_code == 415

    def test_bad_atomic_value_is_a_400(self, api, channel):
        assert post(api, item(channel), atomic="perhaps").status_code == 400

    def test_too_large_body_is_a_413(self, api, channel, settings):
        settings.API_MAX_BODY_BYTES = 10_000
        response = post(api, item(channel, text="x" * 20_000))
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]
        assert Post.objects.count() == 0

    def test_default_limit_is_two_megabytes(self):
        assert settings.API_MAX_BODY_BYTES == 2 * 1024 * 1024

    def test_ten_megabytes_is_a_413(self, api):
        body = b'{"text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        assert api.post(POSTS_URL, data=body, content_type="application/json").status_code == 413

    def test_unknown_channel_and_channel_not_allowed(self, api, channel):
        other = factories.ChannelFactory(name="Other page", handle="otherpage")
        response = post(api, [item(channel, 1, channel="nosuchpage"), item(channel, 2, channel=other.handle)])
        assert response.status_code == 422
        errors = [i["errors"]["channel"][0] for i in response.json()["items"]]
        assert errors[0] == "Unknown channel."
        assert "may not send posts" in errors[1]
        assert Post.objects.count() == 0

    def test_inactive_channel_is_refused(self, api, channel):
        channel.is_active = False
        channel.save()
        assert post(api, item(channel)).status_code == 422

    def test_wrong_types_are_field_errors(self, api, channel):
        response = post(api, item(channel, text=["a"], author_handle={"x": 1}, channel=True))
        assert response.status_code == 422
        assert set(response.json()["items"][0]["errors"]) == {"text", "author_handle", "channel"}

    def test_case_record_picks_up_an_ingested_post(self, api, channel, officer):
        post(api, item(channel, 1))
        ingested = Post.objects.get()
        result = services.case_record(
            actor=officer,
            platform=channel.platform,
            handle="resident_1",
            posts=[services.PostData(channel=channel, posted_at=clock.now(), external_id="ext-1")],
            rules=[factories.rule("abusive")],
            reason="Abusive.",
        )
        ingested.refresh_from_db()
        assert ingested.case == result.case
        event = CaseEvent.objects.get(case=result.case)
        assert event.actor == officer  # the person who recorded the case, not the integration


class TestThrottling:
    def test_requests_beyond_the_rate_are_refused(self, api, settings):
        settings.API_THROTTLE_RATE = "3/min"
        codes = [api.get("/api/v1/cases/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]

    def test_rate_is_per_token(self, api, channel, settings):
        settings.API_THROTTLE_RATE = "2/min"
        _, other_token = services.integration_create(actor=None, name="Other tool", channels=[channel])
        other = APIClient()
        other.credentials(HTTP_AUTHORIZATION=f"Token {other_token}")
        assert [api.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 429]
        assert other.get("/api/v1/cases/").status_code == 200


class TestReads:
    def test_cases_are_filtered_and_scoped_to_the_integration(self, api, channel):
        mine = factories.OpenCaseFactory(channel=channel, account__handle="abuser")
        factories.OpenCaseFactory(account__handle="someone_else")  # another channel
        body = api.get("/api/v1/cases/").json()
        assert [c["id"] for c in body["results"]] == [mine.pk]
        assert body["results"][0]["account"]["handle"] == "abuser"
        assert body["results"][0]["stage"]["label"] == "New"
        assert api.get("/api/v1/cases/", {"q": "nobody"}).json()["results"] == []
        assert api.get("/api/v1/cases/", {"status": "closed"}).json()["results"] == []

    def test_bad_filter_value_is_a_400(self, api):
        assert api.get("/api/v1/cases/", {"channel": "abc"}).status_code == 400
        assert api.get("/api/v1/cases/", {"channel": "99999999999999999999999"}).status_code == 400

    def test_staff_read_every_case_and_page_with_a_cursor(self, officer):
        for _ in range(3):
            factories.OpenCaseFactory()
        client = APIClient()
        client.force_login(officer)
        first = client.get("/api/v1/cases/", {"page_size": 2}).json()
        assert len(first["results"]) == 2
        assert first["next"]
        second = client.get(first["next"]).json()
        assert len(second["results"]) == 1

    @pytest.mark.parametrize(
        ("url", "make"),
        [
            ("/api/v1/cases/", lambda ch: factories.OpenCaseFactory(channel=ch)),
            ("/api/v1/accounts/", lambda ch: factories.SentWarningFactory(case__channel=ch)),
            ("/api/v1/blocks/", lambda ch: factories.ActiveBlockFactory(case__channel=ch)),
            ("/api/v1/appeals/", lambda ch: factories.UnderReviewAppealFactory(block__case__channel=ch)),
        ],
    )
    def test_query_count_does_not_grow_with_rows(self, api, channel, url, make, django_assert_max_num_queries):
        for _ in range(5):
            make(channel)
        with django_assert_max_num_queries(12) as few:
            assert len(api.get(url, {"status": "all"} if "cases" in url else {}).json()["results"]) == 5
        for _ in range(45):
            make(channel)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(api.get(url, {"status": "all"} if "cases" in url else {}).json()["results"]) == 50

    def test_accounts_carry_their_standing(self, api, channel):
        block = factories.ActiveBlockFactory(case__channel=channel)
        factories.SentWarningFactory(case__channel=channel)
        results = {a["id"]: a for a in api.get("/api/v1/accounts/").json()["results"]}
        blocked = results[block.account_id]["standing"]
        assert blocked["recommendation"] == "none"
        assert blocked["active_block_ids"] == [block.pk]
        warned = next(a for a in results.values() if a["id"] != block.account_id)["standing"]
        assert warned["recommendation"] == "block"
        assert warned["recent_warning_count"] == 1

    def test_accounts_filter_by_platform_and_handle(self, api, channel):
        factories.OpenCaseFactory(channel=channel, account__handle="findme")
        assert [a["handle"] for a in api.get("/api/v1/accounts/", {"q": "@FIND"}).json()["results"]] == ["findme"]
        assert api.get("/api/v1/accounts/", {"platform": Platform.X}).json()["results"] == []

    def test_blocks_and_appeals_filter_by_status(self, api, channel):
        appeal = factories.UnderReviewAppealFactory(block__case__channel=channel)
        blocks = api.get("/api/v1/blocks/", {"status": BlockStatus.ACTIVE}).json()["results"]
        assert [b["id"] for b in blocks] == [appeal.block_id]
        assert api.get("/api/v1/blocks/", {"status": BlockStatus.LIFTED}).json()["results"] == []
        appeals = api.get("/api/v1/appeals/", {"status": AppealStatus.UNDER_REVIEW}).json()["results"]
        assert [a["id"] for a in appeals] == [appeal.pk]
        assert appeals[0]["account"]["id"] == appeal.block.account_id


class TestCaseDetail:
    """``GET /api/v1/cases/{id}/``: the case as the list shows it, with its reports to platforms and
    agencies (read only)."""

    @pytest.fixture
    def reported(self, channel, officer):
        from escalation.external_reports import external_report_record

        case = factories.OpenCaseFactory(channel=channel)
        today = timezone.localdate(clock.now())
        external_report_record(
            actor=officer, case=case, reported_to="platform", recipient="Facebook", reference="FB-123",
            reported_on=today - timedelta(days=1), note="Reported through the page's tools.",
        )  # fmt: skip
        external_report_record(
            actor=officer, case=case, reported_to="agency", recipient="Ofcom", reference="OF-9", reported_on=today
        )
        return case

    def test_an_integration_reads_the_external_reports_of_its_channels_cases(
        self, api, reported, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(8):
            response = api.get(f"/api/v1/cases/{reported.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == reported.pk
        assert body["stage"]["label"]
        assert [(r["reported_to"], r["recipient"], r["reference"]) for r in body["external_reports"]] == [
            ("agency", "Ofcom", "OF-9"),
            ("platform", "Facebook", "FB-123"),
        ]
        assert body["external_reports"][1]["note"] == "Reported through the page's tools."
        assert body["external_reports"][1]["reported_on"] == str(timezone.localdate(clock.now()) - timedelta(days=1))
        assert "recorded_by" not in body["external_reports"][0]

    def test_another_channels_case_or_none_is_a_json_404(self, api, reported):
        other = factories.OpenCaseFactory()  # on a channel the token does not post to
        for url in (f"/api/v1/cases/{other.pk}/", "/api/v1/cases/999999999/"):
            response = api.get(url)
            assert response.status_code == 404
            assert response["Content-Type"].startswith("application/json")

    def test_read_only(self, api, reported):
        for method in (api.put, api.patch, api.delete, api.post):
            assert method(f"/api/v1/cases/{reported.pk}/", {}, format="json").status_code == 405
        assert reported.external_reports.count() == 2

    def test_staff_read_it_and_a_safeguarding_cases_note_is_for_its_leads(self, reported, officer):
        from moderation.safeguarding import case_mark_safeguarding
        from policy.roles import RESTRICTED_TEXT

        lead = factories.SafeguardingLeadFactory(username="lead.api")
        case_mark_safeguarding(actor=officer, case=reported, reason="A risk to the author.")
        client = APIClient()
        client.force_login(officer)
        reports = client.get(f"/api/v1/cases/{reported.pk}/").json()["external_reports"]
        assert reports[1]["reference"] == "FB-123"  # that it was reported, and where, the team reads
        assert reports[1]["note"] == RESTRICTED_TEXT
        client.force_login(lead)
        assert client.get(f"/api/v1/cases/{reported.pk}/").json()["external_reports"][1]["note"] == (
            "Reported through the page's tools."
        )

    def test_a_role_outside_the_api_is_refused(self, reported, director):
        client = APIClient()
        client.force_login(director)
        assert client.get(f"/api/v1/cases/{reported.pk}/").status_code == 403


class TestSchema:
    def test_schema_and_docs_are_served(self, db):
        client = APIClient()
        schema = client.get(reverse("api_schema"))
        assert schema.status_code == 200
        assert b"/api/v1/posts/" in schema.content
        assert client.get(reverse("api_docs")).status_code == 200

    def test_checked_in_schema_has_not_drifted(self, tmp_path):
        generated = tmp_path / "openapi.yaml"
        call_command("spectacular", "--file", str(generated))
        checked_in = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
        assert generated.read_text() == checked_in.read_text(), (
            "docs/openapi.yaml is out of date: run `.venv/bin/python manage.py spectacular --file docs/openapi.yaml`"
        )


class TestAdmin:
    def test_creating_an_integration_shows_the_token_once(self, db, channel):
        admin_user = factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
        client = APIClient()
        client.force_login(admin_user)
        response = client.post(
            "/admin/moderation/integration/add/", {"name": "Hootsuite", "channels": [channel.pk]}, follow=True
        )
        assert response.status_code == 200
        integration = Integration.objects.get(name="Hootsuite")
        assert list(integration.channels.all()) == [channel]
        shown = [str(m) for m in response.context["messages"]]
        token = next(m for m in shown if "token" in m).split("<code>")[1].split("</code>")[0]
        assert services.token_hash(token) == integration.token_hash
        again = client.get(f"/admin/moderation/integration/{integration.pk}/change/")
        assert token.encode() not in again.content

    def test_revoke_action_calls_the_service(self, db, integration_and_token):
        integration, _ = integration_and_token
        admin_user = factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
        client = APIClient()
        client.force_login(admin_user)
        client.post(
            "/admin/moderation/integration/",
            {"action": "revoke", "_selected_action": [integration.pk]},
        )
        integration.refresh_from_db()
        assert not integration.is_active
        assert integration.revoked_by == admin_user
        assert integration.revoked_at <= clock.now() + timedelta(seconds=1)
