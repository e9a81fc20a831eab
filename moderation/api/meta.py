"""``/api/v1/webhooks/meta/``: Meta's subscription handshake (GET) and signed event deliveries (POST).

Not part of the integrations' API (no token, not in the schema): Meta signs every delivery with
the app secret. The view only checks and queues; ``moderation.tasks.apply_meta_events`` applies.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation import intake, tasks, webhooks
from moderation.api.parsers import RequestTooLarge

logger = logging.getLogger("moderation.webhooks")


def _raw_body(request) -> bytes:
    """The body as sent, read no further than ``API_MAX_BODY_BYTES`` (413 beyond it)."""
    limit = settings.API_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge()
    body = request._request.read(limit + 1) if declared else b""
    if len(body) > limit:
        raise RequestTooLarge()
    return body


def _forbidden() -> Response:
    return Response({"detail": "Forbidden."}, status=status.HTTP_403_FORBIDDEN)


@extend_schema(exclude=True)
class MetaWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # Meta delivers in bursts; every POST is signature-checked instead
    parser_classes: list = []  # the raw body is read once, for the signature

    def get(self, request):
        params = request.query_params
        if params.get("hub.mode") != "subscribe" or not webhooks.verify_token_valid(
            given=params.get("hub.verify_token"), expected=settings.META_WEBHOOK_VERIFY_TOKEN
        ):
            logger.warning("meta webhook handshake refused from %s", request.META.get("REMOTE_ADDR"))
            return HttpResponse("Forbidden.", status=403, content_type="text/plain; charset=utf-8")
        return HttpResponse(params.get("hub.challenge", ""), content_type="text/plain; charset=utf-8")

    def post(self, request):
        body = _raw_body(request)
        if not webhooks.signature_valid(
            body=body, header=request.headers.get("X-Hub-Signature-256"), secret=settings.META_APP_SECRET
        ):
            logger.warning(
                "meta webhook refused from %s: %s signature (%s bytes)",
                request.META.get("REMOTE_ADDR"),
                "wrong" if request.headers.get("X-Hub-Signature-256") else "no",
                len(body),
            )
            return _forbidden()
        try:  # the boundary every way in shares: not UTF-8, not JSON or nested too deep → 400
            payload = intake.json_load(body)
        except intake.JSONRefused as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        if not isinstance(payload, dict):
            return Response({"detail": "The body must be a JSON object."}, status=status.HTTP_400_BAD_REQUEST)
        try:  # kept before it is answered: Meta never sends an answered delivery again
            with transaction.atomic():
                delivery = webhooks.meta_delivery_receive(body=body)
        except DatabaseError:  # Meta retries deliveries that are not answered 200
            logger.exception("meta webhook could not be kept")
            return Response({"detail": "Try again later."}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        try:
            tasks.apply_meta_delivery.delay(delivery.pk)
        except Exception:  # the broker is down: the delivery is kept, and the catch-up applies it
            logger.exception("meta webhook delivery %s could not be queued; the catch-up will apply it", delivery.pk)
        return Response({"received": True})
