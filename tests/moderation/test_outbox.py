"""The transactional outbox (moderation/outbox.py): written with the decision, delivered on commit or
by the sweep, retried with backoff, sent once, visible and retried by hand in the admin."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from escalation import services
from escalation.constants import BlockScope
from escalation.models import Block, NotificationChoice, NotificationPreference
from moderation import clock, outbox, tasks
from moderation.constants import EventKind
from moderation.models import CaseEvent, OutboxMessage, OutboxStatus
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)
REASON = "Threats against staff continued after a written warning."


class RefusingBackend(EmailBackend):
    """An SMTP server answering 451 to everything (a temporary failure)."""

    refusals = 0

    def send_messages(self, messages):
        type(self).refusals += 1
        raise ConnectionRefusedError("451 4.3.0 try again later")


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "tests.moderation.test_outbox.RefusingBackend"
    RefusingBackend.refusals = 0
    return settings


def smtp_up(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def case(channel):
    return factories.OpenCaseFactory(channel=channel)


def only_the_block_notice(manager) -> None:
    """The manager takes no emails of sign-offs waiting (escalation/notify.py): the block notice is the
    only email these tests follow."""
    NotificationPreference.objects.create(user=manager, choice=NotificationChoice.NONE)


def approve_block(officer, manager, case, capture):
    only_the_block_notice(manager)
    with clock.travel_to(MONDAY):
        block = services.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason=REASON)
    with clock.travel_to(MONDAY), capture(execute=True):
        services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)
    block.refresh_from_db()
    return block


def notified(case) -> int:
    return CaseEvent.objects.filter(case=case, kind=EventKind.MD_NOTIFIED).count()


class TestWrittenWithTheDecision:
    def test_approving_a_block_writes_one_row_and_sends_it_on_commit(
        self, officer, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        block = approve_block(officer, manager, case, django_capture_on_commit_callbacks)

        message = OutboxMessage.objects.get()
        assert (message.key, message.kind) == (f"block-notice:{block.pk}", "block_notice")
        assert message.recipients == [md.email]
        assert list(message.recipient_users.all()) == [md]  # where it went: the people, not only addresses
        assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 1, MONDAY)
        assert message.case_id == case.pk
        [email] = mailoutbox
        assert email.subject == message.subject
        assert email.extra_headers["Message-ID"] == message.message_id
        assert email.extra_headers["X-Outbox-Key"] == message.key
        assert block.md_notified_at == MONDAY
        assert notified(case) == 1

    def test_a_decision_rolled_back_leaves_no_email(self, officer, manager, md, case, mailoutbox):
        only_the_block_notice(manager)
        with clock.travel_to(MONDAY):
            block = services.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason=REASON)

        def decide_then_fail():
            with transaction.atomic():
                services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)
                assert OutboxMessage.objects.count() == 1
                raise RuntimeError("the request failed after the service")

        with pytest.raises(RuntimeError):
            decide_then_fail()
        assert not OutboxMessage.objects.exists()
        assert mailoutbox == []

    def test_the_same_key_twice_is_one_row(self, case):
        first = outbox.outbox_add(key="k:1", kind="t", subject="S", body="B", recipients=["a@example.org"])
        again = outbox.outbox_add(key="k:1", kind="t", subject="Other", body="B", recipients=["b@example.org"])
        assert first.pk == again.pk
        assert OutboxMessage.objects.get().subject == "S"

    def test_a_police_report_and_the_chases_go_through_the_outbox(
        self, manager, md, case, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            report = services.police_report_record(
                actor=manager, case=case, force="Herts", reference="41/9/27", reported_on=timezone.localdate()
            )
        assert OutboxMessage.objects.get(key=f"police-report:{report.pk}").status == OutboxStatus.SENT
        assert len(mailoutbox) == 1


class TestBrokerDown:
    def test_the_decision_stands_and_the_sweep_sends_it(
        self, officer, manager, md, case, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broker_down(*args, **kwargs):
            raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

        monkeypatch.setattr(tasks.deliver_outbox_message, "apply_async", broker_down)
        block = approve_block(officer, manager, case, django_capture_on_commit_callbacks)  # no exception

        assert block.status == "active"
        message = OutboxMessage.objects.get()
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
        assert mailoutbox == []

        with clock.travel_to(MONDAY + timedelta(minutes=1)):
            assert tasks.deliver_outbox() == {"sent": 1}
        assert len(mailoutbox) == 1
        assert notified(case) == 1


class TestRetries:
    def test_a_refused_email_is_retried_with_backoff_and_sent_once(
        self, officer, manager, md, case, mailoutbox, smtp_down, django_capture_on_commit_callbacks
    ):
        block = approve_block(officer, manager, case, django_capture_on_commit_callbacks)

        message = OutboxMessage.objects.get()
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
        assert "451" in message.last_error
        assert message.next_attempt_at == MONDAY + timedelta(seconds=60)
        assert block.md_notified_at is None
        assert notified(case) == 0

        with clock.travel_to(MONDAY + timedelta(seconds=59)):
            assert outbox.outbox_deliver_due() == {}  # not due yet
        with clock.travel_to(MONDAY + timedelta(seconds=60)):
            assert outbox.outbox_deliver_due() == {"failed": 1}
        message.refresh_from_db()
        assert message.next_attempt_at == MONDAY + timedelta(seconds=60 + 120)

        smtp_up(smtp_down)
        later = MONDAY + timedelta(minutes=3)
        with clock.travel_to(later):
            assert outbox.outbox_deliver_due() == {"sent": 1}
            assert outbox.outbox_deliver_due() == {}
            assert outbox.outbox_deliver(message_id=message.pk, force=True) == "nothing to do"
        message.refresh_from_db()
        assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 3, later)
        assert RefusingBackend.refusals == 2
        assert len(mailoutbox) == 1
        block.refresh_from_db()
        assert block.md_notified_at == later
        assert notified(case) == 1

    def test_the_backoff_doubles_up_to_its_ceiling(self, settings):
        settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 3600
        assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]

    def test_after_the_last_attempt_it_waits_for_an_administrator(self, settings, smtp_down, md, mailoutbox):
        settings.OUTBOX_MAX_ATTEMPTS = 2
        admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
        with clock.travel_to(MONDAY):
            message = outbox.outbox_add(key="k:2", kind="t", subject="S", body="B", recipients=["a@example.org"])
            assert outbox.outbox_deliver(message_id=message.pk) == "failed"
            assert outbox.outbox_deliver(message_id=message.pk, force=True) == "failed"
        message.refresh_from_db()
        assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
        assert outbox.outbox_deliver_due(now=MONDAY + timedelta(days=7)) == {}

        smtp_up(smtp_down)
        with clock.travel_to(MONDAY + timedelta(days=1)):
            outbox.outbox_retry_now(actor=admin_user, message=message)
            assert outbox.outbox_deliver_due() == {"sent": 1}
        assert len(mailoutbox) == 1

    def test_retry_now_needs_the_permission_and_refuses_a_sent_email(self, officer, md, mailoutbox):
        admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
        message = outbox.outbox_add(key="k:3", kind="t", subject="S", body="B", recipients=["a@example.org"])
        with pytest.raises(PermissionDenied):
            outbox.outbox_retry_now(actor=officer, message=message)
        assert outbox.outbox_deliver(message_id=message.pk) == "sent"
        with pytest.raises(ValidationError, match="not sent again"):
            outbox.outbox_retry_now(actor=admin_user, message=message)
        assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_another_worker_holds_is_skipped(mailoutbox, monkeypatch):
    monkeypatch.setattr(outbox, "enqueue", lambda pk: False)  # no delivery on commit: the test delivers
    with transaction.atomic():
        message = outbox.outbox_add(key="k:4", kind="t", subject="S", body="B", recipients=["a@example.org"])
    held, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=message.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        assert outbox.outbox_deliver(message_id=message.pk) == "busy"
    finally:
        release.set()
        thread.join()
    assert mailoutbox == []
    assert outbox.outbox_deliver(message_id=message.pk) == "sent"
    assert len(mailoutbox) == 1


class TestAdmin:
    def test_failures_are_visible_and_retry_now_sends(self, client, settings, smtp_down, mailoutbox):
        admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
        message = outbox.outbox_add(key="k:5", kind="t", subject="Block notice", body="B", recipients=["a@ex.org"])
        outbox.outbox_deliver(message_id=message.pk)
        client.force_login(admin_user)

        page = client.get(reverse("admin:moderation_outboxmessage_changelist")).content.decode()
        assert "Block notice" in page
        assert "451 4.3.0 try again later" in page
        detail = client.get(reverse("admin:moderation_outboxmessage_change", args=[message.pk])).content.decode()
        assert message.message_id.strip("<>") in detail

        smtp_up(settings)
        client.post(
            reverse("admin:moderation_outboxmessage_changelist"),
            {"action": "retry_now", "_selected_action": [message.pk]},
        )
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING
        assert message.next_attempt_at <= clock.now() + timedelta(seconds=1)
        assert outbox.outbox_deliver_due() == {"sent": 1}
        assert len(mailoutbox) == 1


class TestLegacyTasks:
    def test_a_notice_task_queued_before_the_outbox_sends_once(self, md, mailoutbox):
        block = factories.ActiveBlockFactory()
        Block.objects.filter(pk=block.pk).update(md_notified_at=None)
        from escalation import tasks as escalation_tasks

        assert escalation_tasks.notify_managing_director(block.pk) is True
        assert escalation_tasks.notify_managing_director(block.pk) is False
        assert len(mailoutbox) == 1
        assert OutboxMessage.objects.get().key == f"block-notice:{block.pk}"
