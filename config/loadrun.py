"""A bounded load run against gunicorn with the production settings (issue 13: "a bounded load run
against gunicorn with 2 workers on 127.0.0.1 ... 30 s at most, with req/s, p99 and errors").

Used by ``manage.py bench_load`` on the database ``manage.py bench_scale`` built: the static files are collected into a
temporary folder, gunicorn serves ``config.settings.production`` from the same database, a signed-in
officer's session (password and second step passed, as a person's would be) is written to it, and a
few threads ask for the queue as fast as the two workers answer, each on a new connection (gunicorn's
sync workers close it after each answer). Nothing here runs in the tests' process or on a real site.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
HOST = "bench.example"
MAX_SECONDS = 30


@dataclass
class LoadResult:
    path: str
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_cookie(username: str) -> str:
    """A session for ``username`` in the bench database, signed in with the second step passed."""
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from config.middleware import LAST_SEEN_AT, SIGNED_IN_AT

    user = get_user_model().objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = SessionStore()
    now = int(time.time())
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b),
            "_auth_user_hash": user.get_session_auth_hash(),
            "otp_device_id": device.persistent_id,
            SIGNED_IN_AT: now,
            LAST_SEEN_AT: now,
        }
    )
    session.create()
    return session.session_key


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(paths: list[str], *, seconds: int = MAX_SECONDS, threads: int = 8, workers: int = 2, stdout=None):
    """gunicorn with ``workers`` sync workers; each of ``paths`` in turn for ``seconds`` (at most 30)."""
    seconds = min(seconds, MAX_SECONDS)
    cookie = _session_cookie("officer1")
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # the session above is signed with it
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        "LOG_FORMAT": "plain",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, arguments from this module
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "gunicorn.log").open("w"),
        start_new_session=True,
    )
    results = []
    try:
        _wait(port, server, work / "gunicorn.log")
        for path in paths:
            for _ in range(workers * 2):  # each worker's first answers (imports, caches) are not measured
                _get(port, path, cookie)
            results.append(_hammer(port, path, cookie, seconds=seconds, threads=threads))
            if stdout is not None:
                r = results[-1]
                stdout.write(
                    f"  gunicorn {workers} workers, {threads} clients, {path}: {r.per_second:.1f} req/s, "
                    f"p50 {r.p50_ms:.0f} ms, p99 {r.p99_ms:.0f} ms, {r.errors} errors of {r.requests}"
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return results


def _get(port: int, path: str, cookie: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "GET",
            path,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", "Cookie": f"__Host-sessionid={cookie}"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
        try:
            if _get(port, "/healthz", "") == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer within 120 s:\n{log.read_text()}")


def _hammer(port: int, path: str, cookie: str, *, seconds: int, threads: int) -> LoadResult:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status = _get(port, path, cookie)
            except OSError:
                status = 0
            took = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(took)
                if status != 200:
                    errors[0] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return LoadResult(
        path=path,
        seconds=elapsed,
        requests=len(latencies),
        errors=errors[0],
        p50_ms=statistics.median(ordered) if ordered else 0.0,
        p99_ms=p99,
    )
