"""Issue 10, item 12: an edit on the platform never loses the earlier text, and the pages show it. The
case page (and every page that shows a post's text to someone who may read it) lists each other
version of the text with its time, newest first, in an "Earlier versions" details component; a post
deleted for personal information shows no earlier text either."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from moderation import clock, services
from moderation.constants import FlagKind, Platform, Visibility
from moderation.models import Post
from moderation.templatetags.workspace import london
from tests import factories
from tests.moderation.test_flags import make_rule
from tests.moderation.test_meta_webhooks import PAGE_ID, fb_change, send

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FIRST = datetime(2026, 11, 2, 9, 0, tzinfo=LONDON)
SECOND = datetime(2026, 11, 2, 9, 5, tzinfo=LONDON)
THIRD = datetime(2026, 11, 3, 14, 30, tzinfo=LONDON)


def deliver(client, message: str, *, at: datetime, edited: bool = True) -> None:
    with clock.travel_to(at):
        send(client, fb_change("edited" if edited else "add", comment_id="1111_1", message=message))


def in_a_case(post: Post):
    case = factories.OpenCaseFactory(posts=[], channel=post.channel, account=post.account)
    Post.objects.filter(pk=post.pk).update(case=case)
    return case


def versions_on(html: str, post: Post) -> str:
    """The post's versions component as the reader sees it: its text, tags stripped."""
    marker = f'id="post-{post.pk}-versions"'
    assert marker in html, "no versions component"
    start = html.index(">", html.index(marker)) + 1
    part = html[start : html.index("</details>", start)]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", part)).split())


@pytest.fixture(autouse=True)
def _meta_settings(settings):
    settings.META_APP_SECRET = "test-app-secret"
    settings.META_WEBHOOK_VERIFY_TOKEN = "test-verify-token"


@pytest.fixture
def facebook_page(db):
    """The Facebook page Meta's webhook delivers for."""
    return factories.ChannelFactory(name="NHDC Facebook page", handle=PAGE_ID, platform=Platform.FACEBOOK)


@pytest.fixture
def edited_twice(client, facebook_page):
    deliver(client, "You are scum.", at=FIRST, edited=False)
    deliver(client, "You are wrong.", at=SECOND)
    deliver(client, "Fair enough.", at=THIRD)
    return Post.objects.get()


def test_the_case_page_lists_every_earlier_version_newest_first(client, officer, edited_twice):
    case = in_a_case(edited_twice)
    client.force_login(officer)

    html = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()

    shown = versions_on(html, edited_twice)
    assert shown.startswith("Earlier versions of this comment's text (2)")
    # newest first, each with the time the edit replaced it
    third, second = london(THIRD), london(SECOND)  # the product's one date format
    assert shown.index(third) < shown.index("You are wrong.") < shown.index(second) < shown.index("You are scum.")
    assert "replaced by an edit on the platform" in shown
    assert "Fair enough." in unescape(html)  # the text the post shows now
    assert '<details class="govuk-details' in html


def test_an_edit_of_a_post_in_a_case_is_shown_beside_it_not_applied(client, officer, facebook_page):
    deliver(client, "You are scum.", at=FIRST, edited=False)
    post = Post.objects.get()
    case = in_a_case(post)
    deliver(client, "Nothing to see.", at=SECOND)
    client.force_login(officer)

    html = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()

    shown = versions_on(html, post)
    assert shown.startswith("Other versions")
    assert "Nothing to see." in shown
    assert "not applied, as the post is in a case" in shown


def test_the_warning_form_and_the_admins_post_page_show_them_too(client, officer, edited_twice):
    case = in_a_case(edited_twice)
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)

    warning_form = client.get(reverse("escalation:warning_create", args=[case.pk])).content.decode()
    admin_page = unescape(client.get(reverse("admin:moderation_post_change", args=[edited_twice.pk])).content.decode())

    assert "You are scum." in versions_on(warning_form, edited_twice)
    assert "Earlier versions" in admin_page
    assert admin_page.index("You are wrong.") < admin_page.index("You are scum.")


def test_a_post_with_no_edit_has_no_versions_component(client, officer, facebook_page):
    deliver(client, "You are scum.", at=FIRST, edited=False)
    case = in_a_case(Post.objects.get())
    client.force_login(officer)

    html = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()

    assert "-versions" not in html
    assert "Earlier versions" not in html


def test_a_redacted_post_shows_no_earlier_text(client, officer, facebook_page):
    make_rule(FlagKind.PHONE_NUMBER, name="Phone numbers")
    deliver(client, "ring me on 07911 123456", at=FIRST, edited=False)
    deliver(client, "ring me", at=SECOND)
    post = Post.objects.get()
    case = in_a_case(post)
    services.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
    client.force_login(officer)

    html = unescape(client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode())

    assert "07911" not in html
    assert "ring me" not in html
    assert "Earlier versions" not in html
    assert "[redacted: personal information" in html


def test_versions_cost_one_query_and_none_when_nothing_was_edited(client, officer, facebook_page):
    """The case page's query count: unchanged by posts never edited, one more for any number edited."""
    deliver(client, "You are scum.", at=FIRST, edited=False)
    post = Post.objects.get()
    case = in_a_case(post)
    client.force_login(officer)
    url = reverse("moderation:case_detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    deliver(client, "Edited once", at=SECOND)  # kept beside it (the post is in a case)
    others = [factories.PostFactory(case=case, channel=post.channel, account=post.account) for _ in range(3)]
    with CaptureQueriesContext(connection) as unedited_more:
        client.get(url)
    for other in others:
        services.post_text_edit(post=other, text="changed")
    with CaptureQueriesContext(connection) as edited:
        html = client.get(url).content.decode()
    assert len(edited) == len(unedited_more) == len(plain) + 1
    assert len(re.findall(r'id="post-\d+-versions"', html)) == 4


def test_the_flag_list_shows_a_flagged_posts_earlier_versions(client, officer, facebook_page):
    make_rule(FlagKind.PHONE_NUMBER, name="Phone numbers")
    deliver(client, "ring me on 07911 123456", at=FIRST, edited=False)
    deliver(client, "ring me", at=SECOND)
    post = Post.objects.get()
    assert post.flags.exists()
    client.force_login(officer)

    html = client.get(reverse("moderation:flag_list")).content.decode()

    assert "ring me on 07911 123456" in versions_on(html, post)
