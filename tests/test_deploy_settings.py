"""Production settings pass `manage.py check --deploy` with no warnings once their variables are set."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k3y-for-the-check-only-" + "Zq8#xV2!pL6@" * 5,
    "DJANGO_ALLOWED_HOSTS": "moderation.example.gov.uk",
    "DATABASE_URL": "postgres://app@db.internal:5432/moderation",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests; production never has it
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_an_old_postgresql_is_refused(db, monkeypatch):
    from django.db import connection

    from moderation.checks import postgresql_version

    assert postgresql_version(None, databases=["default"]) == []
    monkeypatch.setattr(connection, "pg_version", 140005)
    [error] = postgresql_version(None, databases=["default"])
    assert error.id == "moderation.E002"


def test_production_reads_each_template_once_per_process():
    """The cached template loader in production (Django's default when no loaders are named)."""
    code = (
        "import django; django.setup(); from django.template import engines; "
        "print([type(x).__name__ + ':' + type(x).__module__ for x in engines['django'].engine.template_loaders])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **PRODUCTION_ENV}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['Loader:django.template.loaders.cached']"
