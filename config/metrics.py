"""Prometheus metrics at ``/metrics`` (prometheus-client; what each means and what to alert on:
docs/operations.md).

- Request latency by view: a histogram observed by ``config.requestlog.RequestLogMiddleware``. Under
  gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (the image's entrypoint does): each
  worker writes its samples there and the scrape adds them up.
- The application's state, computed at scrape time in a fixed number of queries whatever the
  number of rows (``ApplicationCollector``): open cases by stage, overdue sign-offs by kind, appeal
  windows open (and those not yet flagged by the daily sweep), the Celery queue's depth and the
  tasks held unacknowledged (Redis ``LLEN``/``HLEN`` on the broker).
- Task outcomes: counted in Redis by the workers (Celery's ``task_postrun`` signal, any worker,
  any machine) and read at scrape time, so every web instance reports the same totals.

``/metrics`` is not public. It answers only to an address in ``METRICS_ALLOWED_IPS`` (addresses or
networks) or to ``Authorization: Bearer <METRICS_BEARER_TOKEN>``; anyone else gets a 404 as if it
did not exist. It is answered ahead of the other middleware (``config.health.HealthMiddleware``).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from functools import lru_cache

from celery.signals import task_postrun
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger("config.metrics")

TASK_OUTCOMES_KEY = "moderation:metrics:task_outcomes"

# registry=None: registered into each scrape's own registry (below), never the library's global one
REQUEST_LATENCY = Histogram(
    "moderation_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by view.",
    ["view", "method", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=None,
)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    try:
        REQUEST_LATENCY.labels(view=view, method=method, status=str(status)).observe(seconds)
    except Exception:  # a metrics directory gone read-only must never fail a request
        logger.exception("could not record a request's latency")


# --- the broker's Redis ------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _redis_for(url: str):
    import redis

    if url.startswith("redis+socket://"):  # kombu's spelling of a Unix socket (make run's embedded Redis)
        path, _, query = url.removeprefix("redis+socket://").partition("?")
        db = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("virtual_host", "0")
        return redis.Redis(unix_socket_path=path, db=int(db or 0), socket_connect_timeout=2, socket_timeout=2)
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def broker_redis():
    return _redis_for(settings.CELERY_BROKER_URL)


@task_postrun.connect(dispatch_uid="config.metrics.count_task_outcome")
def count_task_outcome(sender=None, state=None, **kwargs):
    """Counts each task's outcome (SUCCESS, FAILURE, RETRY …) by task name, in the broker's Redis."""
    if not getattr(settings, "METRICS_COUNT_TASK_OUTCOMES", True) or sender is None:
        return
    try:
        broker_redis().hincrby(TASK_OUTCOMES_KEY, f"{sender.name}|{state or 'UNKNOWN'}", 1)
    except Exception as error:  # Redis unreachable: the task's own work matters more than its count
        logger.warning("could not count the outcome of %s: %r", getattr(sender, "name", sender), error)


def _queue_keys(queue: str) -> list[str]:
    """kombu's Redis transport keeps one list per priority step: ``celery``, ``celery\\x06\\x163`` …"""
    return [queue] + [f"{queue}\x06\x16{step}" for step in (3, 6, 9)]


# --- the application's state, at scrape time --------------------------------------------------------


def open_cases_by_stage() -> dict[str, int]:
    """Open cases counted by the stage the queue shows (escalation.case_selectors.case_stage), in one query."""
    from django.db.models import Case as When_
    from django.db.models import CharField, Count, Exists, OuterRef, Subquery, Value, When

    from escalation.constants import BlockStatus, SignOffKind, SignOffStatus, WarningStatus
    from escalation.models import Block, SignOff, Warning
    from moderation.constants import CaseStatus, Visibility
    from moderation.models import Case, Post

    latest_warning = Warning.objects.filter(case=OuterRef("pk")).order_by("-drafted_at")
    latest_block = Block.objects.filter(case=OuterRef("pk")).order_by("-proposed_at")
    rows = (
        Case.objects.filter(status=CaseStatus.OPEN)
        .annotate(
            pending_kind=Subquery(
                SignOff.objects.filter(case=OuterRef("pk"), status=SignOffStatus.PENDING)
                .order_by("requested_at")
                .values("kind")[:1]
            ),
            removed=Exists(
                Post.objects.filter(case=OuterRef("pk"), visibility__in=[Visibility.HIDDEN, Visibility.DELETED])
            ),
            warning=Subquery(latest_warning.values("status")[:1]),
            block=Subquery(latest_block.values("status")[:1]),
            to_undo=Exists(
                Block.objects.filter(
                    case=OuterRef("pk"), status=BlockStatus.LIFTED, undone_on_platform_at__isnull=True
                )
            ),
        )
        .annotate(
            stage=When_(
                When(to_undo=True, then=Value("Undo the block on the platform")),
                When(pending_kind=SignOffKind.APPEAL, then=Value("Appeal under review")),
                When(pending_kind__isnull=False, then=Value("Awaiting sign-off")),
                When(block=BlockStatus.ACTIVE, then=Value("Blocked")),
                When(warning=WarningStatus.SENT, then=Value("Warned")),
                When(warning=WarningStatus.APPROVED, then=Value("Warning to send")),
                When(warning=WarningStatus.DRAFT, then=Value("Warning drafted")),
                When(removed=True, then=Value("Post removed")),
                default=Value("New"),
                output_field=CharField(),
            )
        )
        .order_by()
        .values("stage")
        .annotate(n=Count("pk"))
    )
    return {row["stage"]: row["n"] for row in rows}


