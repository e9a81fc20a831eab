"""A 403 is one warning line in the log: no traceback, and printed once (issue 10, item 6)."""

import logging

import pytest
from django.urls import reverse

PYTEST_HANDLERS = ("LogCaptureHandler", "_LiveLoggingNullHandler", "_FileHandler", "_LiveLoggingStreamHandler")


def handlers_that_emit(record: logging.LogRecord) -> list[logging.Handler]:
    """Every handler (pytest's own aside) that would write ``record``, walking up as logging does."""
    found = []
    logger = logging.getLogger(record.name)
    while logger:
        for handler in logger.handlers:
            if type(handler).__name__ in PYTEST_HANDLERS:
                continue
            if record.levelno >= handler.level and handler.filter(record):
                found.append(handler)
        if not logger.propagate:
            break
        logger = logger.parent
    return found


def forbidden(client, officer, caplog) -> list[logging.LogRecord]:
    client.force_login(officer)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("escalation:decision_list"))
    assert response.status_code == 403
    return [r for r in caplog.records if r.name.startswith("django")]


@pytest.mark.parametrize("debug", [False, True])
def test_a_403_is_one_line_without_a_traceback(client, officer, caplog, settings, debug):
    settings.DEBUG = debug
    records = forbidden(client, officer, caplog)

    assert len(records) == 1, [r.getMessage() for r in records]
    (record,) = records
    assert record.name == "django.request"
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "Forbidden (Permission denied): /decisions/"
    assert record.exc_info is None
    assert not record.exc_text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("debug", [False, True])
def test_a_403_is_printed_once(client, officer, caplog, settings, debug):
    """Django's own console handler (DEBUG only) and ours on the root logger never both print it."""
    settings.DEBUG = debug
    (record,) = forbidden(client, officer, caplog)

    assert len(handlers_that_emit(record)) == 1


def test_a_server_error_still_logs_its_traceback(client, officer, caplog, monkeypatch):
    """Only a 403 loses its traceback: an unexpected exception keeps it, printed once."""
    from escalation import case_views as views

    def boom(*args, **kwargs):
        raise RuntimeError("the unexpected")

    monkeypatch.setattr(views, "case_queue", boom)
    client.raise_request_exception = False
    client.force_login(officer)
    caplog.clear()
    response = client.get(reverse("moderation:case_list"))
    assert response.status_code == 500
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert len(handlers_that_emit(records[0])) == 1
