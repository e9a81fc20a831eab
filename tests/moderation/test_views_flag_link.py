"""Issue 10, item 11: the flagged post's "Record a case" link passes the post's id, never its text
or personal data (6 KB of text made a 414 under gunicorn and put a phone number in the access log)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from moderation import flags
from moderation.constants import FlagKind
from moderation.models import Flag, FlagRule
from tests import factories

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"
EMAIL = "someone@example.com"


@pytest.fixture
def flagged_post(channel):
    FlagRule.objects.create(kind=FlagKind.PHONE_NUMBER, name="Phone numbers", house_rule=factories.rule("abusive"))
    text = f"Ring me on {PHONE} or write to {EMAIL}. " + "You are all useless. " * 300
    post = factories.PostFactory(channel=channel, text=text, url="https://facebook.com/p/1")
    flags.flags_evaluate(posts=[post])
    assert Flag.objects.filter(post=post).exists()
    return post


def test_the_link_carries_the_posts_id_only(client, officer, flagged_post):
    client.force_login(officer)

    page = client.get(reverse("moderation:flag_list"))
    [link] = [url for _, url in page.context["rows"]]

    params = dict(parse_qsl(urlsplit(link).query))
    assert set(params) <= {"post", "rules"}
    assert params["post"] == str(flagged_post.pk)
    assert len(link) < 100
    for private in (PHONE, "07700", EMAIL, flagged_post.account.handle, "useless"):
        assert private not in link


def test_following_it_prefills_the_form_from_the_stored_post(client, officer, flagged_post):
    client.force_login(officer)
    link = next(url for _, url in client.get(reverse("moderation:flag_list")).context["rows"])

    form = client.get(link).context["form"]

    assert form.initial["text"] == flagged_post.text
    assert form.initial["handle"] == flagged_post.account.handle
    assert form.initial["external_id"] == flagged_post.external_id
    assert str(form.initial["channel"]) == str(flagged_post.channel_id)


@pytest.mark.parametrize("post", ["999999", "abc", "", "1;drop"])
def test_an_unknown_or_malformed_post_id_prefills_nothing(client, officer, post):
    client.force_login(officer)
    response = client.get(reverse("moderation:case_create"), {"post": post})
    assert response.status_code == 200
    assert "text" not in response.context["form"].initial
