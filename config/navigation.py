"""The navigation's cached counts move on when what a person may decide changes (issue 13).

The services mark their own writes (``moderation.navcache.changed``); who holds a role, what a role
may do and who directs a service area change through the admin or a script instead, so these
receivers mark those: the next page load counts again, with the new role's items.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from moderation import navcache
from moderation.models import ServiceArea

User = get_user_model()


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=Group.permissions.through)
@receiver(m2m_changed, sender=ServiceArea.directors.through)
def roles_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        navcache.changed()
