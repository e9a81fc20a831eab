"""/metrics (config/metrics.py): who may read it, and what the numbers say."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from prometheus_client.parser import text_string_to_metric_families

from escalation.case_selectors import case_queryset, case_stage
from moderation import clock
from moderation.constants import CaseStatus
from tests import factories
from tests.support import free_port

TOKEN = "metrics-token-" + "k" * 30


@pytest.fixture
def scraper(settings, client):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7"]
    settings.METRICS_BEARER_TOKEN = TOKEN

    def scrape() -> dict[str, dict[tuple, float]]:
        response = client.get("/metrics", REMOTE_ADDR="10.20.3.4")
        assert response.status_code == 200, response.content[:500]
        samples: dict[str, dict[tuple, float]] = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
        return samples

    return scrape


@pytest.fixture
def broker(settings):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL")
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    return settings


class TestWhoMayRead:
    def test_nobody_by_default(self, client, settings):
        settings.METRICS_ALLOWED_IPS = []
        settings.METRICS_BEARER_TOKEN = ""
        for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"REMOTE_ADDR": "127.0.0.1"}):
            response = client.get("/metrics", **headers)
            assert response.status_code == 404
            assert b"moderation_" not in response.content

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        ("remote", "authorization", "allowed"),
        [
            ("10.20.9.9", "", True),  # in the network
            ("192.0.2.7", "", True),  # the one address
            ("192.0.2.8", "", False),
            ("10.21.0.1", "", False),
            ("203.0.113.5", f"Bearer {TOKEN}", True),
            ("203.0.113.5", f"Bearer {TOKEN}x", False),
            ("203.0.113.5", f"Token {TOKEN}", False),
            ("203.0.113.5", "Bearer ", False),
        ],
    )
    def test_listed_addresses_or_the_token(self, client, settings, remote, authorization, allowed):
        settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7"]
        settings.METRICS_BEARER_TOKEN = TOKEN
        headers = {"REMOTE_ADDR": remote}
        if authorization:
            headers["HTTP_AUTHORIZATION"] = authorization
        response = client.get("/metrics", **headers)
        assert response.status_code == (200 if allowed else 404)
        assert (b"moderation_open_cases" in response.content) is allowed

    def test_a_signed_in_person_is_no_scraper(self, client, officer, settings):
        settings.METRICS_ALLOWED_IPS = []
        settings.METRICS_BEARER_TOKEN = TOKEN
        client.force_login(officer)
        assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
class TestWhatItSays:
    def test_cases_by_stage_match_what_the_queue_shows(self, scraper):
        factories.OpenCaseFactory()
        factories.OpenCaseFactory()
        factories.ProposedBlockFactory()
        factories.AppealEligibleBlockFactory()
        factories.SentWarningFactory()
        factories.OpenCaseFactory(status=CaseStatus.CLOSED, outcome="no_action", closed_at=clock.now())
        shown = Counter(case_stage(case).label for case in case_queryset().filter(status=CaseStatus.OPEN))
        samples = scraper()["moderation_open_cases"]
        assert {dict(labels)["stage"]: value for labels, value in samples.items()} == shown
        assert shown["New"] == 2
        assert shown["Awaiting sign-off"] == 1
        assert shown["Blocked"] == 1

    def test_overdue_signoffs_and_open_appeal_windows(self, scraper, manager):
        late = factories.ProposedBlockFactory()
        late.signoffs.update(due_at=clock.now() - timedelta(hours=1))
        factories.ProposedBlockFactory()  # due tomorrow
        factories.AppealEligibleBlockFactory()
        flagged = factories.AppealEligibleBlockFactory()
        flagged.appeal_window_flagged_at = clock.now()
        flagged.save()
        factories.ActiveBlockFactory()  # its window opens in a year
        samples = scraper()
        overdue = {dict(labels)["kind"]: value for labels, value in samples["moderation_overdue_signoffs"].items()}
        assert overdue == {"warning": 0, "block": 1, "appeal": 0}
        assert samples["moderation_appeal_windows_open"] == {(): 2}
        assert samples["moderation_appeal_windows_unflagged"] == {(): 1}

    def test_the_same_number_of_queries_whatever_the_number_of_rows(self, scraper, client, settings):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                scraper()
            return len(captured)

        factories.ProposedBlockFactory()
        few = queries()
        for _ in range(5):
            factories.ProposedBlockFactory()
            factories.AppealEligibleBlockFactory()
            factories.SentWarningFactory()
        assert queries() == few <= 3

    def test_request_latency_by_view(self, scraper, client, officer):
        client.force_login(officer)
        view = resolve("/cases/").view_name

        def count() -> float:
            return scraper()["moderation_http_request_duration_seconds_count"].get(
                (("method", "GET"), ("status", "200"), ("view", view)), 0
            )

        before = count()
        assert client.get("/cases/").status_code == 200
        assert client.get("/cases/?page=1").status_code == 200
        assert count() == before + 2

    def test_a_broker_that_does_not_answer_leaves_the_rest(self, scraper, settings):
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
        samples = scraper()
        up = {dict(labels)["source"]: value for labels, value in samples["moderation_metrics_source_up"].items()}
        assert up == {"database": 1, "broker": 0}
        assert "moderation_open_cases" in samples or samples.get("moderation_overdue_signoffs")
        assert "moderation_celery_queue_depth" not in samples


@pytest.mark.django_db
class TestTheBroker:
    def test_queue_depth_counts_what_waits(self, scraper, broker, settings):
        from config.celery import app
        from config.metrics import _queue_keys, broker_redis
        from moderation.tasks import deliver_outbox

        queue = f"metrics-{uuid.uuid4().hex[:8]}"
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            for priority in (None, None, 9):
                deliver_outbox.apply_async(queue=queue, priority=priority)
            assert scraper()["moderation_celery_queue_depth"] == {(): 3}
        finally:
            app.conf.task_always_eager = previous
            broker_redis().delete(*_queue_keys(queue))

    def test_task_outcomes_are_counted_where_every_instance_reads_them(self, scraper, broker, settings):
        from moderation.tasks import deliver_outbox

        settings.METRICS_COUNT_TASK_OUTCOMES = True
        labels = (("outcome", "SUCCESS"), ("task", "moderation.tasks.deliver_outbox"))
        before = scraper().get("moderation_celery_task_outcomes_total", {}).get(labels, 0)
        deliver_outbox.delay()
        deliver_outbox.delay()
        assert scraper()["moderation_celery_task_outcomes_total"][labels] == before + 2
