"""Shapes of what the API sends and receives. The ingest request is validated by ``posts_ingest``;
``PostItemSerializer`` documents it for the schema."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from moderation.constants import Platform, PostKind
from moderation.services import MAX_INGEST_ITEMS, IngestStatus


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ChannelRefField(serializers.Field):
    """A channel's id (integer) or handle (string)."""


class PostItemSerializer(serializers.Serializer):
    channel = ChannelRefField(
        help_text="The channel's id or handle (without case or a leading @); the integration must be allowed to "
        "post to it. A handle two channels share is refused unless `platform` says which."
    )
    platform = serializers.ChoiceField(
        choices=Platform.choices,
        required=False,
        help_text="The channel's platform: needed when channels on several platforms share the handle.",
    )
    external_id = serializers.CharField(
        max_length=200,
        help_text="The platform's id for the post. Identifiers holding a control character or a lone "
        "surrogate are refused (that item only).",
    )
    author_handle = serializers.CharField(max_length=120, help_text="Compared without case or a leading @.")
    author_platform_id = serializers.CharField(max_length=120, required=False, allow_blank=True)
    author_display_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="NUL and control characters (but tab and line ends) are removed; a lone surrogate is replaced "
        "by U+FFFD.",
    )
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PostKind.choices, required=False, default=PostKind.COMMENT)
    posted_at = serializers.DateTimeField(
        help_text="ISO 8601; without a zone, Europe/London is assumed. Refused: a London time the clocks skipped, "
        "more than a day ahead (the CSV import's rule)."
    )
    in_reply_to = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The external id of the post this replies to."
    )


class IngestItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the request (0 for a single object).")
    status = serializers.ChoiceField(
        choices=[(s.value, s.value) for s in IngestStatus],
        help_text="created: stored now; exists: already stored, unchanged; invalid: refused (see errors); "
        "skipped: valid but not stored because the atomic batch had an invalid item.",
    )
    id = serializers.IntegerField(allow_null=True, help_text="The stored post's id (created or exists).")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class IngestResultSerializer(serializers.Serializer):
    atomic = serializers.BooleanField()
    created = serializers.IntegerField()
    exists = serializers.IntegerField()
    invalid = serializers.IntegerField()
    skipped = serializers.IntegerField()
    items = IngestItemResultSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


INGEST_REQUEST_SCHEMA = {
    "oneOf": [
        {"$ref": "#/components/schemas/PostItemRequest"},
        {
            "type": "array",
            "items": {"$ref": "#/components/schemas/PostItemRequest"},
            "minItems": 1,
            "maxItems": MAX_INGEST_ITEMS,
        },
    ]
}
