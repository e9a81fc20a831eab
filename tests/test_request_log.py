"""One log line per request, and the request id (config/requestlog.py)."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.requestlog import WELL_FORMED, RequestIdFilter, accepted_request_id


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "moderation.request"]


@pytest.mark.django_db
def test_one_line_per_request_with_what_happened_and_no_more(client, officer, caplog):
    client.force_login(officer)
    caplog.set_level(logging.INFO, logger="moderation.request")
    response = client.get("/cases/?q=Jane+Doe+private")
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert line.method == "GET"
    assert line.path == "/cases/"  # the query string (a search for a person) is never logged
    assert line.status == 200
    assert line.view == resolve("/cases/").view_name
    assert line.user_id == officer.pk
    assert line.request_id == response["X-Request-ID"]
    assert isinstance(line.duration_ms, float)
    assert line.duration_ms >= 0
    text = line.getMessage()
    for private in ("Jane", officer.username, officer.email):
        assert private not in text


@pytest.mark.django_db
def test_every_record_of_the_request_carries_its_id(client, caplog):
    """Django's own "Not Found" line is written after the middleware: it carries the id too."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="probe-42-abcdef")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "probe-42-abcdef"
    mine = [r for r in caplog.records if r.name in ("django.request", "moderation.request")]
    assert {r.name for r in mine} == {"django.request", "moderation.request"}
    assert {r.request_id for r in mine} == {"probe-42-abcdef"}
    # and a record after the request has none
    logging.getLogger("moderation").info("after the request")
    assert caplog.records[-1].request_id is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_a_malformed_request_id_is_replaced_by_a_new_uuid4(client, value):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=value)
    returned = response["X-Request-ID"]
    if WELL_FORMED.fullmatch(value):
        assert returned == value
    else:
        assert returned != value
        assert uuid.UUID(returned).version == 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.from_regex(r"[A-Za-z0-9._-]{8,128}", fullmatch=True))
def test_a_well_formed_request_id_is_kept(client, value):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=value)["X-Request-ID"] == value


@given(st.one_of(st.none(), st.just(""), st.text(max_size=7), st.text(min_size=129, max_size=300)))
def test_too_short_too_long_or_missing_ids_are_new(value):
    assert uuid.UUID(accepted_request_id(value)).version == 4


def test_a_line_break_or_a_quote_in_the_header_never_reaches_the_log(client):
    for value in ("abcdefgh\nforged line", 'abcdefgh" level="ERROR', "abcdefgh ghijkl"):
        assert client.get("/healthz", HTTP_X_REQUEST_ID=value)["X-Request-ID"] != value
