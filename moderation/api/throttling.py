from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.throttling import SimpleRateThrottle

from moderation.models import Integration

logger = logging.getLogger(__name__)

# While the shared cache (Redis) cannot be reached, each process counts on its own: the limit then
# holds per process (a deployment of N web processes lets a client make up to N times the rate).
LOCAL_COUNTERS = LocMemCache("api-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
# After a failure the shared cache is not tried again for this long (each try costs a timeout).
RETRY_SHARED_AFTER_SECONDS = 10
_shared_down_until = 0.0


class IntegrationRateThrottle(SimpleRateThrottle):
    """``settings.API_THROTTLE_RATE`` per integration token (per user for session calls, per address
    otherwise), counted in the shared cache, or in this process while that is unreachable."""

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

    def allow_request(self, request, view) -> bool:
        global _shared_down_until
        if time.monotonic() >= _shared_down_until:
            try:
                return super().allow_request(request, view)
            except (RedisConnectionError, RedisTimeoutError, OSError) as error:
                _shared_down_until = time.monotonic() + RETRY_SHARED_AFTER_SECONDS
                logger.warning("API throttle: shared cache unreachable (%r); counting in this process", error)
        self.cache = LOCAL_COUNTERS
        return super().allow_request(request, view)
