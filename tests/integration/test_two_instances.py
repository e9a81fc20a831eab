"""Two web instances, one bucket: what is recorded through one is read through the other.

The issue's topology as processes (CI's machine has no Docker): two gunicorn instances on two ports
with the same settings, the PostgreSQL server's test database, Redis for the cache, and moto's S3
server (a real S3 API over HTTP) for files. A case with evidence is recorded through instance A and
opened, with its evidence, through instance B; no file is written to either instance's disk.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import requests
from django.test import Client
from django.utils import timezone
from moto.server import ThreadedMotoServer

from moderation import clock
from moderation.constants import Priority
from moderation.models import Case, Evidence
from tests import factories
from tests.support import database_url_for_test_db, free_port

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"seen-through-instance-b"
BUCKET = "moderation-two-instances"


@pytest.fixture
def s3():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto keeps its buckets for the whole process
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="testing", aws_secret_access_key="x"
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield {"endpoint": endpoint, "client": client}
    server.stop()


@pytest.fixture
def instances(transactional_db, s3, tmp_path):
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")
    _empty_the_queue()
    instance_env.clear()
    started = []
    for name in ("a", "b"):
        media = tmp_path / f"media-{name}"
        media.mkdir()
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_test_db(),
            "MEDIA_ROOT": str(media),
            "TEST_SHARED_CACHE_URL": os.environ["REDIS_URL"],
            "TEST_CACHE_PREFIX": f"two-{uuid.uuid4().hex[:8]}",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": s3["endpoint"],
            "AWS_S3_REGION_NAME": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # tasks go to the broker, for the workers (the default queue of REDIS_URL's database)
            "TEST_CELERY_EAGER": "false",
        }
        log = (tmp_path / f"gunicorn-{name}.log").open("w")
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--chdir",
                str(tmp_path),
            ],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        instance_env[name] = env
        started.append(
            {
                "name": name,
                "url": f"http://127.0.0.1:{port}",
                "process": process,
                "media": media,
                "log": tmp_path / f"gunicorn-{name}.log",
                "handle": log,
            }
        )
    try:
        for instance in started:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(instance["url"] + "/readyz", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if instance["process"].poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"instance {instance['name']} did not become ready:\n" + instance["log"].read_text())
                time.sleep(0.5)
        yield started
    finally:
        for instance in started:
            os.killpg(instance["process"].pid, signal.SIGTERM)
            instance["process"].wait(timeout=30)
            instance["handle"].close()


# the environment each instance got, for workers started alongside them
instance_env: dict[str, dict] = {}


def _empty_the_queue() -> None:
    from config.metrics import _queue_keys, broker_redis

    broker_redis().delete(*_queue_keys("celery"), "unacked", "unacked_index")


@pytest.fixture
def workers(instances, tmp_path):
    """Two Celery workers on the default queue, with the instances' settings (the bucket, the test
    database); a task a killed worker held is delivered again after 4 seconds."""
    started = []
    for name in ("1", "2"):
        log_path = tmp_path / f"worker-{name}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-n",
                f"worker{name}@%h",
            ],
            cwd=ROOT,
            env={**instance_env["a"], "CELERY_VISIBILITY_TIMEOUT": "4"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append({"name": name, "process": process, "log": log_path, "handle": log})
    deadline = time.monotonic() + 120
    while not all("ready." in worker["log"].read_text() for worker in started):
        if time.monotonic() > deadline or any(worker["process"].poll() is not None for worker in started):
            pytest.fail("\n".join(worker["log"].read_text() for worker in started))
        time.sleep(0.3)
    try:
        yield started
    finally:
        for worker in started:
            if worker["process"].poll() is None:
                os.killpg(worker["process"].pid, signal.SIGTERM)
            try:
                worker["process"].wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker["process"].pid, signal.SIGKILL)
                worker["process"].wait()
            worker["handle"].close()
        _empty_the_queue()


def _received(worker, task: str) -> bool:
    """The worker logged taking the task (its "Task NAME[id] received" line, not the banner's list)."""
    return re.search(rf"Task {re.escape(task)}\[[^]]+\] received", worker["log"].read_text()) is not None


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(0.3)


def _session_for(user) -> requests.Session:
    """A signed-in session (password and second step, as tests/conftest.py's force_login gives), stored
    in the database that both instances read."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    return session


def test_a_case_recorded_on_a_is_opened_with_its_evidence_on_b(instances, s3):
    a, b = instances
    officer = factories.OfficerFactory(username="olivia.two")
    channel = factories.ChannelFactory(name="NHDC Facebook", handle="northhertsdc")
    browser = _session_for(officer)

    form = browser.get(a["url"] + "/cases/new/", timeout=30)
    assert form.status_code == 200, form.text[:2000]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        a["url"] + "/cases/new/",
        data={
            "csrfmiddlewaretoken": token,
            "channel": channel.pk,
            "handle": "@TwoInstances",
            "display_name": "Pat Example",
            "text": "Recorded through instance A.",
            "url": "https://facebook.com/northhertsdc/posts/2?comment=7",
            "posted_at": f"{timezone.localtime(clock.now() - timedelta(hours=1)):%d/%m/%Y %H:%M}",
            "kind": "comment",
            "rules": [factories.rule("abusive").pk],
            "reason": "Abuse towards staff, recorded on A.",
            "service_area": "",
            "priority": Priority.NORMAL,
        },
        files={"evidence": ("screenshot.png", PNG, "image/png")},
        headers={"Referer": a["url"] + "/cases/new/", "X-Request-ID": "two-instances-record"},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:3000]
    assert response.headers["X-Request-ID"] == "two-instances-record"
    case = Case.objects.get(reason="Abuse towards staff, recorded on A.")
    evidence = Evidence.objects.get(case=case)
    assert response.headers["Location"].endswith(f"/cases/{case.pk}/")

    page = browser.get(b["url"] + f"/cases/{case.pk}/", timeout=30)
    assert page.status_code == 200
    assert "Abuse towards staff, recorded on A." in page.text
    evidence_url = f"/cases/{case.pk}/evidence/{evidence.pk}/"
    assert evidence_url in page.text
    served = browser.get(b["url"] + evidence_url, timeout=30)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == PNG

    # the file is in the bucket, and on neither instance's disk
    keys = [item["Key"] for item in s3["client"].list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [evidence.file.name]
    for instance in instances:
        assert list(instance["media"].rglob("*")) == [], f"instance {instance['name']} wrote to its disk"
    # someone signed out gets nothing from either instance
    for instance in instances:
        anonymous = requests.get(instance["url"] + evidence_url, allow_redirects=False, timeout=30)
        assert anonymous.status_code == 302
        assert b"seen-through-instance-b" not in anonymous.content


def _form_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_csv_uploaded_to_a_is_imported_once_by_whichever_worker_takes_it(instances, workers, s3):
    from moderation import csvfiles
    from moderation.constants import ImportStatus
    from moderation.management.commands.bench_import import bench_export
    from moderation.models import Channel, CsvImport, Post

    a, b = instances
    for platform in ("facebook", "instagram"):
        Channel.objects.create(platform=platform, handle="bench-page", name=f"Bench {platform}")
    officer = factories.OfficerFactory(username="olivia.imports")
    browser = _session_for(officer)
    rows = 10_000

    form = browser.get(a["url"] + "/imports/new/", timeout=30)
    assert form.status_code == 200, form.text[:2000]
    response = browser.post(
        a["url"] + "/imports/new/",
        data={"csrfmiddlewaretoken": _form_token(form.text), "source": "new", "source_name": "Two-instance export"},
        files={"file": ("export.csv", bench_export(rows), "text/csv")},
        headers={"Referer": a["url"] + "/imports/new/"},
        allow_redirects=False,
        timeout=120,
    )
    assert response.status_code == 302, response.text[:3000]
    csv_import = CsvImport.objects.get()
    assert [item["Key"] for item in s3["client"].list_objects_v2(Bucket=BUCKET)["Contents"]] == [csv_import.file.name]

    # the columns matched and the import started through instance B
    columns_url = f"/imports/{csv_import.pk}/columns/"
    form = browser.get(b["url"] + columns_url, timeout=60)
    assert form.status_code == 200, form.text[:2000]
    response = browser.post(
        b["url"] + columns_url,
        data={
            "csrfmiddlewaretoken": _form_token(form.text),
            **csvfiles.guess_columns(csv_import.headings),
            "default_channel": "",
        },
        headers={"Referer": b["url"] + columns_url},
        allow_redirects=False,
        timeout=120,
    )
    assert response.status_code == 302, response.text[:3000]
    detail = browser.get(b["url"] + f"/imports/{csv_import.pk}/", timeout=120)
    assert detail.status_code == 200
    response = browser.post(
        b["url"] + f"/imports/{csv_import.pk}/start/",
        data={"csrfmiddlewaretoken": _form_token(detail.text)},
        headers={"Referer": b["url"] + f"/imports/{csv_import.pk}/"},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:3000]

    def done() -> bool:
        csv_import.refresh_from_db()
        return not csv_import.is_active

    _wait_for(done, 300, "the import")
    assert csv_import.status == ImportStatus.COMPLETED, (csv_import.failure, csv_import.problems[:3])
    assert csv_import.created_count == rows
    assert Post.objects.filter(imported_from=csv_import).count() == rows
    # one worker ran it, once (its "succeeded" line is logged just after the import's commit)
    def ran() -> list[str]:
        return [
            w["name"]
            for w in workers
            if "moderation.tasks.import_csv" in w["log"].read_text() and "succeeded" in w["log"].read_text()
        ]

    _wait_for(lambda: ran(), 30, "the worker's log of the import task")
    assert len(ran()) == 1, [w["log"].read_text()[-3000:] for w in workers]
    # the upload is gone from the bucket once imported; nothing on any instance's disk
    assert s3["client"].list_objects_v2(Bucket=BUCKET).get("Contents", []) == []
    for instance in instances:
        assert list(instance["media"].rglob("*")) == []


def test_the_appeal_sweep_runs_once_while_a_worker_is_killed(instances, workers):
    from escalation.models import Block
    from escalation.tasks import flag_open_appeal_windows
    from moderation.constants import EventKind
    from moderation.models import CaseEvent, OutboxMessage

    blocks = [factories.AppealEligibleBlockFactory() for _ in range(12)]
    from config.celery import app as celery_app

    # Worker 2 stops taking tasks, so the sweep is certainly handed to worker 1 (a race between
    # the two made this test pass without a redelivery, or lose the kill in kombu's own window
    # between taking a message off the list and recording it as unacknowledged).
    worker_two = f"worker2@{socket.gethostname()}"
    replies = celery_app.control.cancel_consumer("celery", destination=[worker_two], reply=True, timeout=10)
    assert replies, "worker 2 did not answer the request to stop consuming"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        flag_open_appeal_windows.delay()
    finally:
        celery_app.conf.task_always_eager = previous
    # worker 1 has the task (logged once kombu holds it as unacknowledged): killed outright
    sweep = "escalation.tasks.flag_open_appeal_windows"
    _wait_for(lambda: _received(workers[0], sweep), 30, "worker 1 receiving the sweep")
    os.killpg(workers[0]["process"].pid, signal.SIGKILL)
    workers[0]["process"].wait()
    finished_before_the_kill = "succeeded" in workers[0]["log"].read_text()
    # worker 2 takes tasks again; the one the dead worker held comes back to it after the
    # visibility timeout
    replies = celery_app.control.add_consumer("celery", destination=[worker_two], reply=True, timeout=10)
    assert replies, "worker 2 did not answer the request to consume again"

    def all_flagged() -> bool:
        return not Block.objects.filter(pk__in=[b.pk for b in blocks], appeal_window_flagged_at__isnull=True).exists()

    _wait_for(all_flagged, 120, "the sweep flagging every open window")
    if not finished_before_the_kill:  # the usual case: the sweep was delivered again, to worker 2
        assert _received(workers[1], sweep)
    time.sleep(6)  # past the visibility timeout: a second delivery would have run by now
    events = CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED)
    assert sorted(e.subject_id for e in events) == sorted(b.pk for b in blocks)  # each block once
    digests = OutboxMessage.objects.filter(kind__icontains="appeal")
    assert digests.count() == 1, list(digests.values_list("kind", "key"))
