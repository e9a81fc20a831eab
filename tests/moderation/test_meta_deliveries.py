"""A Meta webhook delivery is kept in the database before it is answered 200, so a task the broker
loses (a worker killed between taking it and recording it) cannot lose its posts: the minutely
catch-up applies what is still waiting."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from moderation import clock, tasks, webhooks
from moderation.models import MetaDelivery, Post
from tests.moderation.test_meta_webhooks import _meta_settings, fb_change, page, send  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_delivery_is_kept_then_applied_once(client, page):  # noqa: F811
    response = send(client, fb_change(message="Kept first. \x00"))
    assert response.status_code == 200
    delivery = MetaDelivery.objects.get()
    assert delivery.applied_at is not None
    assert delivery.outcome == {"ignored": 0, "created": 1}
    assert Post.objects.get().text == "Kept first. "
    assert webhooks.meta_delivery_apply(delivery.pk) is None  # a second delivery of the task: nothing


def test_a_delivery_the_broker_lost_is_applied_by_the_catch_up(client, page):  # noqa: F811
    with mock.patch.object(tasks.apply_meta_delivery, "delay", side_effect=ConnectionError("broker gone")):
        response = send(client, fb_change(message="Queued nowhere."))
    assert response.status_code == 200  # kept: Meta need not send it again
    delivery = MetaDelivery.objects.get()
    assert delivery.applied_at is None
    assert not Post.objects.exists()

    assert webhooks.meta_deliveries_catch_up() == 0  # within two minutes the task may still come
    assert not Post.objects.exists()
    later = clock.now() + timedelta(minutes=3)
    assert webhooks.meta_deliveries_catch_up(now=later) == 1
    assert Post.objects.get().text == "Queued nowhere."
    assert webhooks.meta_deliveries_catch_up(now=later) == 0  # run again: nothing more
    assert Post.objects.count() == 1


def test_a_delivery_that_cannot_be_kept_is_answered_503_for_meta_to_send_again(client, page):  # noqa: F811
    from django.db import DatabaseError

    with mock.patch.object(webhooks, "meta_delivery_receive", side_effect=DatabaseError("disk full")):
        response = send(client, fb_change())
    assert response.status_code == 503
    assert not Post.objects.exists()


def test_applied_deliveries_are_deleted_after_a_week(client, page):  # noqa: F811
    send(client, fb_change())
    assert MetaDelivery.objects.count() == 1
    webhooks.meta_deliveries_catch_up(now=clock.now() + timedelta(days=6))
    assert MetaDelivery.objects.count() == 1
    webhooks.meta_deliveries_catch_up(now=clock.now() + timedelta(days=8))
    assert not MetaDelivery.objects.exists()
    assert Post.objects.count() == 1  # the posts stay
