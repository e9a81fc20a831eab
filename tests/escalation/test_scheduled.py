"""Scheduled work: flagging blocks whose appeal window opened, chasing overdue decisions."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse

from escalation import services, tasks
from escalation.constants import BlockScope, BlockStatus
from escalation.models import Block
from moderation import clock
from moderation.constants import EventKind
from moderation.models import CaseEvent, OutboxMessage
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 5, 10, 7, 0, tzinfo=LONDON)  # a Monday, when beat runs the flagging task
MONDAY = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=LONDON)


def flagged_events():
    return CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED)


@pytest.fixture
def blocks(block_in_state):
    """Two blocks whose window has opened, and three that must not be flagged."""
    with clock.travel_to(NOW):
        return {
            "open": factories.AppealEligibleBlockFactory(),
            "opens_now": factories.ActiveBlockFactory(started_at=services.add_calendar_months(NOW, -12)),
            "future": factories.ActiveBlockFactory(started_at=NOW - timedelta(days=300)),
            "lifted": block_in_state(BlockStatus.LIFTED),
            "flagged": factories.AppealEligibleBlockFactory(appeal_window_flagged_at=NOW - timedelta(days=3)),
        }


class TestAppealWindowsFlag:
    def test_flags_the_active_blocks_whose_window_opened(self, blocks, mailoutbox, django_capture_on_commit_callbacks):
        assert blocks["opens_now"].appeal_opens_at == NOW

        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            flagged = services.appeal_windows_flag()

        assert flagged == sorted([blocks["open"].pk, blocks["opens_now"].pk])
        stamped = dict(Block.objects.values_list("pk", "appeal_window_flagged_at"))
        assert stamped[blocks["open"].pk] == NOW
        assert stamped[blocks["opens_now"].pk] == NOW
        assert stamped[blocks["future"].pk] is None
        assert stamped[blocks["lifted"].pk] is None
        assert stamped[blocks["flagged"].pk] == NOW - timedelta(days=3)

    def test_one_timeline_event_per_block_written_by_the_system(self, blocks):
        with clock.travel_to(NOW):
            services.appeal_windows_flag()

        written = {(e.case_id, e.subject_type, e.subject_id) for e in flagged_events()}
        assert flagged_events().count() == 2
        assert written == {(b.case_id, "block", b.pk) for b in (blocks["open"], blocks["opens_now"])}
        assert {(e.actor, e.actor_label, e.at) for e in flagged_events()} == {(None, "system", NOW)}
        assert CaseEvent.objects.count() == 2

    def test_the_communications_team_gets_a_digest(self, blocks, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            services.appeal_windows_flag()

        [email] = mailoutbox
        assert email.to == [settings.COMMUNICATIONS_TEAM_EMAIL]
        assert "2 blocks can now be appealed" in email.subject
        for name in ("open", "opens_now"):
            block = blocks[name]
            assert f"{block.account}: block {block.pk} on case {block.case_id}" in email.body
        for name in ("future", "lifted", "flagged"):
            assert str(blocks[name].account) not in email.body
        assert "appeals from 10 May 2027" in email.body

    def test_a_redelivered_digest_task_sends_nothing_twice(
        self, blocks, mailoutbox, django_capture_on_commit_callbacks
    ):
        from escalation import tasks

        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            flagged = services.appeal_windows_flag()
        assert len(mailoutbox) == 1
        assert tasks.send_appeal_window_digest(flagged) == 0  # the broker delivered it again
        assert len(mailoutbox) == 1
        stamped = Block.objects.get(pk=blocks["open"].pk)
        assert stamped.appeal_digest_sent_for == stamped.appeal_opens_at
        # a window opened again (after an upheld appeal, say) is named in the next digest
        later = stamped.appeal_opens_at + timedelta(days=365)
        Block.objects.filter(pk=stamped.pk).update(appeal_opens_at=later)
        assert tasks.send_appeal_window_digest([stamped.pk]) == 1
        assert len(mailoutbox) == 2

    def test_a_second_run_does_nothing(self, blocks, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            services.appeal_windows_flag()

        with clock.travel_to(NOW + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = services.appeal_windows_flag()

        assert again == []
        assert callbacks == []
        assert len(mailoutbox) == 1
        assert flagged_events().count() == 2
        assert Block.objects.get(pk=blocks["open"].pk).appeal_window_flagged_at == NOW

    def test_nothing_open_sends_nothing(self, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(NOW):
            factories.ActiveBlockFactory()

        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            assert services.appeal_windows_flag() == []

        assert mailoutbox == []
        assert not flagged_events().exists()

    @pytest.mark.parametrize("count", [3, 30])
    def test_the_query_count_does_not_grow_with_the_number_of_blocks(
        self, count, mailoutbox, django_assert_max_num_queries, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(NOW):
            factories.AppealEligibleBlockFactory.create_batch(count)

        with (
            clock.travel_to(NOW),
            # flag: one statement per chunk (update and events), in its savepoint; digest: lock, count and
            # fingerprint the blocks, read the listed ones, its outbox row (get_or_create, savepoints),
            # stamp them; delivery on commit: claim the row, mark it sent (savepoints)
            django_assert_max_num_queries(18),
            django_capture_on_commit_callbacks(execute=True),
        ):
            flagged = services.appeal_windows_flag()

        assert len(flagged) == count
        assert flagged_events().count() == count
        [email] = mailoutbox
        assert f"{count} blocks can now be appealed" in email.subject

    def test_the_celery_task_does_the_same(self, blocks, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            result = tasks.flag_open_appeal_windows.delay()

        assert result.get() == sorted([blocks["open"].pk, blocks["opens_now"].pk])
        assert Block.objects.get(pk=blocks["open"].pk).appeal_window_flagged_at == NOW
        assert flagged_events().count() == 2
        [email] = mailoutbox
        assert email.to == [settings.COMMUNICATIONS_TEAM_EMAIL]

    def test_an_upheld_appeal_is_flagged_again_when_the_next_window_opens(self, officer, md):
        with clock.travel_to(NOW):
            block = factories.AppealEligibleBlockFactory()
            services.appeal_windows_flag()
            appeal = services.appeal_record(actor=officer, block=block)
            services.appeal_decide(actor=md, appeal=appeal, overturn=False, reason="Abuse resumed.")

        with clock.travel_to(NOW + timedelta(days=364)):
            assert services.appeal_windows_flag() == []
        with clock.travel_to(NOW + timedelta(days=366)):
            assert services.appeal_windows_flag() == [block.pk]

        assert flagged_events().filter(subject_id=block.pk).count() == 2

    def test_beat_runs_it_every_day_at_seven_london_time(self):
        [entry] = [
            e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.flag_open_appeal_windows.name
        ]
        schedule = entry["schedule"]

        assert isinstance(schedule, crontab)
        assert (schedule.hour, schedule.minute) == ({7}, {0})
        assert schedule.day_of_week == set(range(7))
        assert schedule.day_of_month == set(range(1, 32))
        assert settings.CELERY_TIMEZONE == "Europe/London"
        assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.fixture
def chase(django_capture_on_commit_callbacks):
    """``services.overdue_chase`` with its emails delivered as its transaction commits (the outbox)."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return services.overdue_chase()

    return run


