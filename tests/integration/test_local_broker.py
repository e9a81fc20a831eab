"""`make run`'s own broker loses no task: the embedded Redis of config/localredis.py.

1,000 signed Meta webhook deliveries go to a real web server (runserver, as `make run` serves)
from eight concurrent senders, while the real Celery worker is stopped and started twice: once
by a warm shutdown (Ctrl-C) and once killed outright (as a crash would), after which the queue is
set right as `make run` does on its next start. The web server and the worker run with `make
run`'s settings (config.settings.local, REDIS_URL unset), so the broker is the embedded Redis.
Every comment must be stored once: none lost, none twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from config import localredis
from moderation import webhooks
from moderation.constants import Platform
from moderation.models import Post
from tests import factories
from tests.support import database_url_for_test_db, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "local-broker-test-secret"
PAGE_ID = "104857600999"
DELIVERIES = 1_000
SENDERS = 8

pytestmark = [pytest.mark.integration]


def delivery(number: int) -> bytes:
    """One Facebook Page feed event: a new comment with an id of its own."""
    now = int(time.time())
    payload = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": now,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": f"1111_{number:06d}",
                            "post_id": "1111",
                            "parent_id": "1111",
                            "message": f"Comment number {number}.",
                            "from": {"id": f"9{number % 50:03d}", "name": f"Resident {number % 50}"},
                            "created_time": now - 60,
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload).encode()


def post(url: str, body: bytes) -> int:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 — our own http:// URL
        url,
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        method="POST",
    )
    for attempt in range(3):  # a connection refused while runserver is busy is retried, as Meta would
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (ConnectionError, urllib.error.URLError):
            if attempt == 2:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


class Stack:
    """The web server and worker of `make run`, each in its own process group, logging to files."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env = folder, env
        self.processes: list[subprocess.Popen] = []
        self.workers = 0

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # the child holds it; closed when the test ends
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self.processes.append(process)
        return process

    def start_worker(self, timeout: float = 60) -> subprocess.Popen:
        """A worker as `make run` starts it, returned once it consumes."""
        self.workers += 1
        name = f"worker-{self.workers}"
        process = self.start(name, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2")
        deadline = time.monotonic() + timeout
        while " ready." not in (self.folder / f"{name}.log").read_text(errors="replace"):
            assert process.poll() is None, f"{name} stopped\n{self.logs()}"
            assert time.monotonic() < deadline, f"{name} did not start\n{self.logs()}"
            time.sleep(0.1)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            try:
                os.killpg(process.pid, signal.SIGKILL)  # a pool process the worker left behind
            except ProcessLookupError:
                pass

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-40:])
            for path in sorted(self.folder.glob("*.log"))
        )


@pytest.fixture
def embedded_redis(monkeypatch):
    # a short folder of its own: the socket path must fit in 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="mc-broker-"))
    monkeypatch.setenv("LOCAL_REDIS_DIR", str(folder))
    localredis.ensure_running()
    yield localredis.broker_url()
    localredis.stop()
    for path in sorted(folder.glob("*")):
        path.unlink()
    folder.rmdir()


def redis_counts() -> tuple[int, int]:
    """Messages waiting on the default queue, and messages a worker took but has not acknowledged."""
    client = localredis.client()
    client.execute_command("SELECT", localredis.BROKER_DB)
    return client.llen("celery"), client.zcard("unacked_index")


def test_1000_webhook_deliveries_survive_worker_restarts_on_the_local_broker(
    transactional_db, embedded_redis, tmp_path
):
    channel = factories.ChannelFactory(name="Broker test page", handle=PAGE_ID, platform=Platform.FACEBOOK)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "TEST_SHARED_CACHE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",  # make run's settings
            "DATABASE_URL": database_url_for_test_db(),
            "LOCAL_REDIS_DIR": os.environ["LOCAL_REDIS_DIR"],
            "META_APP_SECRET": SECRET,
            "META_WEBHOOK_VERIFY_TOKEN": "unused",
            "DJANGO_DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    stack = Stack(tmp_path, env)
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/meta/"
    try:
        stack.start("web", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        worker = stack.start_worker()
        deadline = time.monotonic() + 60
        while True:  # the handshake without its token is refused, but the server answers
            try:
                urllib.request.urlopen(url, timeout=5)  # noqa: S310 — our own http:// URL
            except urllib.error.HTTPError:
                break
            except urllib.error.URLError:
                pass
            assert time.monotonic() < deadline, stack.logs()
            time.sleep(0.25)

        restarts: list[str] = []
        stored = Post.objects.filter(channel=channel)
        started = time.monotonic()

        def until(condition, what: str, timeout: float = 60) -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                assert time.monotonic() < deadline, f"{what} within {timeout}s\n{stack.logs()}"
                time.sleep(0.05)

        with ThreadPoolExecutor(SENDERS) as senders:
            # the deliveries keep coming while the worker restarts
            sending = [senders.submit(post, url, delivery(n)) for n in range(DELIVERIES)]

            # Ctrl-C while the worker is busy: a warm shutdown finishes the tasks in hand and gives
            # back what it prefetched; a new worker starts
            until(lambda: stored.count() >= 150 and redis_counts()[1] > 0, "the first worker at work")
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
            restarts.append(f"warm shutdown (exit {worker.returncode}) at {stored.count()} stored")
            worker = stack.start_worker()

            # a crash while the worker holds messages: it and its pool are killed; make run's next
            # start puts back what it held, then starts a worker
            until(lambda: stored.count() >= 450, "the second worker at work")

            def frozen_holding() -> bool:
                # freeze the worker and its pool (SIGSTOP) so it can acknowledge nothing more: what
                # the broker counts as held now is what the crash leaves behind
                os.killpg(worker.pid, signal.SIGSTOP)
                if redis_counts()[1] > 0:
                    return True
                os.killpg(worker.pid, signal.SIGCONT)
                return False

            until(frozen_holding, "the second worker holding messages")
            waiting, held = redis_counts()
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            requeued = localredis.requeue_unacknowledged()
            restarts.append(f"killed holding {held} at {stored.count()} stored, {waiting} waiting; requeued {requeued}")
            assert requeued >= 1
            worker = stack.start_worker()
            statuses = [future.result() for future in sending]
        sent_in = time.monotonic() - started
        assert statuses == [200] * DELIVERIES, f"not every delivery was answered 200: {set(statuses)}"

        # generous for a loaded machine; on an idle one it takes a fraction of this
        deadline = time.monotonic() + 180
        caught_up = 0
        while stored.count() < DELIVERIES and time.monotonic() < deadline:
            if redis_counts() == (0, 0):  # nothing waiting or held: anything missing was lost in transit
                # as beat's minutely catch-up does two minutes on: the kept deliveries not yet applied
                caught_up += webhooks.meta_deliveries_catch_up(after=timedelta(0))
            time.sleep(0.5)
        restarts.append(f"{caught_up} applied by the catch-up")
        total = time.monotonic() - started
        print(f"{DELIVERIES} deliveries answered within {sent_in:.1f}s, all stored after {total:.1f}s; {restarts}")
        external_ids = list(stored.values_list("external_id", flat=True))
        assert len(external_ids) == DELIVERIES, (
            f"{len(external_ids)} of {DELIVERIES} posts stored ({restarts})\n{stack.logs()}"
        )
        assert sorted(external_ids) == sorted(f"1111_{n:06d}" for n in range(DELIVERIES))
        deadline = time.monotonic() + 10
        while redis_counts() != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert redis_counts() == (0, 0), "messages left on the broker"
        assert worker.poll() is None, "the last worker stopped"
    finally:
        stack.stop()
