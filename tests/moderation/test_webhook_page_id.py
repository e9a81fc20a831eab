"""Meta webhooks find a channel by the platform's page id set on it in the admin (issue 10, item 13.8)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from moderation import webhooks
from moderation.constants import Platform
from moderation.models import Post
from tests import factories
from tests.moderation.test_meta_webhooks import PAGE_ID, fb_change


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_channel_is_found_by_its_platform_page_id(db):
    channel = factories.ChannelFactory(
        name="NHDC Facebook", handle="northhertsdc", platform=Platform.FACEBOOK, platform_page_id=PAGE_ID
    )
    counts = webhooks.meta_events_apply(payload=fb_change())
    assert counts.get("created") == 1
    assert Post.objects.get().channel == channel
    assert webhooks.unmatched_pages() == []


def test_events_for_no_channel_are_shown_in_the_channel_admin(db, admin_client):
    factories.ChannelFactory(name="NHDC Facebook", handle="northhertsdc", platform=Platform.FACEBOOK)
    webhooks.meta_events_apply(payload=fb_change())
    webhooks.meta_events_apply(payload=fb_change(comment_id="1111_3333"))
    assert Post.objects.count() == 0
    [unmatched] = webhooks.unmatched_pages()
    assert (unmatched["platform"], unmatched["page_id"], unmatched["events"]) == (Platform.FACEBOOK, PAGE_ID, 2)
    page = admin_client.get(reverse("admin:moderation_channel_changelist")).text
    assert f"Facebook page {PAGE_ID}" in page
    assert "Platform page id" in page or "platform page id" in page
    # once a channel holds the id, the notice goes
    from moderation.models import Channel

    Channel.objects.update(platform_page_id=PAGE_ID)
    page = admin_client.get(reverse("admin:moderation_channel_changelist")).text
    assert f"Facebook page {PAGE_ID}" not in page


def test_the_page_id_is_unique_on_a_platform(db):
    from django.db import IntegrityError

    factories.ChannelFactory(platform=Platform.FACEBOOK, platform_page_id=PAGE_ID)
    factories.ChannelFactory(platform=Platform.INSTAGRAM, platform_page_id=PAGE_ID)  # another platform: fine
    factories.ChannelFactory(platform=Platform.FACEBOOK, platform_page_id="")
    factories.ChannelFactory(platform=Platform.FACEBOOK, platform_page_id="")  # blank: many
    with pytest.raises(IntegrityError):
        factories.ChannelFactory(platform=Platform.FACEBOOK, platform_page_id=PAGE_ID)
