"""The image's ``web`` command without Docker: docker/entrypoint.sh starts gunicorn with
config/gunicorn.py and the production settings, two workers; /metrics adds up the request latency
of both workers (prometheus-client's multiprocess mode) and answers only to the bearer token."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import database_url_for_test_db, free_port

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = secrets.token_urlsafe(32)


@pytest.fixture
def web(db, tmp_path):
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")
    port = free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "stale_123.db").write_bytes(b"left by a previous run")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "moderation.example.gov.uk",
        "DATABASE_URL": database_url_for_test_db(),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "METRICS_BEARER_TOKEN": TOKEN,
    }
    log_path = tmp_path / "web.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        ["/bin/sh", str(ROOT / "docker" / "entrypoint.sh"), "web"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(url + "/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the web command did not answer:\n" + log_path.read_text())
            time.sleep(0.3)
        yield {"url": url, "multiproc": multiproc, "log": log_path}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _probe_count(url: str, headers: dict) -> float:
    response = requests.get(url + "/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text[:500]
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "moderation_http_request_duration_seconds_count" and sample.labels == {
                "view": "healthz",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0


def test_the_web_command_serves_and_counts_every_worker(web):
    assert not (web["multiproc"] / "stale_123.db").exists(), "the entrypoint empties the metrics directory"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(web["url"] + "/metrics", timeout=30).status_code == 404
    assert requests.get(web["url"] + "/readyz", timeout=30).json() == {"status": "ok"}
    before = _probe_count(web["url"], headers)

    def probe(_):
        return requests.get(web["url"] + "/healthz", timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(probe, range(200)))
    assert statuses == [200] * 200
    # both workers served some (each writes its own file), and the scrape adds them all up
    assert len(list(web["multiproc"].glob("histogram_*.db"))) == 2
    assert _probe_count(web["url"], headers) == before + 200
    # the app's own request line, JSON, for each request (gunicorn's access log is off)
    lines = [line for line in web["log"].read_text().splitlines() if '"logger": "moderation.request"' in line]
    assert len([line for line in lines if '"path": "/healthz"' in line]) >= 200
