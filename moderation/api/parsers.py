from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser

from moderation import intake


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        limit = settings.API_MAX_BODY_BYTES
        super().__init__(f"The request body is larger than the limit of {limit:,} bytes; send smaller batches.")


class LimitedJSONParser(BaseParser):
    """JSON, refused with 413 beyond ``settings.API_MAX_BODY_BYTES`` (read no further than the limit)
    and with 400 when nested deeper than ``intake.MAX_JSON_DEPTH`` (``intake.json_load``).

    Not a subclass of DRF's JSONParser on purpose: DRF reads ``request.body`` for those, where
    Django's own 2.5 MB limit answers an HTML 400 before this limit can answer a JSON 413.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge()
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge()
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
            text = body.decode(encoding)
        except (LookupError, ValueError) as error:
            raise ParseError(f"The body is not valid JSON: {error}") from error
        try:  # the boundary every way in shares: depth checked before parsing
            return intake.json_load(text)
        except intake.JSONRefused as error:
            raise ParseError(str(error)) from error
