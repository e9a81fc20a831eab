"""The security log's one writer, and what it listens to.

Recorded, whichever way it happens (the pages, the admin, a management command, a script):
sign-ins and failures (never a password), lockouts, sign-outs, the second step passed or failed,
devices added or removed, recovery codes made, roles and permissions given or taken away, account
flags changed, every change made in the admin (its LogEntry), every policy version published, and
every download of personal or bulk data (``policy.signals.data_downloaded``). Field-level before and
after of what the admin configures is in the change history (``config.history``).

The person acting and their address come from the request being served (``AuditContextMiddleware``);
outside a request the actor is "system".
"""

from __future__ import annotations

import contextvars
import logging

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from config.models import SecurityEvent, SecurityEventKind
from policy.signals import data_exported, policy_published

logger = logging.getLogger("moderation.security")
User = get_user_model()
_request = contextvars.ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    """Makes the request (who is acting, from where) known to the log's receivers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request():
    """The request being served (None outside one: a command, a task)."""
    return _request.get()


def request_address(request) -> str | None:
    return _address(request)


def person_label(user) -> str:
    """"username (Full Name)", or "system" for nobody."""
    return _label(user)


def _address(request) -> str | None:
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return address or None


def _label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return f"{user.get_username()} ({user.get_full_name()})" if user.get_full_name() else user.get_username()


def security_event_record(*, kind: str, subject=None, request=None, actor=None, detail: dict | None = None) -> None:
    """Append one event. ``actor`` defaults to the person making the current request."""
    request = request if request is not None else _request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    person = (
        actor if actor is not None and getattr(actor, "is_authenticated", False) and hasattr(actor, "groups") else None
    )
    SecurityEvent.objects.create(
        kind=kind,
        actor_id=person.pk if person else None,
        actor_label=_label(person),
        subject_id=getattr(subject, "pk", None),
        subject_label=_label(subject) if subject is not None else "",
        ip_address=_address(request),
        detail=detail or {},
    )


# --- sign-in --------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def _signed_in(sender, request, user, **kwargs):
    via = "single sign-on" if "oidc" in getattr(user, "backend", "").lower() else "password"
    security_event_record(
        kind=SecurityEventKind.SIGNED_IN, subject=user, actor=user, request=request, detail={"via": via}
    )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    second_step = sender == "config.mfa"
    security_event_record(
        kind=SecurityEventKind.SECOND_STEP_FAILED if second_step else SecurityEventKind.SIGN_IN_FAILED,
        request=request,
        actor=None if not second_step else getattr(request, "user", None),
        detail={"username": username},
    )


@receiver(user_logged_out, dispatch_uid="audit_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        security_event_record(kind=SecurityEventKind.SIGNED_OUT, subject=user, actor=user, request=request)


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    security_event_record(
        kind=SecurityEventKind.LOCKED_OUT, request=request, detail={"username": str(username or "")[:150]}
    )


try:  # django-axes' own signal
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="audit_locked_out")
except ImportError:  # pragma: no cover
    pass


# --- roles, permissions and accounts ---------------------------------------------------------------


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_roles")
def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove"):
        return
    kind = SecurityEventKind.ROLE_ADDED if action == "post_add" else SecurityEventKind.ROLE_REMOVED
    if isinstance(instance, User):
        roles = sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        security_event_record(kind=kind, subject=instance, detail={"roles": roles})
    else:
        for user in User.objects.filter(pk__in=pk_set):
            security_event_record(kind=kind, subject=user, detail={"roles": [instance.name]})


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_permissions")
def _user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    users = [instance] if isinstance(instance, User) else list(User.objects.filter(pk__in=pk_set or ()))
    for user in users:
        security_event_record(
            kind=SecurityEventKind.PERMISSION_CHANGED, subject=user, detail={"change": action.removeprefix("post_")}
        )


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit_role_permissions")
def _role_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or not isinstance(instance, Group):
        return
    security_event_record(
        kind=SecurityEventKind.PERMISSION_CHANGED,
        detail={"role": instance.name, "change": action.removeprefix("post_"), "permissions": sorted(pk_set or ())},
    )


FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(post_save, sender=User, dispatch_uid="audit_account_flags")
def _account_changed(sender, instance, created, **kwargs):
    before = getattr(instance, "_flags_before", None)  # set by config.sessions' pre_save receiver
    if created:
        flags = {flag: getattr(instance, flag) for flag in FLAGS}
        security_event_record(kind=SecurityEventKind.ACCOUNT_CHANGED, subject=instance, detail={"created": flags})
        return
    if not before:
        return
    changed = {flag: getattr(instance, flag) for flag in FLAGS if before[flag] != getattr(instance, flag)}
    if changed:
        security_event_record(kind=SecurityEventKind.ACCOUNT_CHANGED, subject=instance, detail={"changed": changed})


@receiver(post_save, sender=LogEntry, dispatch_uid="audit_admin_change")
def _admin_change(sender, instance, created, **kwargs):
    if not created:
        return
    security_event_record(
        kind=SecurityEventKind.ADMIN_CHANGE,
        actor=instance.user,
        detail={
            "action": {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, str(instance.action_flag)),
            "object": f"{instance.content_type.app_label}.{instance.content_type.model}"
            if instance.content_type
            else "",
            "object_id": instance.object_id or "",
            "object_repr": instance.object_repr[:200],
            "message": instance.get_change_message()[:500],
        },
    )



@receiver(policy_published, dispatch_uid="audit_policy_published")
def _policy_published(sender, actor, detail, **kwargs):
    """A policy version published, or a preset's house rules applied (``policy.signals``: the policy is
    the base layer and does not import the security log)."""
    security_event_record(kind=SecurityEventKind.POLICY_PUBLISHED, actor=actor, detail=detail)

@receiver(data_exported, dispatch_uid="audit_data_downloaded")
def _data_downloaded(sender, request, what, detail, **kwargs):
    """A download of personal or bulk data (``policy.signals.data_downloaded``), in the request's
    transaction: who, what, and with which filters or range."""
    security_event_record(kind=SecurityEventKind.DATA_DOWNLOADED, request=request, detail={"what": what, **detail})


# --- two-step devices ---------------------------------------------------------------------------------


def device_event(*, kind: str, user, detail: dict | None = None) -> None:
    security_event_record(kind=kind, subject=user, detail=detail)
