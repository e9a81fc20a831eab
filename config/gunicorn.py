"""gunicorn's settings in the container (docker/entrypoint.sh: ``gunicorn --config python:config.gunicorn``).

Every value can be changed from the environment; see .env.example.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104  (inside the container, behind the proxy)
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# a 64 MB CSV upload over a slow link, and the proxy's own read timeout above it
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# the app writes one JSON line per request itself (config/requestlog.py); gunicorn's own access
# log is off unless asked for
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
errorlog = "-"
# the proxies whose X-Forwarded-* headers are believed (the compose file's nginx, a load balancer)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# the workers' heartbeat files in memory (/dev/shm), never the container's read-only disk
worker_tmp_dir = "/dev/shm"  # noqa: S108


def child_exit(server, worker):
    """A worker that exits leaves its request metrics behind; mark them so (prometheus-client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
