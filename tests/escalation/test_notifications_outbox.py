"""The escalation emails go through the outbox: written with the decision, the timeline says "told"
only once the email went, chases and digests keyed so they are written once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from escalation import services
from escalation.models import Notification, PoliceReport
from moderation import clock, outbox
from moderation.constants import EventKind
from moderation.models import CaseEvent, OutboxMessage, OutboxStatus
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = datetime(2027, 3, 17, 10, 0, tzinfo=LONDON)


class DownBackend(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("connection refused")


def test_a_police_report_is_told_only_once_the_email_went(
    settings, manager, md, mailoutbox, django_capture_on_commit_callbacks
):
    case = factories.OpenCaseFactory()
    settings.EMAIL_BACKEND = "tests.escalation.test_notifications_outbox.DownBackend"
    with clock.travel_to(WEDNESDAY), django_capture_on_commit_callbacks(execute=True):
        report = services.police_report_record(
            actor=manager, case=case, force="Herts", reference="41/7/27", reported_on=timezone.localdate()
        )

    message = OutboxMessage.objects.get(key=f"police-report:{report.pk}")
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert PoliceReport.objects.get().md_notified_at is None
    assert not CaseEvent.objects.filter(kind=EventKind.MD_NOTIFIED).exists()
    assert CaseEvent.objects.filter(kind=EventKind.POLICE_REPORTED).count() == 1  # the decision stands

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.travel_to(WEDNESDAY + timedelta(minutes=5)):
        assert outbox.outbox_deliver_due() == {"sent": 1}
    assert len(mailoutbox) == 1
    assert PoliceReport.objects.get().md_notified_at == WEDNESDAY + timedelta(minutes=5)
    assert CaseEvent.objects.filter(kind=EventKind.MD_NOTIFIED).count() == 1


def test_a_chase_is_written_once_a_day_with_its_event(md, mailoutbox, django_capture_on_commit_callbacks):
    with clock.travel_to(WEDNESDAY - timedelta(days=2)):
        block = factories.ActiveBlockFactory()
    with clock.travel_to(WEDNESDAY), django_capture_on_commit_callbacks(execute=True):
        services.overdue_chase()
        services.overdue_chase()

    [message] = OutboxMessage.objects.filter(kind="overdue_chase")
    assert message.key.startswith(f"overdue-chase:user:{md.pk}:2027-03-17:")  # the person, the day, the items
    [told] = Notification.objects.filter(kind="acknowledgement_chase")
    assert (told.key, told.user, told.outbox) == (f"acknowledgement-chase:{block.pk}:2027-03-17", md, message)
    assert message.status == OutboxStatus.SENT
    assert [m.to for m in mailoutbox] == [[md.email]]
    assert CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).count() == 1


def test_the_digest_is_written_with_the_flags_and_once(mailoutbox, django_capture_on_commit_callbacks):
    with clock.travel_to(WEDNESDAY):
        factories.AppealEligibleBlockFactory.create_batch(2)
    with clock.travel_to(WEDNESDAY), django_capture_on_commit_callbacks(execute=True):
        flagged = services.appeal_windows_flag()
        assert services.appeal_window_digest_send(block_ids=flagged) == 0  # a late legacy task

    [message] = OutboxMessage.objects.filter(kind="appeal_window_digest")
    assert message.key.startswith("appeal-digest:")
    assert message.status == OutboxStatus.SENT
    assert len(mailoutbox) == 1