@pytest.fixture
def proposed_by_manager(manager, other_manager, officer, md):
    """Maya (a manager) proposes a block on Monday 10:00; its sign-off is due Tuesday 10:00."""
    case = factories.OpenCaseFactory()
    with clock.travel_to(MONDAY):
        return services.block_propose(actor=manager, case=case, scope=BlockScope.ALL, reason="Repeated abuse.")


class TestOverdueSignOffChase:
    def test_not_chased_before_it_is_due(self, chase, proposed_by_manager, mailoutbox):
        with clock.travel_to(at(16, 9, 59)):
            chased = chase()

        assert chased["signoffs"] == 0
        assert mailoutbox == []
        assert proposed_by_manager.signoffs.get().last_chased_at is None

    def test_overdue_sign_off_chases_its_deciders_but_not_the_requester(
        self, chase, proposed_by_manager, manager, other_manager, mailoutbox
    ):
        with clock.travel_to(at(16, 11)):
            chased = chase()

        assert chased["signoffs"] == 1
        [email] = mailoutbox
        assert email.to == [other_manager.email]  # not Maya, who asked; not the officer or the MD
        case_id = proposed_by_manager.case_id
        assert f"Overdue: block sign-off on case {case_id}" in email.subject
        assert "was due by 16 March 2027, 10:00" in email.body
        signoff = proposed_by_manager.signoffs.get()
        assert signoff.last_chased_at == at(16, 11)
        event = CaseEvent.objects.get(case=case_id, kind=EventKind.SIGNOFF_CHASED)
        assert (event.actor, event.actor_label, event.subject_id) == (None, "system", signoff.pk)
        assert event.after["recipients"] == [other_manager.email]

    def test_chased_at_most_once_a_working_day(self, chase, proposed_by_manager, mailoutbox):
        with clock.travel_to(at(16, 11)):
            chase()
        with clock.travel_to(at(16, 16, 30)):
            later_that_day = chase()

        assert later_that_day["signoffs"] == 0
        assert len(mailoutbox) == 1
        assert proposed_by_manager.signoffs.get().last_chased_at == at(16, 11)
        assert CaseEvent.objects.filter(kind=EventKind.SIGNOFF_CHASED).count() == 1

        with clock.travel_to(at(17, 11)):
            next_day = chase()
        assert next_day["signoffs"] == 1
        assert len(mailoutbox) == 2

    def test_a_decided_sign_off_is_not_chased(self, chase, proposed_by_manager, other_manager, mailoutbox):
        with clock.travel_to(at(16, 11)):
            services.signoff_decide(actor=other_manager, signoff=proposed_by_manager.signoffs.get(), approve=True)
            mailoutbox.clear()  # the Managing Director's notice, if it was sent
            chased = chase()

        assert chased["signoffs"] == 0
        assert not CaseEvent.objects.filter(kind=EventKind.SIGNOFF_CHASED).exists()


