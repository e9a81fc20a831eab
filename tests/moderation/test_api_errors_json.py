"""Every API error is JSON: a 404 anywhere under /api/, and an unexpected exception in an API view
(a 500 that tells nothing of the fault, its traceback logged once)."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from escalation.api import views as api_views
from moderation import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(channel):
    _, token = services.integration_create(actor=None, name="Sprout export", channels=[channel])
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/", "/api", "/api/v2/", "/api/v2/cases/", "/api/v1/nothing/", "/api/x/y/z"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_404_under_api_is_json(api, settings, path, method, debug):
    settings.DEBUG = debug
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"].startswith("No API endpoint at this address")


def test_a_missing_closing_slash_is_named_outside_v1_too(api):
    response = api.get("/api/schema")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No API endpoint at this address: did you mean /api/schema/ (with the closing slash)?"
    )


def test_the_schema_and_the_docs_still_answer(api):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


def test_other_404s_are_still_the_sites_page(client, officer):
    client.force_login(officer)
    response = client.get("/apis/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.fixture
def broken_case_list(monkeypatch):
    def boom(self):
        raise RuntimeError("secret-detail: the database said no")

    monkeypatch.setattr(api_views.CaseList, "base_queryset", boom)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_is_a_json_500_without_details(api, broken_case_list, caplog, settings, debug):
    settings.DEBUG = debug
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = api.get("/api/v1/cases/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert "secret-detail" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()

    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1
    assert "secret-detail" in caplog.text
    assert caplog.text.count("Traceback") == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]


def test_an_unexpected_exception_for_a_signed_in_reader_is_json_too(client, manager, broken_case_list):
    client.raise_request_exception = False
    client.force_login(manager)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


def test_a_handled_api_error_is_unchanged(api):
    """DRF's own answers (here a 400 for a malformed body) are not turned into 500s."""
    response = api.post("/api/v1/posts/", data="{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
