"""Chaos tests for notifications (issue 9): a real SMTP server (aiosmtpd) that refuses and then
accepts, a real Celery worker killed with -9 in the middle of sending, and Redis unreachable (a
closed port; the machine's Redis is never stopped). Each test counts every effect exactly once:
emails the SMTP server accepted, outbox rows, timeline events."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from config.celery import app as celery_app
from escalation import notify, services
from escalation.constants import BlockScope, BlockStatus
from escalation.models import Block, NotificationChoice
from moderation.constants import EventKind
from moderation.models import CaseEvent, OutboxMessage, OutboxStatus
from tests import factories
from tests.integration.test_worker import ROOT, _redis_url, database_url_for_test_db, shared  # noqa: F401
from tests.support import free_port

pytestmark = [pytest.mark.integration]

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/5"  # nothing listens on port 1

# The worker is the real one (celery -A config worker), with the settings a deployment would give it
# for email: SMTP to the test's server, and retries seconds apart instead of a minute.
WORKER_BOOT = """
import os, sys
import django
django.setup()
from django.conf import settings
settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
settings.EMAIL_HOST = "127.0.0.1"
settings.EMAIL_PORT = int(os.environ["CHAOS_SMTP_PORT"])
settings.OUTBOX_RETRY_BASE_SECONDS = 1
settings.OUTBOX_RETRY_MAX_SECONDS = 2
settings.CELERY_TASK_ALWAYS_EAGER = False  # what the worker queues (a retry) goes to the broker
from celery.__main__ import main
sys.argv = ["celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO", "-Q", os.environ["CHAOS_QUEUE"]]
main()
"""


class SMTPHandler:
    """An SMTP server that answers DATA from a script (e.g. 451, 554) and then accepts; or stalls at
    RCPT until released (a conversation a worker can be killed in the middle of)."""

    def __init__(self):
        self.script: list[str] = []
        self.data_commands = 0
        self.accepted: list[email.message.Message] = []
        self.stall: threading.Event | None = None
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall is not None:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.stall.wait, 120)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.script:
            return self.script.pop(0)
        self.accepted.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    handler = SMTPHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        if handler.stall is not None:
            handler.stall.set()
        controller.stop()


class Workers:
    """Starts real workers on a queue of this test's own; routes the app's tasks there."""

    def __init__(self, env: dict, queue: str, logs: Path):
        self.env, self.queue, self.logs, self.processes = env, queue, logs, []

    def start(self, **extra_env) -> subprocess.Popen:
        log = self.logs / f"worker-{len(self.processes)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER_BOOT],
                cwd=ROOT,
                env={**self.env, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        process.log = log
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print(process.log.read_text())


def route_tasks_to(queue: str | None):
    celery_app.conf.task_routes = {"moderation.tasks.*": {"queue": queue}} if queue else None
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


@pytest.fixture
def workers(transactional_db, shared, smtp, tmp_path_factory):  # noqa: F811
    queue = f"chaos-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **shared,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_test_db(),
        "CHAOS_SMTP_PORT": str(smtp[1]),
        "CHAOS_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",  # the tests read the workers' logs while they run
    }
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    route_tasks_to(queue)
    pool = Workers(env, queue, tmp_path_factory.mktemp("workers"))
    try:
        yield pool
    finally:
        route_tasks_to(None)
        celery_app.conf.task_always_eager = eager
        pool.stop_all()


def wait_for(condition, seconds: float, what: str, tick=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if tick:
            tick()
        time.sleep(0.5)
    raise AssertionError(f"not within {seconds} s: {what}")


def play_beat(queue: str):
    """What beat does every minute: the sweep of the outbox, sent to the worker."""
    from moderation.tasks import deliver_outbox

    deliver_outbox.apply_async(queue=queue)


def approve_a_block():
    officer, manager = factories.OfficerFactory(), factories.ManagerFactory()
    md = factories.ManagingDirectorFactory(email="md@council.example")
    # the manager hears of the sign-off in the workspace, not by email: the Managing Director's block
    # notice is the only email these tests follow
    notify.preference_set(actor=manager, choice=NotificationChoice.NONE)
    case = factories.OpenCaseFactory()
    block = services.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason="Threats against staff.")
    return manager, md, block


def assert_told_once(block: Block, md, handler: SMTPHandler):
    """Exactly one email accepted, one outbox row sent, one timeline event, the block stamped."""
    [message] = OutboxMessage.objects.all()
    assert (message.key, message.status) == (f"block-notice:{block.pk}", OutboxStatus.SENT)
    assert len(handler.accepted) == 1
    [received] = handler.accepted
    assert received["Message-ID"] == message.message_id
    assert received["To"] == md.email
    assert received["X-Outbox-Key"] == message.key
    assert CaseEvent.objects.filter(case=block.case_id, kind=EventKind.MD_NOTIFIED).count() == 1
    block.refresh_from_db()
    assert block.md_notified_at == message.sent_at
    return message


def test_smtp_refusing_then_accepting_sends_the_notice_once(workers, smtp):
    handler, _ = smtp
    handler.script = ["451 4.3.0 Mailbox busy, try again later", "451 4.3.0 Try again later", "554 5.7.1 Relay denied"]
    workers.start()
    manager, md, block = approve_a_block()

    services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)  # on commit: the task

    wait_for(lambda: len(handler.accepted) == 1, 90, "the notice accepted", tick=lambda: play_beat(workers.queue))
    time.sleep(3)  # more sweeps and deliveries: nothing is sent twice
    play_beat(workers.queue)
    time.sleep(2)
    message = assert_told_once(block, md, handler)
    assert handler.data_commands == 4  # three refused, one accepted
    assert message.attempts == 4
    assert "554" in message.last_error


def test_a_worker_killed_mid_send_leaves_the_notice_to_be_sent_once(workers, smtp):
    handler, _ = smtp
    handler.stall = threading.Event()
    # the visibility timeout a deployment would shorten to minutes, here seconds
    first = workers.start(CELERY_VISIBILITY_TIMEOUT="6")
    manager, md, block = approve_a_block()

    services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)

    assert handler.stalled.wait(60), "the worker never reached the SMTP server"
    os.kill(first.pid, signal.SIGKILL)  # kill -9, in the middle of the SMTP conversation
    first.wait(10)
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.PENDING, 0, "")
    assert CaseEvent.objects.filter(kind=EventKind.MD_NOTIFIED).count() == 0

    handler.stall, stall = None, handler.stall
    stall.set()
    # no beat here: the lost task itself comes back, after the visibility timeout
    workers.start(CELERY_VISIBILITY_TIMEOUT="6")
    wait_for(lambda: len(handler.accepted) == 1, 90, "the lost task delivered again")
    play_beat(workers.queue)  # and the sweep, and the redelivered task again: still once
    from moderation.tasks import deliver_outbox_message

    deliver_outbox_message.apply_async(args=[message.pk], queue=workers.queue)
    time.sleep(4)
    message = assert_told_once(block, md, handler)
    assert message.attempts == 1


@pytest.fixture
def broker_down(settings):
    """The web process's Redis (broker and cache) on a closed port."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    real = celery_app.conf.broker_url

    def point_at(url):
        celery_app.conf.broker_url = url
        celery_app._after_fork()  # drop the pooled connections to the old address

    point_at(CLOSED_PORT_REDIS)
    from moderation.api import throttling

    throttling._shared_down_until = 0.0
    try:
        yield point_at, real
    finally:
        point_at(real)
        throttling._shared_down_until = 0.0
        throttling.LOCAL_COUNTERS.clear()


