"""API views: parse, call the service or selector, shape the answer. No state changes here."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from moderation import services
from moderation.api.permissions import IsIntegration, integration_of
from moderation.api.serializers import (
    ErrorSerializer,
    IngestResultSerializer,
    PostItemSerializer,
)
from moderation.services import MAX_INGEST_ITEMS, IngestStatus

logger = logging.getLogger(__name__)

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no", ""}

INGEST_EXAMPLE = {
    "channel": "northhertsdc",
    "external_id": "1234567890_987654321",
    "author_handle": "@angry_resident",
    "author_platform_id": "100004",
    "author_display_name": "A. Resident",
    "text": "You lot are useless.",
    "url": "https://www.facebook.com/northhertsdc/posts/1234567890?comment_id=987654321",
    "kind": "comment",
    "posted_at": "2025-03-01T14:05:00Z",
    "in_reply_to": "",
}


class PostIngestView(APIView):
    """Send posts: one object or a list of up to 1,000."""

    permission_classes = [IsIntegration]

    @extend_schema(
        operation_id="posts_ingest",
        summary="Send one post or a batch of up to 1,000",
        description=(
            "Idempotent on (channel, external_id): a post already stored is reported `exists` and left "
            "unchanged. Invalid items are reported per item with field errors and the valid ones are stored; "
            "with `?atomic=true` one invalid item means nothing is stored. Ingested posts belong to no case "
            "and write no timeline event until a person records a case for them.\n\n"
            "Status: 201 something was created and nothing was invalid; 200 everything already existed; "
            "207 some items invalid, the others stored; 422 nothing stored (every item invalid, or an atomic "
            "batch with an invalid item); 400 the body is not JSON, not an object or a list, empty or longer "
            "than 1,000; 413 the body is larger than the limit."
        ),
        parameters=[
            OpenApiParameter(
                "atomic",
                OpenApiTypes.BOOL,
                OpenApiParameter.QUERY,
                description="Store nothing unless every item is valid.",
            )
        ],
        request=PolymorphicProxySerializer(
            component_name="PostIngest",
            serializers=[PostItemSerializer, PostItemSerializer(many=True, min_length=1, max_length=MAX_INGEST_ITEMS)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: IngestResultSerializer,
            201: IngestResultSerializer,
            207: IngestResultSerializer,
            422: IngestResultSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
            429: ErrorSerializer,
        },
        examples=[OpenApiExample("One comment", value=INGEST_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        atomic_param = request.query_params.get("atomic", "").strip().lower()
        if atomic_param not in TRUE_VALUES | FALSE_VALUES:
            return _error("atomic must be true or false.")
        atomic = atomic_param in TRUE_VALUES
        data = request.data
        if isinstance(data, dict):
            items = [data]
        elif isinstance(data, list):
            items = data
        else:
            return _error("Send a post (a JSON object) or a list of posts.")
        integration = integration_of(request)
        try:
            results = services.posts_ingest(integration=integration, items=items, atomic=atomic)
        except ValidationError as error:
            return _error(" ".join(error.messages))
        counts = {s.value: sum(1 for r in results if r.status == s) for s in IngestStatus}
        body = {
            "atomic": atomic,
            **counts,
            "items": [{"index": r.index, "status": r.status.value, "id": r.id, "errors": r.errors} for r in results],
        }
        logger.info(
            "posts ingested by integration %r: %s created, %s exists, %s invalid, %s skipped",
            integration.name,
            counts["created"],
            counts["exists"],
            counts["invalid"],
            counts["skipped"],
        )
        stored = counts["created"] + counts["exists"]
        if counts["invalid"] and not stored:
            code = status.HTTP_422_UNPROCESSABLE_ENTITY
        elif counts["invalid"]:
            code = status.HTTP_207_MULTI_STATUS
        elif counts["created"]:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(body, status=code)


@csrf_exempt
def not_found(request) -> JsonResponse:
    """Any URL under ``/api/`` that names no endpoint (``/api/v1/…`` and, from config/urls.py,
    everything else under ``/api``): a JSON 404 (saying so when only the closing slash is missing —
    a redirect would lose a POST's body)."""
    detail = "No API endpoint at this address; see /api/docs/."
    if not request.path.endswith("/"):
        try:
            resolved = resolve(request.path + "/")
        except Resolver404:
            resolved = None
        if resolved is not None and resolved.func is not not_found:
            detail = f"No API endpoint at this address: did you mean {request.path}/ (with the closing slash)?"
    return JsonResponse({"detail": detail}, status=status.HTTP_404_NOT_FOUND)


def _error(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)