def overdue_signoffs(now) -> dict[str, int]:
    """Sign-offs (warnings, block approvals, appeals) waiting past their due time, by kind: one query."""
    from django.db.models import Count

    from escalation.constants import SignOffStatus
    from escalation.models import SignOff

    rows = (
        SignOff.objects.filter(status=SignOffStatus.PENDING, due_at__lte=now)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return {row["kind"]: row["n"] for row in rows}


def appeal_windows(now) -> tuple[int, int]:
    """Active blocks whose appeal window has opened, and of those the ones the daily sweep has not
    yet flagged to the Communications team: one query."""
    from django.db.models import Count, Q

    from escalation.constants import BlockStatus
    from escalation.models import Block

    counts = Block.objects.filter(status=BlockStatus.ACTIVE, appeal_opens_at__lte=now).aggregate(
        open=Count("pk"), unflagged=Count("pk", filter=Q(appeal_window_flagged_at__isnull=True))
    )
    return counts["open"], counts["unflagged"]


class ApplicationCollector:
    """Gauges and counters read when Prometheus scrapes. A source that fails is reported by
    ``moderation_metrics_source_up{source=...} 0`` and the rest are still sent."""

    def collect(self):
        from moderation import clock

        up = GaugeMetricFamily(
            "moderation_metrics_source_up", "1 if the source of these metrics answered this scrape.", labels=["source"]
        )
        now = clock.now()
        try:
            stages = open_cases_by_stage()
            overdue = overdue_signoffs(now)
            windows_open, windows_unflagged = appeal_windows(now)
        except Exception as error:
            logger.warning("metrics: the database did not answer: %r", error)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            cases = GaugeMetricFamily("moderation_open_cases", "Open cases by their stage.", labels=["stage"])
            for stage, n in sorted(stages.items()):
                cases.add_metric([stage], n)
            yield cases
            late = GaugeMetricFamily(
                "moderation_overdue_signoffs",
                "Sign-offs waiting for a decision past their due time, by kind (warning, block, appeal).",
                labels=["kind"],
            )
            for kind in ("warning", "block", "appeal"):
                late.add_metric([kind], overdue.get(kind, 0))
            yield late
            yield GaugeMetricFamily(
                "moderation_appeal_windows_open",
                "Active blocks whose appeal window has opened.",
                value=windows_open,
            )
            yield GaugeMetricFamily(
                "moderation_appeal_windows_unflagged",
                "Active blocks whose appeal window has opened but the daily sweep has not flagged.",
                value=windows_unflagged,
            )
        try:
            client = broker_redis()
            queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
            pipe = client.pipeline()
            for key in _queue_keys(queue):
                pipe.llen(key)
            pipe.hlen("unacked")
            pipe.hgetall(TASK_OUTCOMES_KEY)
            *lengths, unacked, outcomes = pipe.execute()
        except Exception as error:
            logger.warning("metrics: the broker did not answer: %r", error)
            up.add_metric(["broker"], 0)
        else:
            up.add_metric(["broker"], 1)
            yield GaugeMetricFamily(
                "moderation_celery_queue_depth", "Tasks waiting in the broker for a worker.", value=sum(lengths)
            )
            yield GaugeMetricFamily(
                "moderation_celery_tasks_unacknowledged",
                "Tasks a worker has taken and not yet finished (or that a dead worker held).",
                value=unacked,
            )
            counted = CounterMetricFamily(
                "moderation_celery_task_outcomes",
                "Tasks finished, by task and outcome (SUCCESS, FAILURE, RETRY …), counted by every worker.",
                labels=["task", "outcome"],
            )
            for field, n in sorted(outcomes.items()):
                task, _, outcome = field.decode().partition("|")
                counted.add_metric([task, outcome], int(n))
            yield counted
        yield up


# --- the endpoint --------------------------------------------------------------------------------


def _client_allowed(request) -> bool:
    token = getattr(settings, "METRICS_BEARER_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    allowed = getattr(settings, "METRICS_ALLOWED_IPS", [])
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS: %r is not an address or a network", entry)
    return False


def registry() -> CollectorRegistry:
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(REQUEST_LATENCY)
    scrape.register(ApplicationCollector())
    return scrape


def metrics_view(request):
    if not _client_allowed(request):
        response = JsonResponse({"detail": "Not found."}, status=404)
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
