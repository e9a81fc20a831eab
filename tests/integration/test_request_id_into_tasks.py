"""The request id reaches the tasks a request enqueues, and the worker's log lines of those tasks;
the worker counts each task's outcome in Redis for /metrics (a real worker process on Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.celery import app as celery_app
from config.metrics import TASK_OUTCOMES_KEY, broker_redis
from config.requestlog import RequestLogMiddleware
from tests.support import database_url_for_test_db

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration]


@pytest.fixture
def worker(transactional_db):
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_test_db(),
        "METRICS_COUNT_TASK_OUTCOMES": "true",
        "LOG_FORMAT": "plain",
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
    state = {"queue": queue, "process": process, "output": None}
    try:
        yield state
    finally:
        celery_app.conf.task_always_eager = previous
        if process.poll() is None:
            process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        state["output"] = output


def _stop(state) -> str:
    process = state["process"]
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


def test_the_request_id_is_in_the_task_and_the_workers_lines(worker):
    from moderation.tasks import deliver_outbox

    field = "moderation.tasks.deliver_outbox|SUCCESS"
    before = int(broker_redis().hget(TASK_OUTCOMES_KEY, field) or 0)
    request_id = f"it-{uuid.uuid4().hex}"

    def view(request):
        deliver_outbox.apply_async(queue=worker["queue"])
        return HttpResponse("queued")

    response = RequestLogMiddleware(view)(RequestFactory().get("/queue-it/", HTTP_X_REQUEST_ID=request_id))
    assert response["X-Request-ID"] == request_id

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and int(broker_redis().hget(TASK_OUTCOMES_KEY, field) or 0) == before:
        time.sleep(0.3)
    # the worker counted the outcome once, where every web instance's /metrics reads it
    assert int(broker_redis().hget(TASK_OUTCOMES_KEY, field) or 0) == before + 1
    output = _stop(worker)
    [succeeded] = [line for line in output.splitlines() if "deliver_outbox" in line and "succeeded" in line]
    assert f"[{request_id}]" in succeeded, output
