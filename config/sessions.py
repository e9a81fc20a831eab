"""Sessions end when what they were granted changes.

A person signed in keeps their session until it expires, so a role taken away, a deactivated
account or a lost administrator flag must end their sessions at once, on every device. Django
already ends them on a password change (the session's auth hash) and refuses an inactive user on
the next request; these receivers cover the rest, whichever way the change is made (the admin,
a management command, a script):

* a role (group) or a permission removed from a user, or a user removed from a role;
* ``is_active``, ``is_staff`` or ``is_superuser`` switched off.

Sessions live in the database: the user's are found by decoding the unexpired ones. A role change
is rare and a council has hundreds of sessions at most, so this costs nothing on normal requests.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

logger = logging.getLogger("moderation.security")
User = get_user_model()
FLAGS = ("is_active", "is_staff", "is_superuser")


def end_sessions_of(user_ids: set[int]) -> int:
    """Delete every unexpired session of ``user_ids``; returns how many ended."""
    wanted = {str(pk) for pk in user_ids}
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") in wanted:
            session.delete()
            ended += 1
    if ended:
        logger.info("Ended %s session(s) of user(s) %s after a change of role or account", ended, sorted(wanted))
    return ended


def _after_commit(user_ids: set[int]) -> None:
    if user_ids:
        transaction.on_commit(lambda: end_sessions_of(user_ids))


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def role_removed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_remove", "post_clear"):
        return
    if isinstance(instance, User):
        _after_commit({instance.pk})
    elif action == "post_clear":
        # a role or permission cleared from the other side: pk_set is not given, so everyone who held it
        _after_commit(set(getattr(instance, "_members_before_clear", ())))
    else:
        _after_commit(set(pk_set or ()))


@receiver(m2m_changed, sender=User.groups.through)
def remember_members_before_clear(sender, instance, action, reverse, **kwargs):
    if action == "pre_clear" and not isinstance(instance, User):
        instance._members_before_clear = list(instance.user_set.values_list("pk", flat=True))


@receiver(pre_save, sender=User)
def remember_flags(sender, instance, **kwargs):
    if instance.pk:
        instance._flags_before = User.objects.filter(pk=instance.pk).values(*FLAGS).first()


@receiver(post_save, sender=User)
def flag_switched_off(sender, instance, created, **kwargs):
    before = getattr(instance, "_flags_before", None)
    if created or not before:
        return
    if any(before[flag] and not getattr(instance, flag) for flag in FLAGS):
        _after_commit({instance.pk})


def _device_models():
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    return (TOTPDevice, WebAuthnCredential, StaticDevice)


def device_removed(sender, instance, **kwargs):
    """A second-step device deleted: the sessions it verified end (config.mfa keeps no per-request check).
    An unconfirmed device (an app being set up) never verified anything."""
    if getattr(instance, "confirmed", True):
        from config.audit import security_event_record
        from config.models import SecurityEventKind

        security_event_record(
            kind=SecurityEventKind.DEVICE_REMOVED, subject=instance.user, detail={"device": sender.__name__}
        )
        _after_commit({instance.user_id})


def device_remember_confirmed(sender, instance, **kwargs):
    if instance.pk:
        instance._was_confirmed = sender.objects.filter(pk=instance.pk, confirmed=True).exists()


def device_changed(sender, instance, created, **kwargs):
    """A device switched off (confirmed → not): the sessions it verified end."""
    if not created and getattr(instance, "_was_confirmed", False) and not instance.confirmed:
        _after_commit({instance.user_id})


for _model in _device_models():
    post_delete.connect(device_removed, sender=_model, dispatch_uid=f"device_removed_{_model.__name__}")
    pre_save.connect(device_remember_confirmed, sender=_model, dispatch_uid=f"device_was_{_model.__name__}")
    post_save.connect(device_changed, sender=_model, dispatch_uid=f"device_changed_{_model.__name__}")
