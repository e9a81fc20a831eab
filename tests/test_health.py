"""/healthz and /readyz (config/health.py): what a load balancer's probe sees.

Each backing service is made unreachable by pointing its setting at a closed port on 127.0.0.1
(never by stopping the machine's services). The production settings are exercised in a process of
their own, as an instance starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from config import localredis
from tests.support import database_url_for_test_db, free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reachable_broker():
    """A Redis the broker check can reach: REDIS_URL's, else the embedded one of make run."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    started = not localredis.is_running()
    localredis.ensure_running()
    yield localredis.broker_url()
    if started:
        localredis.stop()


@pytest.fixture
def ready(reachable_broker, settings):
    settings.CELERY_BROKER_URL = reachable_broker
    return settings


def closed_port_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


class TestHealthz:
    def test_alive_without_touching_anything(self, client):
        # no database access is allowed in this test (no db fixture): a query would raise
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response["Content-Type"] == "application/json"
        assert "Set-Cookie" not in response.headers
        assert "no-store" in response["Cache-Control"]

    @override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}},
    )
    def test_alive_even_when_every_backing_service_is_down(self, client):
        assert client.get("/healthz").status_code == 200

    def test_only_get_and_head(self, client):
        assert client.head("/healthz").status_code == 200
        response = client.post("/healthz")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
class TestReadyz:
    def test_ready_when_everything_answers(self, client, ready):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        assert response.json() == {"status": "ok"}

    def test_broker_on_a_closed_port(self, client, ready):
        ready.CELERY_BROKER_URL = closed_port_redis()
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["broker"]}

    def test_cache_on_a_closed_port(self, client, ready):
        ready.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": closed_port_redis(),
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        }
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["cache"]}

    def test_storage_on_a_closed_port(self, client, ready):
        ready.STORAGES = {
            **ready.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "evidence",
                    "endpoint_url": f"http://127.0.0.1:{free_port()}",
                    "access_key": "test",
                    "secret_key": "test",
                    "region_name": "eu-west-2",
                },
            },
        }
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["storage"]}

    def test_a_migration_not_applied_is_not_ready(self, client, ready):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE app = 'escalation' AND name LIKE '0001%%'")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["database"]}

    def test_probes_pass_no_sign_in_second_step_or_host_check(self, client, ready, officer, settings):
        """A half-signed-in session (no second step yet), HTTPS redirect on, a host not allowed:
        the probes still answer, and set no cookie."""
        from django_otp import DEVICE_ID_SESSION_KEY

        settings.MFA_REQUIRED = True
        settings.SECURE_SSL_REDIRECT = True
        settings.ALLOWED_HOSTS = ["moderation.example.gov.uk"]
        client.force_login(officer)
        session = client.session
        del session[DEVICE_ID_SESSION_KEY]
        session.save()
        for path in ("/healthz", "/readyz"):
            response = client.get(path, HTTP_HOST="10.0.3.7:8000")
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
            assert "Set-Cookie" not in response.headers
        # anywhere else the same session is redirected to HTTPS, then to the second step, as before
        assert client.get("/cases/", HTTP_HOST="moderation.example.gov.uk").status_code == 301
        response = client.get("/cases/", HTTP_HOST="moderation.example.gov.uk", secure=True)
        assert response.status_code == 302
        assert response["Location"].startswith("/mfa/")


def _production_probe(env_overrides: dict, script: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k3y-for-the-probe-only-" + "Zq8#xV2!pL6@" * 5,
        "DJANGO_ALLOWED_HOSTS": "moderation.example.gov.uk",
        "DATABASE_URL": database_url_for_test_db(),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PROBE = """
    import json, time, django
    django.setup()
    from django.test import Client
    client = Client(REMOTE_ADDR="10.0.3.1")
    started = time.monotonic()
    response = client.get(
        "/readyz?token=secret-in-query", HTTP_HOST="10.0.3.7:8000", HTTP_X_REQUEST_ID="lb-0123456789abcdef"
    )
    print(json.dumps({"status": response.status_code, "body": response.json(),
                      "seconds": time.monotonic() - started, "request_id": response["X-Request-ID"]}))
"""


@pytest.mark.django_db(transaction=True)
class TestUnderProductionSettings:
    """As an instance starts with config.settings.production: plain HTTP, its own address as host."""

    @pytest.fixture(autouse=True)
    def needs_redis(self):
        if not os.environ.get("REDIS_URL"):
            pytest.skip("needs REDIS_URL (the production settings refuse to start without it)")

    def _run(self, **overrides) -> tuple[dict, str]:
        result = _production_probe(overrides, PROBE)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr

    def test_ready_and_one_json_log_line_for_the_request(self):
        answer, log = self._run()
        assert answer["status"] == 200, (answer, log)
        assert answer["body"] == {"status": "ok"}
        assert answer["request_id"] == "lb-0123456789abcdef"
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        [request_line] = [line for line in lines if line.get("logger") == "moderation.request"]
        assert request_line["method"] == "GET"
        assert request_line["path"] == "/readyz"  # never the query string
        assert "secret-in-query" not in log
        assert request_line["status"] == 200
        assert request_line["request_id"] == "lb-0123456789abcdef"
        assert request_line["user_id"] is None
        assert isinstance(request_line["duration_ms"], float)
        assert {"time", "level", "view"} <= set(request_line)

    def test_database_on_a_closed_port(self):
        answer, log = self._run(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/nothing")
        assert answer["status"] == 503
        assert answer["body"] == {"status": "unavailable", "failed": ["database"]}
        assert answer["seconds"] < 5
        # the reason is logged, never sent
        assert "database check failed" in log

    def test_redis_on_a_closed_port(self):
        answer, _ = self._run(REDIS_URL=closed_port_redis())
        assert answer["status"] == 503
        assert answer["body"] == {"status": "unavailable", "failed": ["cache", "broker"]}
        assert answer["seconds"] < 5
