"""Celery tasks: take plain data, call services, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from moderation import imports, webhooks


@shared_task(acks_late=True)
def apply_meta_events(payload: dict) -> dict[str, int]:
    """A Meta webhook payload, already signature-checked by the view; a replay changes nothing."""
    return webhooks.meta_events_apply(payload=payload)


@shared_task(
    acks_late=True, time_limit=settings.CSV_IMPORT_TIME_LIMIT, soft_time_limit=settings.CSV_IMPORT_TIME_LIMIT - 60
)
def import_csv(csv_import_id: int, attempt: int | None = None) -> str | None:
    """Run a queued CSV import: every row checked, then all stored or none; a second delivery, or a
    late one for an earlier attempt, does nothing."""
    csv_import = imports.import_run(csv_import_id=csv_import_id, attempt=attempt)
    return csv_import.status if csv_import else None


@shared_task
def fail_stalled_imports() -> int:
    """Every 15 minutes (beat): imports a dead worker will never finish are marked failed, to be retried."""
    return imports.imports_fail_stalled()
