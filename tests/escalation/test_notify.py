"""Issue 12, "Notifications": everyone hears of what waits for them, each as they chose, and every
notification is recorded with where it went (escalation/notify.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from escalation import notify, services
from escalation.constants import BlockScope
from escalation.models import (
    Notification,
    NotificationChoice,
    NotificationDelivery,
    NotificationPreference,
)
from moderation import clock
from moderation.models import OutboxMessage, OutboxStatus
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)
REASON = "Threats against staff continued after a written warning."


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver.example"


def told(key_prefix: str) -> dict[str, str]:
    """Who was told of events whose key starts with ``key_prefix``: username → how."""
    rows = Notification.objects.filter(key__startswith=key_prefix).select_related("user")
    return {row.user.username: row.delivery for row in rows}


def emailed(mailoutbox) -> list[str]:
    return sorted(address for email in mailoutbox for address in email.to)


def choose(user, choice: str) -> None:
    NotificationPreference.objects.update_or_create(user=user, defaults={"choice": choice})


@pytest.fixture
def area_case(officer, service_area):
    return factories.OpenCaseFactory(recorded_by=officer, service_area=service_area)


def submit_warning(actor, case, capture):
    with clock.travel_to(MONDAY), capture(execute=True):
        warning = services.warning_draft(actor=actor, case=case)
        return services.warning_submit(actor=actor, warning=warning)


class TestASignOffRequested:
    def test_a_warning_goes_to_the_managers_and_the_cases_director_not_the_asker(
        self, officer, manager, director, other_director, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        signoff = submit_warning(officer, area_case, django_capture_on_commit_callbacks)

        assert told("signoff-requested:") == {
            manager.username: NotificationDelivery.EMAIL,
            director.username: NotificationDelivery.EMAIL,
        }
        assert emailed(mailoutbox) == sorted([manager.email, director.email])
        email = mailoutbox[0]
        assert "Waiting for your decision: written warning on case" in email.subject
        assert f"http://testserver.example/decisions/{signoff.pk}/" in email.body
        # one email per person, each row records whom it went to
        for message in OutboxMessage.objects.all():
            assert message.status == OutboxStatus.SENT
            [user] = message.recipient_users.all()
            assert message.recipients == [user.email]
            assert message.kind == "signoff_requested"

    def test_never_the_requester_an_inactive_user_or_a_superuser_without_the_role(
        self, manager, other_manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        gone = factories.ManagerFactory(username="gone.manager", is_active=False)
        root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")

        submit_warning(manager, area_case, django_capture_on_commit_callbacks)

        assert told("signoff-requested:") == {other_manager.username: NotificationDelivery.EMAIL}
        assert emailed(mailoutbox) == [other_manager.email]
        assert manager.email not in emailed(mailoutbox)
        assert {gone.email, root.email}.isdisjoint(emailed(mailoutbox))

    def test_a_block_goes_to_the_managers_not_the_officer_who_proposed_it(
        self, officer, manager, md, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(MONDAY), django_capture_on_commit_callbacks(execute=True):
            services.block_propose(actor=officer, case=area_case, scope=BlockScope.ALL, reason=REASON)

        assert told("signoff-requested:") == {manager.username: NotificationDelivery.EMAIL}
        assert emailed(mailoutbox) == [manager.email]

    def test_an_appeal_to_be_heard_goes_to_the_head_not_whoever_logged_it(
        self, officer, manager, md, mailoutbox, django_capture_on_commit_callbacks
    ):
        get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
        block = factories.AppealEligibleBlockFactory()
        with django_capture_on_commit_callbacks(execute=True):
            appeal = services.appeal_record(actor=officer, block=block, grounds="It was a joke.")

        assert told("signoff-requested:") == {md.username: NotificationDelivery.EMAIL}
        [email] = mailoutbox
        assert email.to == [md.email]
        assert f"/appeals/{appeal.pk}/" in email.body

    def test_a_premature_appeal_is_logged_to_the_head(
        self, officer, manager, md, mailoutbox, django_capture_on_commit_callbacks
    ):
        block = factories.ActiveBlockFactory()
        with django_capture_on_commit_callbacks(execute=True):
            appeal = services.appeal_record(actor=officer, block=block, grounds="Too harsh.")

        assert appeal.status == "premature"
        assert told("appeal-logged:") == {md.username: NotificationDelivery.EMAIL}
        [email] = mailoutbox
        assert email.to == [md.email]
        assert "Appeal logged" in email.subject

    def test_the_head_logging_an_appeal_is_not_told_of_it(self, md, mailoutbox, django_capture_on_commit_callbacks):
        from django.contrib.auth.models import Permission

        md.user_permissions.add(Permission.objects.get(codename="record_appeal"))
        block = factories.ActiveBlockFactory()
        with django_capture_on_commit_callbacks(execute=True):
            services.appeal_record(actor=get_user_model().objects.get(pk=md.pk), block=block)
        assert not Notification.objects.exists()
        assert mailoutbox == []


class TestARefusal:
    def test_the_person_who_asked_hears_and_the_decider_does_not(
        self, client, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        signoff = submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=signoff, approve=False, reason="Too strongly worded.")

        assert told("signoff-refused:") == {officer.username: NotificationDelivery.EMAIL}
        [email] = mailoutbox
        assert email.to == [officer.email]
        assert "Too strongly worded." in email.body
        # the link opens for the officer: the warning's page, not the decision's (a manager's page)
        assert f"http://testserver.example/warnings/{signoff.warning_id}/" in email.body
        client.force_login(officer)
        assert client.get(f"/warnings/{signoff.warning_id}/").status_code == 200

    def test_an_approval_tells_nobody(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        signoff = submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=signoff, approve=True)
        assert told("signoff-refused:") == {}
        assert mailoutbox == []

    def test_an_asker_who_has_left_is_not_emailed(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        signoff = submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        mailoutbox.clear()
        get_user_model().objects.filter(pk=officer.pk).update(is_active=False)
        with django_capture_on_commit_callbacks(execute=True):
            services.signoff_decide(actor=manager, signoff=signoff, approve=False, reason="No.")
        assert told("signoff-refused:") == {}
        assert mailoutbox == []


class TestIdempotency:
    def test_the_same_decision_twice_is_one_email(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(MONDAY), django_capture_on_commit_callbacks(execute=True):
            warning = services.warning_draft(actor=officer, case=area_case)
            first = services.warning_submit(actor=officer, warning=warning)
            again = services.warning_submit(actor=officer, warning=warning)
            with transaction.atomic():
                notify.signoff_requested(first, authors={officer.pk})  # a worker or a retry writing it again

        assert first.pk == again.pk
        assert emailed(mailoutbox) == [manager.email]
        assert Notification.objects.count() == 1
        assert OutboxMessage.objects.count() == 1

    def test_a_rolled_back_decision_tells_nobody(self, officer, manager, area_case, mailoutbox):
        def submit_then_fail():
            with transaction.atomic():
                warning = services.warning_draft(actor=officer, case=area_case)
                services.warning_submit(actor=officer, warning=warning)
                raise RuntimeError("the request failed after the service")

        with pytest.raises(RuntimeError):
            submit_then_fail()
        assert not Notification.objects.exists()
        assert not OutboxMessage.objects.exists()


class TestEachPersonsChoice:
    def test_none_sends_nothing_but_is_recorded_as_skipped(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        choose(manager, NotificationChoice.NONE)
        submit_warning(officer, area_case, django_capture_on_commit_callbacks)

        row = Notification.objects.get(user=manager)
        assert (row.delivery, row.outbox) == (NotificationDelivery.SKIPPED, None)
        assert mailoutbox == []
        assert not OutboxMessage.objects.exists()

    def test_no_email_address_is_recorded_as_such(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        get_user_model().objects.filter(pk=manager.pk).update(email="")
        submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        assert Notification.objects.get(user=manager).delivery == NotificationDelivery.NO_ADDRESS
        assert mailoutbox == []

    def test_a_digest_is_one_email_next_morning_listing_everything(
        self, officer, manager, area_case, mailoutbox, django_capture_on_commit_callbacks
    ):
        choose(manager, NotificationChoice.DIGEST)
        first = submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        with clock.travel_to(MONDAY + timedelta(hours=2)), django_capture_on_commit_callbacks(execute=True):
            second = services.block_propose(actor=officer, case=area_case, scope=BlockScope.ALL, reason=REASON)
        assert mailoutbox == []  # nothing at the time of each event
        assert set(Notification.objects.values_list("delivery", flat=True)) == {NotificationDelivery.DIGEST}

        with (
            clock.travel_to(MONDAY + timedelta(hours=21, minutes=30)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert notify.digest_send() == 1

        [email] = mailoutbox
        assert email.to == [manager.email]
        assert "Your daily digest: 2 items" in email.subject
        assert f"/decisions/{first.pk}/" in email.body
        assert f"/decisions/{second.signoffs.get().pk}/" in email.body
        digest = OutboxMessage.objects.get(kind="notification_digest")
        assert list(digest.recipient_users.all()) == [manager]
        assert set(Notification.objects.values_list("outbox", flat=True)) == {digest.pk}

        with django_capture_on_commit_callbacks(execute=True):
            assert notify.digest_send() == 0  # run again: nothing listed twice
        assert len(mailoutbox) == 1

    def test_the_digest_costs_the_same_queries_for_one_person_or_many(
        self, officer, area_case, django_capture_on_commit_callbacks
    ):
        signoff = factories.AwaitingSignoffWarningFactory(case=area_case).signoffs.get()

        def queries_for(people: int, events: int) -> int:
            Notification.objects.all().delete()
            users = [factories.ManagerFactory() for _ in range(people)]
            for user in users:
                choose(user, NotificationChoice.DIGEST)
            with transaction.atomic():
                for event in range(events):
                    notify.tell(
                        users,
                        key=f"test:{people}:{event}",
                        template="signoff_requested",
                        context={"signoff": signoff, "decided_by": "a manager"},
                        path="/",
                        case_id=area_case.pk,
                    )
            assert Notification.objects.filter(delivery=NotificationDelivery.DIGEST).count() == people * events
            with CaptureQueriesContext(connection) as queries:
                sent = notify.digest_send()
            assert sent == people
            assert Notification.objects.filter(outbox__isnull=True).count() == 0
            return len(queries)

        assert queries_for(1, 1) == queries_for(4, 3)


class TestYourNotificationsPage:
    def test_the_identity_bar_links_to_it_and_each_event_is_the_default(self, client, officer):
        client.force_login(officer)
        page = client.get(reverse("moderation:case_list")).content.decode()
        assert f'href="{reverse("escalation:notification_preferences")}">Your notifications</a>' in page

        page = client.get(reverse("escalation:notification_preferences")).content.decode()
        assert 'class="govuk-radios' in page
        assert 'value="each" checked' in page
        assert "Nothing yet." in page

    def test_a_person_changes_only_their_own_choice(self, client, officer, manager):
        choose(manager, NotificationChoice.EACH)
        client.force_login(officer)
        url = reverse("escalation:notification_preferences")

        response = client.post(url, {"choice": "digest", "user": manager.pk})

        assert response.status_code == 302
        assert NotificationPreference.objects.get(user=officer).choice == NotificationChoice.DIGEST
        assert NotificationPreference.objects.get(user=manager).choice == NotificationChoice.EACH
        assert 'value="digest" checked' in client.get(url).content.decode()

    def test_a_bad_choice_is_refused_with_a_message(self, client, officer):
        client.force_login(officer)
        response = client.post(reverse("escalation:notification_preferences"), {"choice": "pigeon"})
        assert response.status_code == 200
        assert "govuk-error-summary" in response.content.decode()
        assert not NotificationPreference.objects.exists()

    def test_signed_out_people_are_sent_to_sign_in(self, client):
        response = client.get(reverse("escalation:notification_preferences"))
        assert response.status_code == 302
        assert "next=" in response["Location"]

    def test_it_lists_only_your_own_notifications_and_where_they_went(
        self, client, officer, manager, director, area_case, django_capture_on_commit_callbacks
    ):
        signoff = submit_warning(officer, area_case, django_capture_on_commit_callbacks)
        choose(director, NotificationChoice.NONE)

        client.force_login(manager)
        page = client.get(reverse("escalation:notification_preferences")).content.decode()
        assert f'href="/decisions/{signoff.pk}/"' in page
        assert "Emailed" in page
        assert f"to {manager.email}" in page
        assert director.email not in page

        client.force_login(officer)
        page = client.get(reverse("escalation:notification_preferences")).content.decode()
        assert "Nothing yet." in page


class TestAnyChoice(HypothesisTestCase):
    @hypothesis_settings(max_examples=40, deadline=None)
    @given(choice=st.one_of(st.sampled_from(NotificationChoice.values), st.text(max_size=40)))
    def test_a_choice_is_stored_or_refused_with_a_message_never_an_error(self, choice):
        user = factories.OfficerFactory()
        client = Client()
        client.force_login(user)
        response = client.post(reverse("escalation:notification_preferences"), {"choice": choice})
        stored = NotificationPreference.objects.filter(user=user).values_list("choice", flat=True).first()
        if choice in NotificationChoice.values:
            assert response.status_code == 302
            assert stored == choice
        else:
            assert response.status_code == 200
            assert "govuk-error-summary" in response.content.decode()
            assert stored is None
