"""`make run` stops everything it started when make itself is sent SIGINT.

GNU make, sent SIGINT on its own (not the terminal's Ctrl-C, which reaches the whole foreground
group), forwards nothing to its child and waits for it: config/run_local.py must notice and stop
the web server, worker, beat and the embedded Redis. The repository's own Makefile is used
(``make -o install run``: the install step is CI's `make test`'s), with the test database as
DATABASE_URL (so migrate has nothing to do) and an embedded Redis of the test's own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config import localredis
from tests.support import database_url_for_test_db, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, by walking /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def restore_terminal_signals() -> None:  # as a shell's foreground job has them
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def cmdlines(pids: set[int]) -> str:
    text = []
    for pid in pids:
        try:
            text.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
    return "\n".join(text)


def test_kill_int_of_make_stops_the_web_server_worker_beat_and_embedded_redis(transactional_db, tmp_path, monkeypatch):
    redis_dir = Path(tempfile.mkdtemp(prefix="mc-run-"))  # short: the socket path must fit in 107 bytes
    monkeypatch.setenv("LOCAL_REDIS_DIR", str(redis_dir))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "MAKEFLAGS", "MAKELEVEL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": database_url_for_test_db(),
            "LOCAL_REDIS_DIR": str(redis_dir),
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
    )
    log_path = tmp_path / "make-run.log"
    with open(log_path, "w") as log:
        make = subprocess.Popen(
            [shutil.which("make") or "make", "--no-print-directory", "-o", "install", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=restore_terminal_signals,
        )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 150
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)  # noqa: S310 — our own http:// URL
                break
            except urllib.error.HTTPError:
                break
            except urllib.error.URLError:
                pass
            assert make.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "make run did not serve\n" + log_path.read_text()
            time.sleep(0.5)
        deadline = time.monotonic() + 60
        while not all(name in cmdlines(descendants(make.pid)) for name in ("runserver", "worker", "beat")):
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        started = descendants(make.pid)
        assert localredis.is_running()

        os.kill(make.pid, signal.SIGINT)  # make alone, as `kill -INT <make pid>` does
        status = make.wait(timeout=90)
        output = log_path.read_text()
        assert status != 0  # make reports the interrupt
        assert f"Serving the workspace at http://127.0.0.1:{port}/" in output
        assert "Stopped the web server, worker, beat and the embedded Redis." in output, output
        deadline = time.monotonic() + 10
        while [pid for pid in started if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.2)
        left = cmdlines({pid for pid in started if alive(pid)})
        assert not left, f"still running:\n{left}"
        assert not localredis.is_running()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)  # noqa: S310
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        localredis.stop()
        for path in sorted(redis_dir.glob("*")):
            path.unlink()
        redis_dir.rmdir()
