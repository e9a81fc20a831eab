"""Logging filters named by LOGGING in config/settings/base.py."""

from __future__ import annotations

import logging


class PermissionDeniedOneLine(logging.Filter):
    """A refused request (403) is one warning line: who asked for what is the news, not the stack.

    Django logs a view's ``PermissionDenied`` on ``django.request`` with its traceback; this keeps
    the line ("Forbidden (Permission denied): /decisions/") and drops the traceback. Every other
    record, a server error's traceback included, passes unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
