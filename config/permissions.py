"""Django's model backend with a person's permissions read in one query, not two (issue 13).

``ModelBackend`` reads the permissions given to the user and those of their groups separately on
the first ``has_perm`` of a request; every workspace page asks. Here both come from one query
(``Permission`` joined to the user directly or through a group); what a user holds is unchanged.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class OneQueryModelBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            found = Permission.objects.all()
            if not user_obj.is_superuser:
                found = found.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in found.values_list("content_type__app_label", "codename").order_by()
            }
        return user_obj._perm_cache