class TestUnacknowledgedBlockChase:
    @pytest.mark.parametrize(
        ("started", "not_yet", "due"),
        [
            pytest.param(MONDAY, at(17, 9, 59), at(17, 10), id="two-working-days"),
            # Good Friday and Easter Monday 2027 are bank holidays (and the clocks go forward)
            pytest.param(at(25, 10), at(31, 9, 59), at(31, 10), id="over-easter"),
        ],
    )
    def test_the_managing_director_is_chased_after_two_working_days(
        self, chase, md, manager, started, not_yet, due, mailoutbox
    ):
        with clock.travel_to(started):
            block = factories.ActiveBlockFactory()

        with clock.travel_to(not_yet):
            assert chase()["acknowledgements"] == 0
        assert mailoutbox == []

        with clock.travel_to(due):
            assert chase()["acknowledgements"] == 1

        [email] = mailoutbox
        assert email.to == [md.email]
        assert f"Please acknowledge: block of {block.account}" in email.subject
        block.refresh_from_db()
        assert block.md_last_chased_at == due
        event = CaseEvent.objects.get(case=block.case, kind=EventKind.ACKNOWLEDGEMENT_CHASED)
        assert (event.actor, event.actor_label) == (None, "system")
        assert event.after["recipients"] == [md.email]

    def test_chased_once_a_working_day(self, chase, md, mailoutbox):
        with clock.travel_to(MONDAY):
            factories.ActiveBlockFactory()

        with clock.travel_to(at(17, 10)):
            chase()
        with clock.travel_to(at(17, 16)):
            assert chase()["acknowledgements"] == 0

        assert len(mailoutbox) == 1
        assert CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).count() == 1

    def test_an_acknowledged_block_is_not_chased(self, chase, md, mailoutbox):
        with clock.travel_to(MONDAY):
            block = factories.ActiveBlockFactory()
            services.block_acknowledge(actor=md, block=block)

        with clock.travel_to(at(24, 10)):
            chased = chase()

        assert chased["acknowledgements"] == 0
        assert mailoutbox == []
        assert not CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).exists()

    def test_a_proposed_block_is_not_chased(self, chase, md, mailoutbox):
        with clock.travel_to(MONDAY):
            factories.ProposedBlockFactory()

        with clock.travel_to(at(24, 10)):
            assert chase()["acknowledgements"] == 0

        assert not CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).exists()

    def test_the_celery_task_chases_too(self, md, mailoutbox, django_capture_on_commit_callbacks):
        with clock.travel_to(MONDAY):
            factories.ActiveBlockFactory()

        with clock.travel_to(at(17, 10)), django_capture_on_commit_callbacks(execute=True):
            result = tasks.chase_overdue.delay()

        assert result.get()["acknowledgements"] == 1
        assert [m.to for m in mailoutbox] == [[md.email]]


