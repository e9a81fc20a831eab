"""Reading and publishing the organisation's policy.

``current()`` is what every page, email, deadline and task reads: the newest version, cached (the
shared cache in production, so a change takes effect on every instance at once, without a restart).
Within one request the version is read from the cache once (``request_scope``, entered by
``policy.middleware.OnePolicyPerRequest``): a page's deadlines, titles and limits all come from the
same version, and a page of 25 cases asks the cache once, not twice a row (issue 13).
``publish()`` is the one way a version is made: in a transaction, numbered after the last, with who
and why, and its audit event in the security log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from asgiref.local import Local
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.forms.models import model_to_dict

from policy.models import MONDAY_TO_FRIDAY, BankHolidays, PolicyVersion
from policy.signals import policy_published

logger = logging.getLogger(__name__)
CACHE_KEY = "policy:current:v1"
# a missed invalidation (a cache that was down when a version was published) heals within this
CACHE_SECONDS = 300
# what a version holds besides its bookkeeping: compared to say what a new version changed
SETTINGS_FIELDS = [
    f.name
    for f in PolicyVersion._meta.get_fields()
    if getattr(f, "editable", False) and f.name not in ("id", "reason", "notes")
]


# The version a request has read (``request_scope``): none outside a request (tasks, the shell, tests),
# but for a task that enters one itself (the overdue chase).
_request = Local()


@contextmanager
def request_scope() -> Iterator[None]:
    """Read the policy once while inside: every ``current()`` then returns the version read first,
    unless a version is published (or the cache forgotten) meanwhile. Inside another (a scheduled
    task run from a page), it keeps the outer one's."""
    if getattr(_request, "active", False):
        yield
        return
    _request.active, _request.version = True, None
    try:
        yield
    finally:
        _request.active, _request.version = False, None


# What cannot work under the active policy as the roles stand today (a ladder step nobody can take):
# the apps above the policy register their finders (``escalation.checks``); the admin shows them.
GAP_FINDERS: list[Callable[[], list[str]]] = []


def policy_gaps() -> list[str]:
    return [gap for finder in GAP_FINDERS for gap in finder()]


def from_settings() -> PolicyVersion:
    """The policy this deployment starts with (unsaved): the environment's values, NHDC's by default."""
    return PolicyVersion(
        organisation_name=settings.ORGANISATION_NAME,
        policy_url=settings.SOCIAL_MEDIA_POLICY_URL,
        team_email=settings.COMMUNICATIONS_TEAM_EMAIL,
        working_weekdays=list(MONDAY_TO_FRIDAY),
        opening_time=settings.OFFICE_HOURS_START,
        closing_time=settings.OFFICE_HOURS_END,
        bank_holidays=BankHolidays.ENGLAND_AND_WALES,
        first_response_working_days=Decimal(str(settings.CASE_RESPONSE_WORKING_DAYS)),
        signoff_due_working_days=Decimal(str(settings.SIGNOFF_DUE_WORKING_DAYS)),
        acknowledgement_due_working_days=Decimal(str(settings.ACKNOWLEDGEMENT_DUE_WORKING_DAYS)),
        warning_lookback_months=settings.WARNING_LOOKBACK_MONTHS,
        police_force=settings.POLICE_FORCE,
        session_idle_minutes=settings.SESSION_IDLE_MINUTES,
        session_absolute_hours=settings.SESSION_ABSOLUTE_HOURS,
    )


def current() -> PolicyVersion:
    """The active policy version. Before any is published (a database just flushed), the settings'."""
    if getattr(_request, "active", False):
        if _request.version is None:
            _request.version = _current()
        return _request.version
    return _current()


def _current() -> PolicyVersion:
    try:
        version = cache.get(CACHE_KEY)
    except Exception:  # an unreachable cache must not stop a page: read the database
        logger.warning("policy cache unreachable; reading the policy from the database", exc_info=True)
        version = None
    if version is None:
        version = PolicyVersion.objects.order_by("-number").first()
        if version is None:
            return from_settings()
        _remember(version)
    return version


def forget() -> None:
    """Drop the cached version (the next read takes the newest from the database)."""
    _request.version = None
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        logger.warning("policy cache unreachable; a stale version may be read for %ss", CACHE_SECONDS, exc_info=True)


def _remember(version: PolicyVersion) -> None:
    try:
        cache.set(CACHE_KEY, version, CACHE_SECONDS)
    except Exception:
        logger.warning("policy cache unreachable", exc_info=True)


def changes(before: PolicyVersion | None, after: PolicyVersion) -> dict[str, list]:
    """What ``after`` changed from ``before``: {field: [old, new]} as text."""
    old = model_to_dict(before, fields=SETTINGS_FIELDS) if before is not None else {}
    new = model_to_dict(after, fields=SETTINGS_FIELDS)
    return {name: [_text(old.get(name)), _text(value)] for name, value in new.items() if old.get(name) != value}


def _text(value) -> str | list | None:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return str(value)


def publish(*, version: PolicyVersion, by=None, reason: str, preset: str = "") -> PolicyVersion:
    """Make ``version`` (unsaved, its fields set) the active policy, numbered after the last one.

    Refused with ``ValidationError`` (nothing written) when the policy cannot work. Returns the saved
    version; when it changes nothing from the active one, returns the active one and writes nothing.
    """
    if version.pk is not None:
        raise ValueError("publish() takes a new, unsaved version: versions are never edited")
    version.reason = reason.strip()
    version.preset = preset
    version.full_clean(exclude=["number"])
    with transaction.atomic():
        with connection.cursor() as cursor:  # one publisher at a time: numbers never clash
            cursor.execute("LOCK TABLE policy_policyversion IN SHARE ROW EXCLUSIVE MODE")
        active = PolicyVersion.objects.order_by("-number").first()
        changed = changes(active, version)
        if active is not None and not changed and (active.notes == version.notes):
            return active
        version.number = (active.number if active else 0) + 1
        if by is not None and getattr(by, "is_authenticated", False):
            version.created_by_id = by.pk
            version.created_by_label = by.get_full_name() or by.get_username()
        else:
            version.created_by_label = "system"
        version.save()
        version.refresh_from_db(fields=["created_at"])
        policy_published.send(
            sender=PolicyVersion,
            actor=by,
            detail={"version": version.number, "preset": preset, "reason": version.reason, "changed": changed},
        )
        forget()  # this transaction reads the new version at once
        transaction.on_commit(forget)  # every other reader once it is committed
    return version


def revise(*, by=None, reason: str, preset: str = "", **settings_changed) -> PolicyVersion:
    """Publish the active policy with ``settings_changed`` (field=value): the way code, presets and tests
    change one setting. Refused like ``publish`` when the result cannot work."""
    active = current()
    data = model_to_dict(active, fields=[*SETTINGS_FIELDS, "notes"])
    unknown = set(settings_changed) - set(data)
    if unknown:
        raise TypeError(f"not policy settings: {', '.join(sorted(unknown))}")
    return publish(version=PolicyVersion(**{**data, **settings_changed}), by=by, reason=reason, preset=preset)
