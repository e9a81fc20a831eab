"""Celery tasks: take plain data, call services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from moderation import imports, webhooks


@shared_task(acks_late=True)
def apply_meta_events(payload: dict) -> dict[str, int]:
    """A Meta webhook payload, already signature-checked by the view; a replay changes nothing."""
    return webhooks.meta_events_apply(payload=payload)


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3540)
def import_csv(csv_import_id: int) -> str | None:
    """Run a queued CSV import: every row checked, then all stored or none; a second delivery does nothing."""
    csv_import = imports.import_run(csv_import_id=csv_import_id)
    return csv_import.status if csv_import else None