def prefer(user, choice: str) -> None:
    from escalation.models import NotificationPreference

    NotificationPreference.objects.update_or_create(user=user, defaults={"choice": choice})


class TestChaseFollowsEachPersonsChoice:
    """The reminders respect ``NotificationPreference`` as every other notification does: an email, the
    daily digest, or nothing; each person told is recorded (a ``Notification`` row)."""

    def test_each_decider_is_reminded_as_they_chose(self, chase, proposed_by_manager, other_manager, mailoutbox):
        from escalation import notify
        from escalation.models import Notification

        digester = factories.ManagerFactory(username="dina.digest", email="dina@council.example")
        silent = factories.ManagerFactory(username="sam.silent", email="sam@council.example")
        prefer(digester, "digest")
        prefer(silent, "none")
        with clock.travel_to(at(16, 11)):
            assert chase()["signoffs"] == 1

        [email] = mailoutbox
        assert email.to == [other_manager.email]  # not the one on the digest, nor the one with none
        signoff = proposed_by_manager.signoffs.get()
        told = {row.user_id: row for row in Notification.objects.filter(kind="signoff_chase")}
        assert {uid: row.delivery for uid, row in told.items()} == {
            other_manager.pk: "email",
            digester.pk: "digest",
            silent.pk: "skipped",
        }
        assert told[other_manager.pk].outbox.recipients == [other_manager.email]
        assert told[digester.pk].outbox is None  # waits for the digest
        assert told[digester.pk].url == reverse("escalation:signoff_detail", args=[signoff.pk])
        event = CaseEvent.objects.get(kind=EventKind.SIGNOFF_CHASED)
        assert event.after["recipients"] == [other_manager.email]
        assert event.after["in_digest"] == [digester.email]
        assert event.after["emails_off"] == [silent.email]

        mailoutbox.clear()
        with clock.travel_to(at(17, 7, 30)):
            assert notify.digest_send() == 1
        told[digester.pk].refresh_from_db()
        assert told[digester.pk].outbox.recipients == [digester.email]
        assert "Overdue: block sign-off" in told[digester.pk].outbox.body

    def test_a_head_on_the_digest_gets_no_chase_email_and_the_timeline_says_where_it_went(
        self, chase, md, mailoutbox
    ):
        prefer(md, "digest")
        with clock.travel_to(MONDAY):
            block = factories.ActiveBlockFactory()
        with clock.travel_to(at(17, 10)):
            assert chase()["acknowledgements"] == 1
        assert mailoutbox == []
        event = CaseEvent.objects.get(case=block.case, kind=EventKind.ACKNOWLEDGEMENT_CHASED)
        assert event.after["recipients"] == []
        assert event.note == f"In the next daily digest of: {md.email}"
        block.refresh_from_db()
        assert block.md_last_chased_at == at(17, 10)  # chased, once a working day as before

    def test_when_everyone_turned_emails_off_the_timeline_says_chase_them_another_way(
        self, chase, proposed_by_manager, other_manager, mailoutbox
    ):
        prefer(other_manager, "none")
        with clock.travel_to(at(16, 11)):
            assert chase()["signoffs"] == 1
        assert mailoutbox == []
        event = CaseEvent.objects.get(kind=EventKind.SIGNOFF_CHASED)
        assert "turned emails off" in event.note

    @pytest.mark.parametrize("count", [2, 25])
    def test_the_statements_still_do_not_grow_with_preferences_set(
        self, count, manager, other_manager, md, django_assert_max_num_queries
    ):
        from escalation.models import Notification

        prefer(md, "digest")
        digester = factories.ManagerFactory(username="dina.digest", email="dina@council.example")
        prefer(digester, "digest")
        with clock.travel_to(MONDAY):
            for _ in range(count):
                services.block_propose(
                    actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
                )
                factories.ActiveBlockFactory()
        # as below (the heads are read with their choice once)
        with clock.travel_to(at(17, 11)), django_assert_max_num_queries(20):
            chased = services.overdue_chase()
        assert chased == {"signoffs": count, "acknowledgements": count}
        [email] = OutboxMessage.objects.filter(kind="overdue_chase")  # one, to other_manager, every sign-off
        assert email.recipients == [other_manager.email]  # the head and Dina: the digest
        assert f"Overdue: {count} sign-offs" in email.subject
        assert Notification.objects.filter(kind="signoff_chase", delivery="digest").count() == count
        assert Notification.objects.filter(kind="acknowledgement_chase", delivery="digest").count() == count


