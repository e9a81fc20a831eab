"""The API's exception handler: DRF's, plus a JSON 503 with Retry-After when a backing service
(the Redis cache or the Celery broker) cannot be reached, instead of Django's HTML 500."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, BrokerError)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, UNAVAILABLE):
        logger.warning("API %s: a backing service is unreachable: %r", context["request"].path, exc)
        return Response(
            {"detail": "The service is briefly unavailable. Try again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return None
