from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from moderation.models import Integration


class IntegrationRateThrottle(SimpleRateThrottle):
    """``settings.API_THROTTLE_RATE`` per integration token (per user for session calls, per address otherwise)."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, Integration):
            ident = f"integration-{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
