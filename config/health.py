"""Health endpoints for a load balancer or an orchestrator (the edge layer).

- ``/healthz``: the process is alive and answering. No I/O at all: a database outage must not get
  every instance restarted.
- ``/readyz``: the instance can do its work: PostgreSQL answers and every migration this code knows
  is applied, the cache's Redis and the Celery broker answer, and the file storage is reachable.
  200 ``{"status": "ok"}``, or 503 ``{"status": "unavailable", "failed": [...]}`` naming only the
  checks that failed (the reasons go to the log, never to the response).

Both are answered by ``HealthMiddleware`` ahead of every other middleware: no session, sign-in,
second step, HTTPS redirect or host check applies, so a probe can reach an instance over plain HTTP
at its own address. Neither says anything else (no versions, no hosts, no timings).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.http import JsonResponse

logger = logging.getLogger("config.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
# Each check gives up within this many seconds, so /readyz answers within a probe's usual timeout.
CHECK_TIMEOUT = 2


def check_database() -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        # every migration this code knows (a squash counts as applied once all it replaces are), not
        # only the latest of each app: one missing below an applied one counts too
        loader = MigrationLoader(connection, ignore_no_migrations=True)
        missing = sorted(key for key in loader.graph.nodes if key not in loader.applied_migrations)
    except Exception:
        # a broken connection is dropped, so the next probe connects afresh (and sees a recovery)
        connection.close()
        raise
    if missing:
        raise RuntimeError(f"{len(missing)} migration(s) not applied, first {missing[0]}")


def check_cache() -> None:
    from django.core.cache import cache

    cache.get("readyz:probe")  # a round trip: raises when the cache's Redis is unreachable


def check_broker() -> None:
    import redis
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
        return
    # any other transport (the embedded Redis on a Unix socket of make run): kombu's own connection
    with Connection(url, connect_timeout=CHECK_TIMEOUT, transport_options={"socket_timeout": CHECK_TIMEOUT}) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)


def check_storage() -> None:
    from django.core.files.storage import default_storage

    bucket = getattr(default_storage, "bucket_name", None)
    if bucket:  # S3 (django-storages): the bucket exists and these credentials may use it
        default_storage.connection.meta.client.head_bucket(Bucket=bucket)
        return
    default_storage.exists("readyz-probe")


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def readiness() -> list[str]:
    """The names of the checks that fail (empty: ready)."""
    failed = []
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure of a backing service makes the instance not ready
            failed.append(name)
            logger.warning(
                "readyz: %s check failed after %.0f ms: %r", name, (time.monotonic() - started) * 1000, error
            )
    return failed


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request) -> JsonResponse:
    return _json({"status": "ok"})


def readyz(request) -> JsonResponse:
    failed = readiness()
    if failed:
        return _json({"status": "unavailable", "failed": failed}, status=503)
    return _json({"status": "ok"})


class HealthMiddleware:
    """First in ``MIDDLEWARE``: answers the probes (and ``/metrics``, config.metrics) before anything
    else looks at the request. Only GET and HEAD; anything else is 405."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path in (HEALTH_PATH, READY_PATH, "/metrics"):
            request.endpoint_name = path.lstrip("/")  # the request log's and the latency metric's "view"
            if request.method not in ("GET", "HEAD"):
                response = _json({"status": "method not allowed"}, status=405)
                response["Allow"] = "GET, HEAD"
                return response
            if path == HEALTH_PATH:
                return healthz(request)
            if path == READY_PATH:
                return readyz(request)
            from config.metrics import metrics_view

            return metrics_view(request)
        return self.get_response(request)