def test_redis_down_the_decision_stands_the_api_answers_json_and_the_notice_follows(workers, smtp, broker_down, client):
    handler, _ = smtp
    point_at, real = broker_down
    manager, md, block = approve_a_block()
    client.force_login(manager)

    response = client.post(
        reverse("escalation:signoff_detail", args=[block.signoffs.get().pk]), {"decision": "approve", "reason": ""}
    )

    assert response.status_code == 302  # done, not a 500
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages, "the page says nothing"
    assert "approved" in messages[0].lower(), messages
    block.refresh_from_db()
    assert block.status == BlockStatus.ACTIVE
    assert CaseEvent.objects.filter(case=block.case_id, kind=EventKind.BLOCK_APPROVED).count() == 1
    [message] = OutboxMessage.objects.all()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)

    api = client.get("/api/v1/cases/")
    assert api.status_code == 200
    assert api["Content-Type"] == "application/json"

    # Redis is back: beat's sweep finds the notice and the worker sends it, once
    point_at(real)
    workers.start()
    wait_for(
        lambda: len(handler.accepted) == 1, 90, "the notice sent by the sweep", tick=lambda: play_beat(workers.queue)
    )
    time.sleep(3)
    assert_told_once(block, md, handler)


def test_an_import_outliving_the_visibility_timeout_runs_once_and_survives_its_worker(workers):
    """A short visibility timeout redelivers a running import's task: the second worker stands down
    while the first runs it, and runs it again, once, when the first is killed with -9."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from moderation import csvfiles, imports
    from moderation.constants import ImportStatus
    from moderation.management.commands.bench_import import bench_export
    from moderation.models import Channel, CsvImport, Post
    from moderation.tasks import import_csv

    for platform in ("facebook", "instagram"):
        Channel.objects.create(platform=platform, handle="bench-page", name=f"Bench {platform}")
    officer = factories.OfficerFactory()
    rows = 100_000
    csv_import = imports.import_upload(
        actor=officer, file=SimpleUploadedFile("big.csv", bench_export(rows)), source_name="Big export"
    )
    csv_import = imports.import_match_columns(
        actor=officer, csv_import=csv_import, columns=csvfiles.guess_columns(csv_import.headings), channel=None
    )
    CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.QUEUED, started_by=officer, attempt=1)
    first = workers.start(CELERY_VISIBILITY_TIMEOUT="4")
    import_csv.apply_async(args=[csv_import.pk, 1], queue=workers.queue)
    wait_for(
        lambda: CsvImport.objects.get(pk=csv_import.pk).status == ImportStatus.RUNNING, 60, "the first worker began"
    )
    second = workers.start(CELERY_VISIBILITY_TIMEOUT="4")
    stood_down = "running in another worker; this delivery looks again later"
    # the task is delivered again to the second worker, which stands down and looks again (twice)
    wait_for(lambda: second.log.read_text().count(stood_down) >= 2, 60, "the second delivery stood down")
    assert CsvImport.objects.get(pk=csv_import.pk).status == ImportStatus.RUNNING, "the import ended too soon"

    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    wait_for(lambda: not CsvImport.objects.get(pk=csv_import.pk).is_active, 300, "the import finished")

    csv_import.refresh_from_db()
    assert csv_import.status == ImportStatus.COMPLETED, (csv_import.failure, csv_import.problems[:3])
    assert csv_import.created_count == rows
    assert Post.objects.filter(imported_from=csv_import).count() == rows
    wait_for(lambda: "succeeded" in second.log.read_text(), 20, "the second worker's run in its log")
