"""Periods that change how the team works: pre-election periods and crisis mode (Hart's policy).

- A **pre-election period** is a date range set in the admin (``moderation.ElectionPeriod``). While one
  is on, every workspace page says so, the party-political house rules are offered first on the case
  forms, and the flag rules tied to it run (``moderation.flags``).
- **Crisis mode** (``CrisisPeriod``) is switched on by a manager with a reason and off again. While it
  is on, every page says so and the queue lists urgent work first; the team and the head of the
  organisation are emailed when it starts; every case open during it carries the switch on its timeline.

``notices()`` is what every page shows: read once, cached (as the policy is) under a key holding
today's date, so a period starts and ends at midnight without anyone saving anything, and forgotten
whenever a period or crisis changes, so no page shows a stale one for longer than the write takes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from escalation import routing
from escalation.models import CrisisPeriod
from moderation import clock
from moderation.constants import CaseStatus, EventKind
from moderation.events import actor_label, record_events_bulk
from moderation.models import Case, CaseEvent, ElectionPeriod
from moderation.services import clean_text, conflict, require_perm
from policy.dates import say_datetime

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
REASON_MAX = 2000


@dataclass(frozen=True)
class Notices:
    """What every workspace page says about the periods in force today."""

    elections: tuple[ElectionPeriod, ...] = ()
    crisis: CrisisPeriod | None = None

    @property
    def election(self) -> ElectionPeriod | None:
        """The pre-election period that ends last, when several overlap (its end is the one to show)."""
        return max(self.elections, key=lambda period: period.ends_on, default=None)


def _key(day: date) -> str:
    return f"workspace-notices:{day.isoformat()}"


def _read(day: date) -> Notices:
    elections = tuple(ElectionPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("ends_on", "pk"))
    crisis = CrisisPeriod.objects.filter(in_force=True).select_related("started_by").first()
    return Notices(elections=elections, crisis=crisis)


def notices() -> Notices:
    """The pre-election periods on today and the crisis in force (cached; see the module)."""
    day = timezone.localdate(clock.now())
    try:
        found = cache.get(_key(day))
    except Exception:  # an unreachable cache must not stop a page
        logger.warning("cache unreachable; reading the periods from the database", exc_info=True)
        return _read(day)
    if found is None:
        found = _read(day)
        try:
            cache.set(_key(day), found, CACHE_SECONDS)
        except Exception:
            logger.warning("cache unreachable", exc_info=True)
    return found


def forget_notices() -> None:
    """Forget the cached notices now and again once the writing transaction commits (a request that
    read the old rows in between cannot keep them)."""

    def forget() -> None:
        try:
            cache.delete(_key(timezone.localdate(clock.now())))
        except Exception:
            logger.warning("cache unreachable; a stale notice may show for %ss", CACHE_SECONDS, exc_info=True)

    forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget)


def election_period_on(day: date | None = None) -> bool:
    day = day or timezone.localdate(clock.now())
    return ElectionPeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).exists()


# --- Crisis mode ------------------------------------------------------------------------------


def _reason(value: str, *, required: bool) -> str:
    text = clean_text(value or "").strip()
    if required and not text:
        raise conflict("Enter the reason: what has happened, so the team and the timelines say why.")
    if len(text) > REASON_MAX:
        raise conflict(f"The reason must be {REASON_MAX:,} characters or fewer.")
    return text


def _mark_cases(crisis: CrisisPeriod, *, kind: str, actor: AbstractBaseUser, note: str, cases) -> int:
    """One event of ``kind`` on each of ``cases`` (ids), in one INSERT."""
    at = clock.now()
    label = actor_label(actor)
    events = [
        CaseEvent(
            case_id=case_id,
            kind=kind,
            actor=actor,
            actor_label=label,
            at=at,
            subject_type=CrisisPeriod._meta.model_name,
            subject_id=crisis.pk,
            after={"crisis": crisis.pk},
            note=note,
        )
        for case_id in cases
    ]
    record_events_bulk(events)
    return len(events)


def crisis_start(*, actor: AbstractBaseUser, reason: str) -> CrisisPeriod:
    """Switch crisis mode on: recorded with who and why, on every open case's timeline, and emailed to
    the team and the head of the organisation once it commits. Refused while one is already on."""
    require_perm(actor, routing.PERM_DECLARE_CRISIS, "switch crisis mode on")
    reason = _reason(reason, required=True)
    with transaction.atomic():
        try:
            with transaction.atomic():
                crisis = CrisisPeriod.objects.create(reason=reason, started_by=actor, started_at=clock.now())
        except IntegrityError:
            running = CrisisPeriod.objects.filter(in_force=True).select_related("started_by").first()
            since = f" since {say_datetime(running.started_at)}" if running else ""
            raise conflict(f"Crisis mode is already on{since}. Nothing was changed.") from None
        open_cases = Case.objects.filter(status=CaseStatus.OPEN).order_by("pk").values_list("pk", flat=True)
        _mark_cases(crisis, kind=EventKind.CRISIS_STARTED, actor=actor, note=reason, cases=open_cases)
        _tell_the_team(crisis, started=True)
        forget_notices()
    return crisis


def crisis_end(*, actor: AbstractBaseUser, crisis: CrisisPeriod, note: str = "") -> CrisisPeriod:
    """Switch crisis mode off. Every case open at any time during it (recorded during it, or closed
    during it, included) gets the switch-off on its timeline; the team is told."""
    require_perm(actor, routing.PERM_DECLARE_CRISIS, "switch crisis mode off")
    note = _reason(note, required=False)
    with transaction.atomic():
        crisis = CrisisPeriod.objects.select_for_update().get(pk=crisis.pk)
        if not crisis.in_force:
            raise conflict("Crisis mode was already switched off. Nothing was changed.")
        crisis.in_force = False
        crisis.ended_at = clock.now()
        crisis.ended_by = actor
        crisis.end_note = note
        crisis.save(update_fields=["in_force", "ended_at", "ended_by", "end_note"])
        during = (
            Case.objects.filter(recorded_at__lte=crisis.ended_at)
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=crisis.started_at))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        text = f"Crisis mode on since {say_datetime(crisis.started_at)}: {crisis.reason}"
        _mark_cases(crisis, kind=EventKind.CRISIS_ENDED, actor=actor, note=note or text, cases=during)
        _tell_the_team(crisis, started=False)
        forget_notices()
    return crisis


def crisis_recipients() -> list[str]:
    """Who is told when crisis mode starts and ends: everyone who works the queue, and the head."""
    from escalation.notifications import emails_of_role_holders

    return sorted(
        set(emails_of_role_holders(routing.PERM_RECORD_CASE))
        | set(emails_of_role_holders(routing.PERM_ACKNOWLEDGE_BLOCK))
        | set(emails_of_role_holders(routing.PERM_DECIDE_APPEAL))
    )


def _tell_the_team(crisis: CrisisPeriod, *, started: bool) -> None:
    from escalation.notifications import queue

    queue(
        "crisis_started" if started else "crisis_ended",
        crisis_recipients(),
        {"crisis": crisis},
        key=f"crisis-{'started' if started else 'ended'}:{crisis.pk}",
    )
