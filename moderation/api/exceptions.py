"""The API's exception handler: DRF's, plus a JSON 503 with Retry-After when a backing service
(the Redis cache or the Celery broker) cannot be reached, and a JSON 500 for any other unexpected
exception, instead of Django's HTML 500."""

from __future__ import annotations

import logging

from django.utils.log import log_response
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# what an unexpected exception answers: nothing of the fault itself (it is in the log)
SERVER_ERROR = "Something went wrong on our side; it has been logged. Try again later."
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
    return server_error(exc, context)


def server_error(exc, context) -> Response:
    """Any other exception is a fault of ours: a JSON 500 that says nothing of it, the transaction
    rolled back, and the traceback logged once, where Django logs a 500 (``django.request``; marked
    logged, so Django does not add a second line for the same response)."""
    set_rollback()
    response = Response({"detail": SERVER_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    request = context["request"]
    log_response(
        "Internal Server Error: %s",
        request.path,
        response=response,
        request=getattr(request, "_request", request),
        exception=exc,
    )
    return response
