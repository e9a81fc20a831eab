"""Celery tasks: take ids, call services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from escalation import services

# Emails go through the outbox (moderation.tasks.deliver_outbox_message); these two and
# send_appeal_window_digest only serve tasks queued before it, and send once all the same.


@shared_task(acks_late=True)
def notify_managing_director(block_id: int) -> bool:
    return services.block_notify_managing_director(block_id=block_id)


@shared_task(acks_late=True)
def notify_police_report(report_id: int) -> bool:
    return services.police_report_notify_managing_director(report_id=report_id)


@shared_task(acks_late=True)
def flag_open_appeal_windows() -> list[int]:
    """Daily at 07:00 London, and on demand from the admin."""
    return services.appeal_windows_flag()


@shared_task(acks_late=True)
def send_appeal_window_digest(block_ids: list[int]) -> int:
    """Email the Communications team the blocks whose appeal window opened; a redelivery sends nothing twice.
    (``flag_open_appeal_windows`` now writes its digest to the outbox itself.)"""
    return services.appeal_window_digest_send(block_ids=block_ids)


@shared_task(acks_late=True)
def chase_overdue() -> dict[str, int]:
    return services.overdue_chase()


@shared_task(acks_late=True)
def send_notification_digests() -> int:
    """Daily at 07:30 London: each person who chose a digest gets one email of what waited for them."""
    from escalation import notify

    return notify.digest_send()


@shared_task(acks_late=True)
def purge_retention() -> dict[str, int]:
    """Nightly at 02:30 London: redact what the policy no longer keeps (``escalation.retention``)."""
    from escalation import retention

    run = retention.retention_purge()
    return {"run": run.pk, "total": run.total}


@shared_task(acks_late=True)
def compact_report_tally() -> int:
    """Every 15 minutes: the reports' tally summed to one row an hour and channel (safe beside writers)."""
    from escalation.reports import tally_compact

    return tally_compact()
