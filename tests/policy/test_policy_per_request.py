"""The policy is read once a request (``policy.services.request_scope``, issue 13), never stale."""

from __future__ import annotations

from unittest import mock

import pytest

from policy import services as policy

pytestmark = pytest.mark.django_db


def test_a_request_reads_the_cache_once(officer, client):
    client.force_login(officer)
    client.get("/cases/")  # the cache holds the version
    with mock.patch.object(policy.cache, "get", wraps=policy.cache.get) as get:
        assert client.get("/cases/").status_code == 200
    assert [c for c in get.call_args_list if c.args[0] == policy.CACHE_KEY] == [mock.call(policy.CACHE_KEY)]


def test_outside_a_request_every_read_asks_the_cache():
    policy.current()
    with mock.patch.object(policy.cache, "get", wraps=policy.cache.get) as get:
        policy.current()
        policy.current()
    assert get.call_count == 2


def test_a_version_published_within_the_request_is_read_at_once():
    with policy.request_scope():
        before = policy.current()
        policy.revise(reason="Longer sessions", session_idle_minutes=before.session_idle_minutes + 5)
        after = policy.current()
        assert after.session_idle_minutes == before.session_idle_minutes + 5
        assert policy.current() is after
    assert policy.current().session_idle_minutes == after.session_idle_minutes


def test_the_next_request_reads_a_version_published_elsewhere(officer, client):
    client.force_login(officer)
    client.get("/cases/")
    policy.revise(reason="Renamed", organisation_name="Somewhere Else Council")
    assert "Somewhere Else Council" in client.get("/cases/").content.decode()


def test_a_scope_inside_another_keeps_the_outer_ones_version():
    with policy.request_scope():
        outer = policy.current()
        with policy.request_scope():  # a scheduled task run from a page
            assert policy.current() is outer
        assert policy.current() is outer  # still inside the outer scope