class TestChaseIsSetBased:
    """Issue 13: 1,745 overdue items took 7,265 statements. The chase's statements no longer grow with
    the number of items: the items are read once, deciders once per kind and service area, and the
    reminders, stamps and events written in one statement each."""

    @pytest.mark.parametrize("count", [2, 25])
    def test_the_statements_do_not_grow_with_the_number_of_overdue_items(
        self, count, manager, other_manager, md, django_assert_max_num_queries, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(MONDAY):
            for _ in range(count):
                services.block_propose(
                    actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
                )
                factories.ActiveBlockFactory()

        # sign-offs, jit off, their cases' areas, warnings' and blocks' authors, deciders (once, with the
        # permissions they read), stamp, blocks, heads, their accounts, stamp, the listed sign-offs and
        # blocks, outbox keys, outbox insert, its people, notifications insert, events insert, savepoints
        with clock.travel_to(at(17, 11)), django_assert_max_num_queries(20):
            chased = services.overdue_chase()

        assert chased == {"signoffs": count, "acknowledgements": count}
        assert CaseEvent.objects.filter(kind=EventKind.SIGNOFF_CHASED).count() == count
        assert CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).count() == count
        # one email per person, listing what waits for them: never Maya, who asked
        emails = {tuple(m.recipients): m for m in OutboxMessage.objects.filter(kind="overdue_chase")}
        assert set(emails) == {(other_manager.email,), (md.email,)}
        assert f"Overdue: {count} sign-offs" in emails[(other_manager.email,)].subject
        assert f"Overdue: {count} blocks to acknowledge" in emails[(md.email,)].subject
        assert not OutboxMessage.objects.exclude(kind="overdue_chase").filter(kind__contains="chase").exists()

    def test_a_second_run_the_same_day_adds_nothing(
        self, manager, other_manager, md, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(MONDAY):
            services.block_propose(
                actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
            )
        with clock.travel_to(at(17, 11)):
            services.overdue_chase()
        before = (OutboxMessage.objects.count(), CaseEvent.objects.count())
        with clock.travel_to(at(17, 15)):
            assert services.overdue_chase() == {"signoffs": 0, "acknowledgements": 0}
        assert (OutboxMessage.objects.count(), CaseEvent.objects.count()) == before

    def test_chased_again_a_whole_working_day_later_not_the_next_morning(self, chase, proposed_by_manager, mailoutbox):
        # the database keeps to the items not chased for a working day's length of clock time (less
        # two hours); the working-day test then decides: chased Tuesday 16:30, due again Wednesday 16:30
        with clock.travel_to(at(16, 16, 30)):
            assert chase()["signoffs"] == 1
        with clock.travel_to(at(17, 9, 30)):
            assert chase()["signoffs"] == 0  # seventeen hours of clock, one of office time
        with clock.travel_to(at(17, 16, 29)):
            assert chase()["signoffs"] == 0
        with clock.travel_to(at(17, 16, 30)):
            assert chase()["signoffs"] == 1
        assert len(mailoutbox) == 2

    def test_a_run_with_nothing_to_chase_reads_no_items_and_the_policy_once(
        self, manager, other_manager, md, django_assert_max_num_queries
    ):
        from unittest import mock

        from policy import services as policy

        with clock.travel_to(MONDAY):
            for _ in range(5):
                services.block_propose(
                    actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
                )
                factories.ActiveBlockFactory()
        with clock.travel_to(at(17, 11)):
            assert services.overdue_chase() == {"signoffs": 5, "acknowledgements": 5}
        with (
            clock.travel_to(at(17, 15)),
            mock.patch.object(policy.cache, "get", wraps=policy.cache.get) as get,
            django_assert_max_num_queries(4),
        ):
            assert services.overdue_chase() == {"signoffs": 0, "acknowledgements": 0}
        assert [c for c in get.call_args_list if c.args[0] == policy.CACHE_KEY] == [mock.call(policy.CACHE_KEY)]


class TestSweepInChunks:
    """Issue 13: 948,000 windows opening at once took 164 s and 2.4 GB in one statement. The sweep now
    flags a chunk at a time, each chunk one statement (the blocks and their events) in its own
    transaction, and the digest lists a bounded number of blocks."""

    def test_every_window_is_flagged_once_with_one_event_across_chunks(
        self, mailoutbox, django_capture_on_commit_callbacks
    ):
        with clock.travel_to(NOW):
            blocks = factories.AppealEligibleBlockFactory.create_batch(7)

        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            flagged = services.appeal_windows_flag(chunk=3)

        assert flagged == sorted(block.pk for block in blocks)
        assert flagged_events().count() == 7
        event = flagged_events().get(subject_id=blocks[0].pk)
        blocks[0].refresh_from_db()
        assert event.after == {"appeal_opens_at": blocks[0].appeal_opens_at.isoformat()}
        assert (event.actor, event.actor_label, event.at) == (None, "system", NOW)
        assert event.note == "The account owner may now appeal this block."
        [email] = mailoutbox
        assert "7 blocks can now be appealed" in email.subject
        with clock.travel_to(NOW):
            assert services.appeal_windows_flag(chunk=3) == []
        assert flagged_events().count() == 7

    def test_a_long_digest_lists_the_first_blocks_and_counts_the_rest(
        self, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
    ):
        monkeypatch.setattr(services, "DIGEST_LISTS", 2)
        with clock.travel_to(NOW):
            factories.AppealEligibleBlockFactory.create_batch(5)

        with clock.travel_to(NOW), django_capture_on_commit_callbacks(execute=True):
            services.appeal_windows_flag()

        [email] = mailoutbox
        assert "5 blocks can now be appealed" in email.subject
        assert email.body.count(": block ") == 2
        assert "and 3 more" in email.body
        assert Block.objects.filter(appeal_digest_sent_for__isnull=False).count() == 5  # all named, once


class TestOneReminderPerPerson:
    """Each person gets one reminder email a run listing everything overdue for them (not one email per
    item: a head with 1,746 unacknowledged blocks got 1,746 emails), while every item keeps its own
    timeline event and each person their ``Notification`` row for it."""

    def test_one_email_lists_every_item_with_its_link_and_the_role_that_decides(
        self, chase, manager, other_manager, md, mailoutbox
    ):
        from escalation.models import Notification

        with clock.travel_to(MONDAY):
            proposed = [
                services.block_propose(
                    actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
                )
                for _ in range(2)
            ]
            blocks = factories.ActiveBlockFactory.create_batch(3)
        with clock.travel_to(at(17, 11)):
            assert chase() == {"signoffs": 2, "acknowledgements": 3}

        by_person = {tuple(email.to): email for email in mailoutbox}
        assert set(by_person) == {(other_manager.email,), (md.email,)}  # one each; never Maya, who asked
        decider = by_person[(other_manager.email,)]
        assert "Overdue: 2 sign-offs" in decider.subject
        assert decider.body.count("To be decided by: ") == 2  # the policy's role title, as before
        for block in proposed:
            signoff = block.signoffs.get()
            assert f"case {signoff.case_id}" in decider.body
            assert reverse("escalation:signoff_detail", args=[signoff.pk]) in decider.body
        head = by_person[(md.email,)]
        assert "Overdue: 3 blocks to acknowledge" in head.subject
        for block in blocks:
            assert reverse("escalation:block_detail", args=[block.pk]) in head.body
        assert "has not yet been acknowledged by the Managing Director." in head.body
        assert "more" not in head.body
        # every item its event, every person their row, each row carried by that person's one email
        assert CaseEvent.objects.filter(kind=EventKind.SIGNOFF_CHASED).count() == 2
        assert CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).count() == 3
        rows = Notification.objects.filter(user=md, kind="acknowledgement_chase")
        assert rows.count() == 3
        assert {row.outbox.subject for row in rows} == {head.subject}
        assert Notification.objects.filter(user=other_manager, kind="signoff_chase", delivery="email").count() == 2

    def test_a_long_list_is_capped_with_and_n_more_and_the_decisions_page(self, chase, md, mailoutbox, monkeypatch):
        from escalation import notify

        monkeypatch.setattr(notify, "CHASE_LISTED", 2)
        with clock.travel_to(MONDAY):
            blocks = factories.ActiveBlockFactory.create_batch(5)
        with clock.travel_to(at(17, 11)):
            assert chase()["acknowledgements"] == 5

        [email] = mailoutbox
        assert "Overdue: 5 blocks to acknowledge" in email.subject
        listed = [block for block in blocks if reverse("escalation:block_detail", args=[block.pk]) in email.body]
        assert len(listed) == 2
        assert "… and 3 more, every one on your decisions page" in email.body
        assert notify.absolute(reverse("escalation:decision_list")) in email.body

    def test_a_later_run_the_same_day_sends_only_what_became_due_since(self, chase, manager, md, mailoutbox):
        with clock.travel_to(MONDAY):
            first = factories.ActiveBlockFactory()
        with clock.travel_to(at(15, 14)):
            later = factories.ActiveBlockFactory()
        with clock.travel_to(at(17, 10)):
            assert chase()["acknowledgements"] == 1
        with clock.travel_to(at(17, 14)):
            assert chase()["acknowledgements"] == 1
        with clock.travel_to(at(17, 16)):
            assert chase()["acknowledgements"] == 0

        assert len(mailoutbox) == 2
        keys = list(OutboxMessage.objects.filter(kind="overdue_chase").values_list("key", flat=True))
        assert len(set(keys)) == 2
        assert all(key.startswith(f"overdue-chase:user:{md.pk}:2027-03-17:") for key in keys)
        path = reverse("escalation:block_detail", args=[first.pk])
        assert path in mailoutbox[0].body
        assert path not in mailoutbox[1].body
        assert reverse("escalation:block_detail", args=[later.pk]) in mailoutbox[1].body


