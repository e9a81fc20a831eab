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
from tests.support import database_url_for_test_db

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration]


@pytest.fixture(autouse=True)
def _redis_url():
    """Run by ``.ci/run``, which sets REDIS_URL; under CI a missing one is a failure, never a skip."""
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")


@pytest.fixture
def shared(tmp_path, settings):
    """Uploaded files and the cache, shared by this process and the worker (see config/settings/test.py)."""
    prefix = f"it-{uuid.uuid4().hex[:8]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    return {
        "TEST_MEDIA_ROOT": str(tmp_path),
        "TEST_SHARED_CACHE_URL": os.environ["REDIS_URL"],
        "TEST_CACHE_PREFIX": prefix,
    }


@pytest.fixture
def worker(transactional_db, shared):
    """A real Celery worker process on Redis, consuming a queue of its own, using the test database."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **shared,
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


def test_a_100000_row_csv_import_runs_on_a_real_worker_with_progress(worker, client):
    """The issue's size: 100,000 rows checked and stored by the worker; the page shows progress meanwhile."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

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
    # as import_start does, but sent to this test's worker queue
    CsvImport.objects.filter(pk=csv_import.pk).update(status=ImportStatus.QUEUED, started_by=officer)
    import_csv.apply_async(args=[csv_import.pk], queue=worker)

    client.force_login(officer)
    progress_url = reverse("moderation:import_progress", args=[csv_import.pk])
    seen = set()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        csv_import.refresh_from_db()
        if not csv_import.is_active:
            break
        page = client.get(progress_url).content.decode()
        for phase in ("Checking rows", "Storing posts"):
            if phase in page and "of 100,000" in page:
                seen.add(phase)
        time.sleep(0.3)
    assert csv_import.status == ImportStatus.COMPLETED, (csv_import.failure, csv_import.problems[:3])
    assert csv_import.created_count == rows
    assert Post.objects.filter(imported_from=csv_import).count() == rows
    assert seen, "the progress panel never showed a count while the worker ran"
    assert not csv_import.file
