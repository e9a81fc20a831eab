"""Celery tasks: take plain data, call services, safe to run twice."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.db import connection

from moderation import imports, outbox, webhooks

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(IMPORT_LOCK_SPACE, csv_import_id): held by the worker running an import
IMPORT_LOCK_SPACE = 0x4353  # "CS"


@shared_task(acks_late=True)
def apply_meta_events(payload: dict) -> dict[str, int]:
    """A Meta webhook payload, already signature-checked by the view; a replay changes nothing.
    (Tasks queued before deliveries were kept in the database; new ones are ``apply_meta_delivery``.)"""
    return webhooks.meta_events_apply(payload=payload)


@shared_task(acks_late=True)
def apply_meta_delivery(delivery_id: int) -> dict[str, int] | None:
    """A kept Meta webhook delivery (``moderation.models.MetaDelivery``); applied at most once."""
    return webhooks.meta_delivery_apply(delivery_id)


@shared_task(acks_late=True)
def catch_up_meta_deliveries() -> int:
    """Every minute: deliveries the broker lost, applied; a week after applying, deleted."""
    return webhooks.meta_deliveries_catch_up()


@contextmanager
def _import_lock(csv_import_id: int):
    """A session advisory lock on the import: taken by one worker at a time, released by PostgreSQL
    when that worker's connection ends, however it ends (a worker killed with -9 included)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_LOCK_SPACE, csv_import_id])
        (taken,) = cursor.fetchone()
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [IMPORT_LOCK_SPACE, csv_import_id])
            except Exception:  # the connection was lost: so was the lock
                logger.warning("CSV import %s: advisory lock not released (connection gone)", csv_import_id)


def _stand_down_for() -> int:
    """Seconds before a delivery that found the import running looks again: well inside the
    visibility timeout (a waiting retry is an unacknowledged message too)."""
    return max(1, min(60, settings.CELERY_VISIBILITY_TIMEOUT // 4))


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=settings.CSV_IMPORT_TIME_LIMIT,
    soft_time_limit=settings.CSV_IMPORT_TIME_LIMIT - 60,
    max_retries=None,
)
def import_csv(self, csv_import_id: int, attempt: int | None = None) -> str | None:
    """Run a queued CSV import: every row checked, then all stored or none; a second delivery, or a
    late one for an earlier attempt, does nothing.

    An import may run longer than the broker's visibility timeout, so Redis delivers its task again
    while the first worker still runs it. That delivery finds the import's advisory lock held and
    stands down, leaving a retry to look again in a minute (Redis no longer holds the first
    delivery, so something must). When the first worker finishes, the retry finds the import done
    and ends; if it died, its lock died with its connection, and the retry runs the import again
    from the start (nothing was stored: an import stores all or nothing).
    """
    with _import_lock(csv_import_id) as taken:
        if taken:
            csv_import = imports.import_run(csv_import_id=csv_import_id, attempt=attempt)
            return csv_import.status if csv_import else None
    logger.info("CSV import %s: running in another worker; this delivery looks again later", csv_import_id)
    if self.request.called_directly:
        return None
    raise self.retry(countdown=_stand_down_for())


@shared_task
def fail_stalled_imports() -> int:
    """Every 15 minutes (beat): imports a dead worker will never finish are marked failed, to be retried."""
    return imports.imports_fail_stalled()


@shared_task(acks_late=True)
def deliver_outbox_message(message_id: int) -> str:
    """Queued when the decision that wrote the email commits; sends it once (see moderation.outbox)."""
    return outbox.outbox_deliver(message_id=message_id)


@shared_task(acks_late=True)
def deliver_outbox() -> dict[str, int]:
    """Every minute (beat): every email that is due, whether its task was lost or its last try failed."""
    return outbox.outbox_deliver_due()
