"""The security log and the change history in the admin: read-only, for superusers only (the database
refuses changes anyway).

And people: a superuser never holds a role or permission that decides, and nobody edits their own
roles, permissions or status flags.
"""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry as ChangeHistoryEntry
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError

from config.audit import security_event_record
from config.models import IdentityProviderGroupRole, SecurityEvent, SecurityEventKind
from escalation import routing
from policy.dates import say_datetime


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "actor_label", "subject_label", "ip_address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["actor_label", "subject_label", "ip_address"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The change history (django-auditlog, config/history.py) ---------------------------------------

admin.site.unregister(ChangeHistoryEntry)


@admin.register(ChangeHistoryEntry)
class ChangeHistoryAdmin(LogEntryAdmin):
    """Who changed which field of which configured object, before and after. Superusers only: nobody
    adds, edits or deletes an entry here (PostgreSQL refuses it too)."""

    # no correlation id: django-auditlog's middleware, which sets it, is not used (config/history.py)
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    list_filter = [f for f in LogEntryAdmin.list_filter if getattr(f, "__name__", "") != "CIDFilter"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "remote_addr", "resource_url"]}),
        ("Changes", {"fields": ["action", "msg"]}),
    ]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "remote_addr"]

    @admin.display(description="When", ordering="timestamp")
    def created(self, obj):
        return say_datetime(obj.timestamp)

    @admin.display(description="By")
    def user_url(self, obj):
        return (obj.additional_data or {}).get("by") or super().user_url(obj)

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Single sign-on: which identity provider group gives which role (config/oidc.py) -----------------


@admin.register(IdentityProviderGroupRole)
class IdentityProviderGroupRoleAdmin(admin.ModelAdmin):
    """Superusers only: who holds which role is decided here, and applied at each single sign-on."""

    list_display = ["provider_group", "description", "role"]
    list_filter = ["role"]
    search_fields = ["provider_group", "description"]

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


# --- People: a superuser configures, and never holds a role that decides (issue 9) ----------------------

User = get_user_model()
SELF_LOCKED_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")


def deciding_grants(groups, permissions) -> list[str]:
    """The roles (groups) and permissions among these that carry casework (``routing.ROLE_PERMISSIONS``)."""
    casework = {perm for perms in routing.ROLE_PERMISSIONS.values() for perm in perms}
    named = []
    for group in groups:
        held = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list("content_type__app_label", "codename")
        }
        if group.name in routing.ROLES or held & casework:
            named.append(group.name)
    for permission in permissions:
        if f"{permission.content_type.app_label}.{permission.codename}" in casework:
            named.append(permission.name)
    return named


class PersonChangeForm(UserChangeForm):
    """Refuses a superuser who would hold a role or permission that decides, whichever was set last."""

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        superuser = cleaned.get("is_superuser", instance.is_superuser)
        groups = cleaned["groups"] if "groups" in cleaned else (instance.groups.all() if instance.pk else [])
        permissions = (
            cleaned["user_permissions"]
            if "user_permissions" in cleaned
            else (instance.user_permissions.all() if instance.pk else [])
        )
        grants = deciding_grants(groups, permissions) if superuser else []
        if grants:
            security_event_record(
                kind=SecurityEventKind.ADMIN_CHANGE,
                subject=instance if instance.pk else None,
                detail={
                    "action": "refused",
                    "object": "auth.user",
                    "refused": "superuser with a role",
                    "roles": grants,
                },
            )
            raise ValidationError(
                "A superuser configures and does not decide: take away %(roles)s, or leave superuser status off.",
                code="superuser_holds_role",
                params={"roles": ", ".join(grants)},
            )
        return cleaned


admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Django's user admin, with the separation of duties: no superuser with a role, and nobody edits
    their own roles, permissions or status flags (another administrator does)."""

    form = PersonChangeForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += [name for name in SELF_LOCKED_FIELDS if name not in fields]
        return fields
