"""Celery tasks: take ids, call services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from escalation import services
from escalation.models import Block


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
    from django.conf import settings

    from escalation.notifications import send

    blocks = list(Block.objects.filter(pk__in=block_ids).select_related("account").order_by("appeal_opens_at"))
    return send("appeal_window_digest", [settings.COMMUNICATIONS_TEAM_EMAIL], {"blocks": blocks})


@shared_task(acks_late=True)
def chase_overdue() -> dict[str, int]:
    return services.overdue_chase()
