"""Production-like checks run by .ci/run: the machine's PostgreSQL server, Redis and a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from escalation.models import Block
from moderation.constants import EventKind
from moderation.models import CaseEvent
from tests import factories

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration]


@pytest.fixture(autouse=True)
def _redis_url():
    """Run by ``.ci/run``, which sets REDIS_URL; under CI a missing one is a failure, never a skip."""
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")


def database_url_for_test_db() -> str:
    info = connection.settings_dict
    host = info["HOST"] or "127.0.0.1"
    port = info["PORT"] or "5432"
    return f"postgres://{info['USER']}@{host}:{port}/{info['NAME']}"


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker process on Redis, consuming a queue of its own, using the test database."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_test_db(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO", "-Q", queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)


def test_broker_is_redis():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    host = connection.settings_dict["HOST"]
    assert host, "the integration tests run on the PostgreSQL server over TCP, not the embedded one"
    assert "/" not in host


def test_appeal_window_task_runs_on_a_real_worker(worker):
    eligible = factories.AppealEligibleBlockFactory()
    not_yet = factories.ActiveBlockFactory()

    from escalation.tasks import flag_open_appeal_windows

    flag_open_appeal_windows.apply_async(queue=worker)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        eligible.refresh_from_db()
        if eligible.appeal_window_flagged_at is not None:
            break
        time.sleep(0.5)
    assert eligible.appeal_window_flagged_at is not None, "the worker did not flag the block within 60 s"
    assert Block.objects.get(pk=not_yet.pk).appeal_window_flagged_at is None
    events = CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED)
    assert [(e.subject_id, e.actor_label) for e in events] == [(eligible.pk, "system")]
