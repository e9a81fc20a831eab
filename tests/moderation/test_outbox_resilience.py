"""When Redis is down: the API still throttles (in the process) and answers JSON, never an HTML 500;
an import delivered again while a worker still runs it stands down."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from moderation import services, tasks
from moderation.api import throttling

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    throttling._shared_down_until = 0.0
    throttling.LOCAL_COUNTERS.clear()
    yield
    throttling._shared_down_until = 0.0
    throttling.LOCAL_COUNTERS.clear()


@pytest.fixture
def api(channel):
    _, token = services.integration_create(actor=None, name="Sprout export", channels=[channel])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_the_api_throttles_in_the_process_while_redis_is_down(api, settings, redis_down):
    settings.API_THROTTLE_RATE = "3/min"
    responses = [api.get("/api/v1/cases/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[-1]["Content-Type"] == "application/json"
    assert "Retry-After" in responses[-1]


def test_a_broker_outage_answers_503_json_with_retry_after(api, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    from escalation.api import views

    monkeypatch.setattr(views.CaseList, "get", broker_down)
    response = api.get("/api/v1/cases/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "30"
    assert response.json() == {"detail": "The service is briefly unavailable. Try again shortly."}


@pytest.mark.django_db(transaction=True)
def test_an_import_another_worker_is_running_is_left_to_it(monkeypatch):
    ran = []
    monkeypatch.setattr(tasks.imports, "import_run", lambda **kwargs: ran.append(kwargs))
    held, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [tasks.IMPORT_LOCK_SPACE, 77])
            held.set()
            release.wait(10)
        finally:
            connection.close()  # the worker's session ends: so does its lock

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        assert tasks.import_csv(77, 1) is None
        assert ran == []
    finally:
        release.set()
        thread.join()
    # the server ends the other session (and its lock) a moment after the client hangs up: wait for it
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 77")
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.05)
    tasks.import_csv(77, 1)  # the first worker is gone: this delivery runs it
    assert ran == [{"csv_import_id": 77, "attempt": 1}]
