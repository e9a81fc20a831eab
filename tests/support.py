"""Helpers the tests that start other processes share (servers, workers, make run)."""

from __future__ import annotations

import socket
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
