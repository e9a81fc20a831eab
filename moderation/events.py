"""The one function that writes the case timeline. Called by services only, inside their transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from moderation import clock, navcache
from moderation.constants import EventKind
from moderation.models import Case, CaseEvent

SYSTEM = "system"


def actor_label(actor: AbstractBaseUser | None) -> str:
    if actor is None:
        return SYSTEM
    full_name = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return full_name or actor.get_username()


def record_event(
    *,
    case: Case | int,
    kind: EventKind,
    actor: AbstractBaseUser | None,
    subject: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    label: str | None = None,
) -> CaseEvent:
    """Append one event to ``case``'s timeline. Must run inside the service's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must be called inside the service's transaction")
    navcache.changed()  # what waits for people may have changed: their navigation counts again
    return CaseEvent.objects.create(
        case_id=case if isinstance(case, int) else case.pk,
        kind=kind,
        actor=actor,
        actor_label=label or actor_label(actor),
        at=clock.now(),
        subject_type=subject._meta.model_name,
        subject_id=subject.pk,
        before=before or {},
        after=after or {},
        note=note,
    )


def record_events_bulk(events: list[CaseEvent]) -> list[CaseEvent]:
    """Append many events in one INSERT (set-based services). Same rules as ``record_event``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events_bulk must be called inside the service's transaction")
    navcache.changed()
    return CaseEvent.objects.bulk_create(events)
