"""The change history of what the admin configures (issue 14, ADR 14): django-auditlog.

Each save or delete of a tracked model, whichever page, command or service makes it through the ORM,
writes one ``auditlog.LogEntry``: the object, the action (created, changed, deleted), and each field
changed with its value before and after (JSON), plus who made it and from where. PostgreSQL keeps the
table append-only (``config/migrations/0004``); superusers read it in the admin (*Change history*).

Who and from where come from the request being served (``config.audit.AuditContextMiddleware``,
the same as the security log's), not from django-auditlog's own middleware, which trusts any
``X-Forwarded-For`` header. Outside a request the actor is empty: the system.

Casework is not here: every casework decision is on the case timeline (``moderation.CaseEvent``).
"""

from __future__ import annotations

from auditlog import get_logentry_model
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save

# (app label, model, options for auditlog.register). Secrets and counters are left out: a password or
# token hash never enters the history, nor the fields a scheduler or sign-in rewrites on its own.
TRACKED: tuple[tuple[str, str, dict], ...] = (
    ("policy", "PolicyVersion", {}),
    ("moderation", "HouseRule", {}),
    ("moderation", "FlagRule", {}),
    ("moderation", "Channel", {}),
    ("moderation", "ServiceArea", {"m2m_fields": {"directors"}}),
    ("moderation", "ElectionPeriod", {}),
    ("moderation", "Integration", {"exclude_fields": ["token_hash"], "m2m_fields": {"channels"}}),
    ("moderation", "ImportSource", {}),
    ("escalation", "CrisisPeriod", {}),
    ("config_security", "IdentityProviderGroupRole", {}),
    ("auth", "Group", {"m2m_fields": {"permissions"}}),
    ("django_celery_beat", "PeriodicTask", {"exclude_fields": ["last_run_at", "total_run_count", "date_changed"]}),
    ("django_celery_beat", "CrontabSchedule", {}),
    ("django_celery_beat", "IntervalSchedule", {}),
)
USER_OPTIONS = {"exclude_fields": ["password", "last_login"], "m2m_fields": {"groups", "user_permissions"}}


def tracked_models() -> list:
    return [apps.get_model(app_label, name) for app_label, name, _options in TRACKED] + [get_user_model()]


def register() -> None:
    """Called once from ``SecurityConfig.ready``."""
    for app_label, name, options in TRACKED:
        model = apps.get_model(app_label, name)
        if not auditlog.contains(model):
            auditlog.register(model, **options)
    user = get_user_model()
    if not auditlog.contains(user):
        auditlog.register(user, **USER_OPTIONS)
    pre_save.connect(_who_and_where, sender=get_logentry_model(), dispatch_uid="config.history.who_and_where")


def _who_and_where(sender, instance, **kwargs) -> None:
    """The person making the current request, and their address, onto each history entry."""
    from config.audit import current_request, person_label, request_address

    request = current_request()
    user = getattr(request, "user", None) if request is not None else None
    if instance.actor_id is None and user is not None and getattr(user, "is_authenticated", False):
        person = getattr(user, "_wrapped", user)  # request.user is a lazy object: the user itself
        instance.actor = person
        instance.actor_email = person.email or None
    # the name as it was, kept if the account is ever deleted (the actor column then becomes empty)
    by = person_label(instance.actor if instance.actor_id else None)
    instance.additional_data = {**(instance.additional_data or {}), "by": by}
    if request is not None and not instance.remote_addr:
        instance.remote_addr = request_address(request)