@pytest.mark.django_db(transaction=True)
class TestConcurrentChases:
    """Two chases at once (beat's and a worker's redelivered task), on real connections: each item is
    reminded once, with one event, each person's row once, and no email key written twice."""

    def test_each_item_is_chased_once(self, manager, other_manager, md):
        import threading

        from django.db import connection

        from escalation.models import Notification

        with clock.travel_to(MONDAY):
            for _ in range(6):
                services.block_propose(
                    actor=manager, case=factories.OpenCaseFactory(), scope=BlockScope.ALL, reason="Repeated abuse."
                )
            factories.ActiveBlockFactory.create_batch(6)
        barrier = threading.Barrier(2)
        chased: dict[int, dict] = {}
        errors: list[BaseException] = []

        def run(n: int) -> None:
            try:
                barrier.wait(timeout=10)
                chased[n] = services.overdue_chase(now=at(17, 11))
            except BaseException as error:  # judged below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert not errors, errors
        assert chased[1]["signoffs"] + chased[2]["signoffs"] == 6
        assert chased[1]["acknowledgements"] + chased[2]["acknowledgements"] == 6
        assert CaseEvent.objects.filter(kind=EventKind.SIGNOFF_CHASED).count() == 6
        assert CaseEvent.objects.filter(kind=EventKind.ACKNOWLEDGEMENT_CHASED).count() == 6
        for person, kind in ((other_manager, "signoff_chase"), (md, "acknowledgement_chase")):
            rows = Notification.objects.filter(user=person, kind=kind)
            assert rows.count() == 6  # each item once, whichever run reminded it
            assert all(row.outbox is not None for row in rows)
        assert not Notification.objects.filter(user=manager).exists()
