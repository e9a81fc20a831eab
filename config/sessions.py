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
from django.db.models.signals import m2m_changed, post_save, pre_save
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
