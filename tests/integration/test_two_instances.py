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
