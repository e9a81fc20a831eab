"""/readyz follows its backing services: 503 within 5 seconds of PostgreSQL or Redis becoming
unreachable, and 200 again once they return.

gunicorn runs with the production settings, reaching the machine's PostgreSQL and Redis through
small TCP relays of this test's own. Closing a relay (its port then refuses connections and the
connections through it are cut) makes the service unreachable for the instance; the machine's
services themselves are never stopped.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from tests.support import database_url_for_test_db, free_port

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


class Relay:
    """A TCP relay on 127.0.0.1:port to target; ``close()`` cuts it, ``open()`` brings it back on the same port."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
            sockets, self.sockets = self.sockets, []
        if listener is not None:
            listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def instance(db, tmp_path):
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set: the integration tests need the machine's Redis.")
        pytest.skip("needs REDIS_URL (run by .ci/run)")
    database = urlparse(database_url_for_test_db())
    redis = urlparse(os.environ["REDIS_URL"])
    relays = {
        "database": Relay(database.hostname, database.port or 5432),
        "redis": Relay(redis.hostname, redis.port or 6379),
    }
    for relay in relays.values():
        relay.open()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "moderation.example.gov.uk",
        "DATABASE_URL": database._replace(netloc=f"{database.username}@127.0.0.1:{relays['database'].port}").geturl(),
        "REDIS_URL": redis._replace(netloc=f"127.0.0.1:{relays['redis'].port}").geturl(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/readyz"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(url, timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not become ready:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.3)
        yield {"url": url, "relays": relays}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
        for relay in relays.values():
            relay.close()


def _until(url: str, status: int, within: float) -> tuple[float, dict]:
    """Probe every 0.2 s as a load balancer would, until ``status``; the seconds it took and the body."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < within:
        try:
            response = requests.get(url, timeout=within)
        except requests.RequestException as error:
            last = repr(error)
        else:
            last = (response.status_code, response.text)
            if response.status_code == status:
                return time.monotonic() - started, response.json()
        time.sleep(0.2)
    pytest.fail(f"/readyz did not answer {status} within {within} s (last: {last})")


@pytest.mark.parametrize(
    ("service", "failed"), [("database", ["database"]), ("redis", ["cache", "broker"])], ids=["postgresql", "redis"]
)
def test_readiness_goes_to_503_within_5_seconds_and_back(instance, service, failed):
    relay = instance["relays"][service]
    relay.close()
    took, body = _until(instance["url"], 503, within=5)
    assert body == {"status": "unavailable", "failed": failed}
    assert took < 5
    relay.open()
    _, body = _until(instance["url"], 200, within=15)
    assert body == {"status": "ok"}
