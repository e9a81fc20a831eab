"""Celery tasks: take plain data, call services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from moderation import webhooks


@shared_task(acks_late=True)
def apply_meta_events(payload: dict) -> dict[str, int]:
    """A Meta webhook payload, already signature-checked by the view; a replay changes nothing."""
    return webhooks.meta_events_apply(payload=payload)
