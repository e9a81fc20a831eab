"""The security log in the admin: read-only, for administrators (the database refuses changes anyway)."""

from __future__ import annotations

from django.contrib import admin

from config.models import IdentityProviderGroupRole, SecurityEvent


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
