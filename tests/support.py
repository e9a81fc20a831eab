"""Helpers the tests that start other processes or connections share (servers, workers, make run,
sessions waiting on a lock)."""

from __future__ import annotations

import socket
import time
from collections.abc import Collection, Mapping
from urllib.parse import quote


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_test_db() -> str:
    """The test database as a URL another process can use, over TCP or the embedded server's socket."""
    from django.db import connection

    info = connection.settings_dict
    host = info["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{info['PORT']}" if info["PORT"] else ""
    return f"postgres://{info['USER']}@{host}{port}/{info['NAME']}"


def wait_until_blocked(sessions: Collection[int] | Mapping[object, int], *, count: int, what: str) -> None:
    """Wait (10 s at most) until ``count`` database sessions (their backend pids, filled in by the threads
    that own them) are waiting for a lock; fail the test saying ``what`` they never waited for."""
    from django.db import connection

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = list(sessions.values() if isinstance(sessions, Mapping) else sessions)
        if len(pids) == count:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM unnest(%s::int[]) AS pid WHERE pg_blocking_pids(pid) <> '{}'", [pids]
                )
                if cursor.fetchone()[0] == count:
                    return
        time.sleep(0.01)
    raise AssertionError(f"the {count} session(s) never waited for {what}")
