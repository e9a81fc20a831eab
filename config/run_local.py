"""`make run`: the whole system on one machine, stopped together by Ctrl-C or any stop signal.

1. PostgreSQL: DATABASE_URL if set, else the embedded server in .local/postgres (started here).
   Redis: REDIS_URL if set, else the embedded server in .local/redis (started here): the Celery
   broker and the cache shared by the web server and the worker.
2. migrate, then load the demo data (idempotent) and print the demo sign-ins.
3. Serve the app (runserver on HOST:PORT, default 127.0.0.1:8000) with a real Celery worker and
   beat. Messages a killed worker held are put back on the queue first (embedded Redis only).
4. Ask the worker once to check appeal windows, so the demo's 13-month-old block is flagged.

Stopping. Each child runs in a process group of its own, so this supervisor alone decides how it
stops: SIGINT, SIGTERM or SIGHUP to this process (Ctrl-C in the terminal reaches it and make),
to make (GNU make forwards SIGTERM; for SIGINT and SIGHUP it only waits for its child, which this
process notices, see ``_make_was_signalled``), or the death of make, or of any child, stops the
web server, worker, beat and the embedded Redis and PostgreSQL. The children are also told by the
kernel (PR_SET_PDEATHSIG) should this process be killed outright.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
PY = sys.executable
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# make blocks the signal it is handling while it waits for its children to end
MAKE_FATAL_MASK = sum(1 << (s - 1) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT))
WORKER_GRACE_SECONDS = 30  # a running task may finish; after that it is redelivered on the next start
PR_SET_PDEATHSIG = 1


class Stop(Exception):
    pass


# The role the local web server, worker and beat connect to the embedded PostgreSQL as.
LOCAL_APP_ROLE = "moderation_app"

def _load_dotenv() -> None:
    """HOST and PORT may be in .env, like every other setting (the environment wins)."""
    import environ

    if (ROOT / ".env").exists():
        environ.Env.read_env(ROOT / ".env", overwrite=False)


def address() -> tuple[str, int]:
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    raw = os.environ.get("PORT", "").strip() or "8000"
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise SystemExit(f"PORT must be a number from 1 to 65535, not {raw!r}.")
    return host.strip("[]"), port


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the supervisor's own stop path still applies
    _prctl = None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(*args: str) -> subprocess.Popen:
    """A child in its own process group (so a terminal's Ctrl-C reaches only the supervisor)."""
    return subprocess.Popen(
        [PY, *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent,
    )


def run_step(*args: str, children: list, check: bool = True) -> None:
    """A setup step (migrate, seed_demo); stopping meanwhile stops it too."""
    process = spawn(*args)
    children.append(("setup", process))
    status = process.wait()
    children.remove(("setup", process))
    if check and status != 0:
        raise subprocess.CalledProcessError(status, args)


def _parent_state(ppid: int) -> tuple[str, int] | None:
    try:
        comm = Path(f"/proc/{ppid}/comm").read_text().strip()
        status = Path(f"/proc/{ppid}/status").read_text()
    except OSError:
        return None
    blocked = 0
    for line in status.splitlines():
        if line.startswith("SigBlk:"):
            blocked = int(line.split(":", 1)[1].strip(), 16)
    return comm, blocked


def _make_was_signalled(ppid: int) -> bool:
    """True when our parent is make and it is handling SIGINT, SIGTERM, SIGHUP or SIGQUIT.

    GNU make, sent SIGINT or SIGHUP on its own (``kill -INT <make>``, not the terminal's Ctrl-C
    that reaches the whole foreground group), forwards nothing: its handler waits for its
    children to end, with the signal blocked meanwhile. That blocked signal is how we know.
    """
    state = _parent_state(ppid)
    if state is None:
        return False
    comm, blocked = state
    return comm in ("make", "gmake") and bool(blocked & MAKE_FATAL_MASK)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_children(children: list[tuple[str, subprocess.Popen]]) -> None:
    # The worker's main process is asked for a warm shutdown (it stops its pool itself); runserver
    # (with its autoreloader child), beat and setup steps get SIGTERM as a group.
    for name, process in children:
        if process.poll() is None:
            if name == "worker":
                process.send_signal(signal.SIGTERM)
            else:
                signal_group(process, signal.SIGTERM)
    for name, process in children:
        try:
            process.wait(timeout=WORKER_GRACE_SECONDS if name == "worker" else 10)
        except subprocess.TimeoutExpired:
            print(f"The {name} did not stop in time; killing it.", file=sys.stderr)
            signal_group(process, signal.SIGKILL)
            process.wait()
    # anything left in a child's group (a pool process, runserver's reloaded child) has a few
    # seconds to finish its own exit (killed while writing a file, it could leave it cut short)
    deadline = time.monotonic() + 5
    for _name, process in children:
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        signal_group(process, signal.SIGKILL)


def claim(folder: Path, wait: float = 30) -> IO | None:
    """Hold ``folder`` (an embedded server's) for this run: another `make run` of the same folders
    would share the server and stop it under us. Waits for one that is still stopping."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    handle = open(folder.parent / f"{folder.name}.make-run.lock", "w")  # held until this process exits
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            if not told:
                print(f"Waiting for another make run using {folder} to stop…", flush=True)
                told = True
            time.sleep(0.2)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main() -> int:
    _load_dotenv()
    host, port = address()
    url = f"http://{url_host(host)}:{port}/"
    os.environ["SITE_URL"] = url  # for the demo sign-in printout of seed_demo
    embedded_db = not os.environ.get("DATABASE_URL")
    embedded_redis = not os.environ.get("REDIS_URL")
    children: list[tuple[str, subprocess.Popen]] = []
    status = 0
    stopping = False
    parent = os.getppid()
    suspicious = 0
    joined_db = joined_redis = False  # the embedded servers this run started or joined
    claims: list[IO] = []  # held until this process exits

    def stop(why: str) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise Stop(why)

    def on_signal(signum, frame):
        stop(signal.Signals(signum).name)

    def watch_parent(signum, frame):
        # SIGALRM twice a second: stop when make was signalled or is gone
        nonlocal suspicious
        if stopping:
            return
        if os.getppid() != parent:
            stop("make has gone")
        suspicious = suspicious + 1 if _make_was_signalled(parent) else 0
        if suspicious >= 2:  # seen twice, 0.5 s apart: make is in its fatal-signal handler
            stop("make was signalled")

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    signal.signal(signal.SIGALRM, watch_parent)
    signal.setitimer(signal.ITIMER_REAL, 0.5, 0.5)
    try:
        if not port_free(host, port):
            print(f"{url_host(host)}:{port} is in use: set PORT (and HOST) to a free address.", file=sys.stderr)
            return 1
        if embedded_db or embedded_redis:
            from config import localredis
            from config.localdb import pgdata

            used = ([pgdata()] if embedded_db else []) + ([localredis.folder()] if embedded_redis else [])
            for folder in used:
                held = claim(folder)
                if held is None:
                    print(f"Another make run is using {folder}: stop it first.", file=sys.stderr)
                    return 1
                claims.append(held)
        if embedded_db:
            from config.localdb import ensure_running

            joined_db = True
            ensure_running()
            print(f"Embedded PostgreSQL running in {pgdata()}")
        if embedded_redis:
            from config import localredis

            joined_redis = True
            localredis.ensure_running()
            print(f"Embedded Redis running in {localredis.folder()} (the Celery broker and the cache)")
            requeued = localredis.requeue_unacknowledged()
            if requeued:
                print(f"Put back on the queue {requeued} task(s) a stopped worker had not finished.")
        run_step("manage.py", "migrate", "--noinput", children=children)
        run_step("manage.py", "seed_demo", children=children)
        if embedded_db:
            # as production runs: the owner (this process's role) migrated and loaded the demo; the web
            # server, worker and beat connect as a role that owns nothing (config/dbroles.py)
            run_step("manage.py", "db_app_role", LOCAL_APP_ROLE, "--create", children=children)
            os.environ["DATABASE_APP_ROLE"] = LOCAL_APP_ROLE
            os.environ["DATABASE_APP_USER"] = LOCAL_APP_ROLE

        broker = "Redis at " + os.environ["REDIS_URL"] if not embedded_redis else "the embedded Redis"
        children.append(("web server", spawn("manage.py", "runserver", f"{url_host(host)}:{port}")))
        worker = spawn("-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2")
        children.append(("worker", worker))
        children.append(("beat", spawn("-m", "celery", "-A", "config", "beat", "--loglevel=INFO")))
        print(f"Serving the workspace at {url} (admin at {url}admin/), with a Celery worker and beat ({broker}).")
        print("Ctrl-C stops everything.", flush=True)
        # on demand once at start (beat does it daily at 07:00): flags the demo's year-old blocks
        run_step(
            "-c",
            "import django; django.setup(); from escalation.tasks import flag_open_appeal_windows as t; t.delay()",
            children=children,
            check=False,  # best effort: beat does it anyway
        )
        while True:
            stopped = [name for name, process in children if process.poll() is not None]
            if stopped:
                print(f"The {stopped[0]} stopped; stopping the rest.", file=sys.stderr)
                status = 1
                break
            time.sleep(0.5)
    except Stop as why:
        print(f"\n{why}: stopping.", flush=True)
    except subprocess.CalledProcessError as error:
        print(f"Setting up failed: {error}", file=sys.stderr)
        status = 1
    finally:
        stopping = True
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        stop_children(children)
        names = [name for name, _process in children if name != "setup"]
        stopped = ["the " + ", ".join(names)] if names else []
        if joined_redis:
            from config import localredis

            if localredis.stop():
                stopped.append("the embedded Redis")
        if joined_db:
            from config.localdb import stop as stop_db

            if stop_db():
                stopped.append("the embedded PostgreSQL")
        if stopped:
            listed = ", ".join(stopped[:-1]) + " and " + stopped[-1] if len(stopped) > 1 else stopped[0]
            print(f"Stopped {listed}.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
