"""Invariants PostgreSQL holds by itself, whatever the code above it does."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from escalation import services
from escalation.constants import BlockStatus, SignOffStatus
from escalation.models import Block, SignOff
from moderation import clock
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import CaseEvent
from tests import factories
from tests.support import wait_until_blocked


@pytest.mark.django_db
class TestSignOffConstraints:
    def test_the_requester_cannot_be_the_decider_even_written_straight_to_the_database(self):
        block = factories.ProposedBlockFactory()
        signoff = block.signoffs.get()

        with pytest.raises(IntegrityError, match="signoff_decider_is_not_requester"), transaction.atomic():
            SignOff.objects.filter(pk=signoff.pk).update(
                status=SignOffStatus.APPROVED, decided_by=F("requested_by"), decided_at=clock.now()
            )

        signoff.refresh_from_db()
        assert (signoff.status, signoff.decided_by) == (SignOffStatus.PENDING, None)

    def test_a_refusal_without_a_reason_is_refused_by_the_database(self, manager):
        signoff = factories.ProposedBlockFactory().signoffs.get()
        decided = {"status": SignOffStatus.REFUSED, "decided_by": manager, "decided_at": clock.now()}

        with pytest.raises(IntegrityError, match="signoff_refusal_has_reason"), transaction.atomic():
            SignOff.objects.filter(pk=signoff.pk).update(**decided, reason="")

        signoff.refresh_from_db()
        assert signoff.status == SignOffStatus.PENDING
        # the same refusal with a reason is stored: the constraint refuses exactly the missing reason
        SignOff.objects.filter(pk=signoff.pk).update(**decided, reason="Warn first.")
        signoff.refresh_from_db()
        assert (signoff.status, signoff.decided_by) == (SignOffStatus.REFUSED, manager)


@pytest.fixture
def event(db):
    case = factories.OpenCaseFactory()
    with transaction.atomic():
        return record_event(case=case, kind=EventKind.CASE_RECORDED, actor=case.recorded_by, subject=case, note="v1")


@pytest.mark.django_db
class TestTimelineIsAppendOnly:
    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE moderation_caseevent SET note = 'rewritten' WHERE id = %(id)s", id="update"),
            pytest.param("DELETE FROM moderation_caseevent WHERE id = %(id)s", id="delete"),
            pytest.param("TRUNCATE moderation_caseevent", id="truncate"),
        ],
    )
    def test_raw_sql_cannot_change_or_remove_events(self, event, sql):
        with connection.cursor() as cursor:
            # run the deferred foreign-key checks of the insert now: PostgreSQL refuses to TRUNCATE a
            # table with pending trigger events before our trigger is even asked
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"id": event.pk})

        assert list(CaseEvent.objects.values_list("pk", "note")) == [(event.pk, "v1")]

    def test_the_orm_cannot_either(self, event):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            CaseEvent.objects.filter(pk=event.pk).delete()

        assert list(CaseEvent.objects.values_list("pk", "note")) == [(event.pk, "v1")]

    def test_appending_still_works(self, event):
        with transaction.atomic():
            record_event(case=event.case, kind=EventKind.CASE_ASSIGNED, actor=None, subject=event.case)

        assert CaseEvent.objects.filter(case=event.case).count() == 2


@pytest.mark.django_db(transaction=True)
class TestConcurrentSignOff:
    """Two managers press "Approve" on the same block at the same moment (real commits, two connections)."""

    def test_exactly_one_decision_is_stored(self, mailoutbox):
        factories.ManagingDirectorFactory(username="martha.md")
        first, second = factories.ManagerFactory(username="maya.manager"), factories.ManagerFactory(username="mo.mgr")
        block = factories.ProposedBlockFactory()
        signoff = block.signoffs.get()
        barrier = threading.Barrier(2)
        backend_pids: dict[int, int] = {}
        outcomes: dict[int, object] = {}

        def decide(manager) -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backend_pids[manager.pk] = cursor.fetchone()[0]
                barrier.wait(timeout=10)
                services.signoff_decide(actor=manager, signoff=signoff, approve=True)
                outcomes[manager.pk] = "approved"
            except Exception as error:  # judged by the assertions below
                outcomes[manager.pk] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=decide, args=(manager,)) for manager in (first, second)]
        with transaction.atomic():
            # Hold the sign-off until both managers are queued on it, so that neither can finish
            # before the other has asked: the same moment, every run.
            SignOff.objects.select_for_update().get(pk=signoff.pk)
            for thread in threads:
                thread.start()
            wait_until_blocked(backend_pids, count=2, what="the sign-off's row lock")
        for thread in threads:
            thread.join(timeout=30)

        assert not any(thread.is_alive() for thread in threads)
        [winner] = [m for m in (first, second) if outcomes.get(m.pk) == "approved"]
        [loser] = [m for m in (first, second) if m != winner]
        refusal = outcomes[loser.pk]
        assert isinstance(refusal, ValidationError), refusal
        assert refusal.code == "conflict"
        assert re.match(rf"Already decided by {re.escape(winner.get_full_name())} on ", refusal.message), refusal
        signoff.refresh_from_db()
        block.refresh_from_db()
        assert (signoff.status, signoff.decided_by) == (SignOffStatus.APPROVED, winner)
        assert block.status == BlockStatus.ACTIVE
        assert CaseEvent.objects.filter(case=block.case, kind=EventKind.BLOCK_APPROVED).count() == 1
        assert CaseEvent.objects.filter(case=block.case, kind=EventKind.MD_NOTIFIED).count() == 1
        assert len(mailoutbox) == 1  # the Managing Director is told once


def test_the_roles_migrations_match_the_routing_table(db):
    """The migrations keep frozen copies of the routing table; what the groups hold must agree with it."""
    import importlib

    from django.contrib.auth.models import Group

    from escalation import routing

    frozen = {
        role: set(perms)
        for role, perms in importlib.import_module("escalation.migrations.0002_roles").ROLE_PERMISSIONS.items()
    }
    for role in importlib.import_module("moderation.migrations.0007_import_posts_role").ROLES:
        frozen[role].add("moderation.import_posts")
    for role in importlib.import_module("escalation.migrations.0009_crisis_mode").ROLES:
        frozen[role].add("escalation.declare_crisis")
    lead = importlib.import_module("moderation.migrations.0020_safeguarding_lead_role")
    frozen[lead.ROLE] = set(lead.PERMISSIONS)
    for role in importlib.import_module("escalation.migrations.0013_reports_permission").ROLES:
        frozen[role].add("escalation.read_reports")
    holds = importlib.import_module("moderation.migrations.0034_legal_holds_and_redaction")
    for role in holds.ROLES:
        frozen[role].update(holds.PERMISSIONS)
    assert frozen == {role: set(perms) for role, perms in routing.ROLE_PERMISSIONS.items()}
    for role, perms in routing.ROLE_PERMISSIONS.items():
        held = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert set(perms) <= held, role


@pytest.mark.django_db(transaction=True)
class TestConcurrentSweeps:
    """Two appeal-window sweeps run at once (beat and an administrator's "run now"), in chunks, on
    real connections: every window is flagged once, with one event, and named by one digest."""

    def test_each_window_is_flagged_once(self, mailoutbox):
        blocks = factories.AppealEligibleBlockFactory.create_batch(40)
        assert all(block.status == BlockStatus.ACTIVE for block in blocks)
        now = clock.now()
        barrier = threading.Barrier(2)
        flagged: dict[int, list[int]] = {}
        errors: list[BaseException] = []

        def sweep(n: int) -> None:
            try:
                barrier.wait(timeout=10)
                flagged[n] = services.appeal_windows_flag(now=now + timedelta(microseconds=n), chunk=3)
            except BaseException as error:  # judged below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert not errors, errors
        both = flagged[1] + flagged[2]
        assert sorted(both) == sorted(block.pk for block in blocks)  # each once, by one sweep or the other
        assert CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED).count() == 40
        assert Block.objects.filter(appeal_digest_sent_for__isnull=False).count() == 40
        named = sum(int(email.subject.split("] ")[1].split(" ")[0]) for email in mailoutbox)
        assert named == 40  # the digests between them name every block once


@pytest.mark.django_db(transaction=True)
class TestSweepWithHelpers:
    """Issue 13: a sweep with more than a chunk to do shares the chunks with a helper thread on a
    connection of its own (the latest windows first, the sweep the earliest), waits for it, and
    writes one digest naming every block once."""

    def _sweep(self, monkeypatch, blocks: int):
        started = []
        helping = services._flag_chunks_helping

        def recorded(params, found):
            started.append(threading.current_thread().name)
            helping(params, found)

        monkeypatch.setattr(services, "_flag_chunks_helping", recorded)
        made = factories.AppealEligibleBlockFactory.create_batch(blocks)
        return made, started, services.appeal_windows_flag(chunk=3)

    def test_the_helper_shares_the_chunks_and_one_digest_names_each_once(self, monkeypatch, mailoutbox):
        blocks, started, flagged = self._sweep(monkeypatch, 40)

        assert started == ["appeal-sweep-helper-1"]  # a second connection took part
        assert flagged == sorted(block.pk for block in blocks)
        events = CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED)
        assert sorted(events.values_list("subject_id", flat=True)) == flagged  # one event each
        assert Block.objects.filter(appeal_digest_sent_for=F("appeal_opens_at")).count() == 40
        [email] = mailoutbox
        assert "40 blocks can now be appealed" in email.subject

    def test_what_a_failed_helper_left_is_flagged_by_the_sweep(self, monkeypatch, mailoutbox):
        monkeypatch.setattr(services, "FLAG_OPEN_WINDOWS_LATEST_SQL", "SELECT no_such_column FROM escalation_block")
        blocks, started, flagged = self._sweep(monkeypatch, 10)

        assert started == ["appeal-sweep-helper-1"]
        assert flagged == sorted(block.pk for block in blocks)
        assert CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED).count() == 10
        [email] = mailoutbox
        assert "10 blocks can now be appealed" in email.subject

    def test_a_sweep_within_a_transaction_works_alone(self, monkeypatch, mailoutbox):
        with transaction.atomic():
            blocks, started, flagged = self._sweep(monkeypatch, 7)

        assert started == []  # a helper could not see the caller's rows
        assert flagged == sorted(block.pk for block in blocks)
        assert CaseEvent.objects.filter(kind=EventKind.APPEAL_WINDOW_OPENED).count() == 7


@pytest.mark.django_db
def test_every_row_guard_is_called_only_when_a_row_could_break_it():
    """Issue 13: the guards turned each row into JSON on every UPDATE (57 s for 50,000 digest stamps).
    Every row trigger on the decision tables now has a WHEN condition PostgreSQL checks first; the
    tests above show the guards still refuse what they refused."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT tgname, tgqual IS NOT NULL FROM pg_trigger
             WHERE NOT tgisinternal AND (tgtype & 1) = 1 AND (tgtype & (4 | 16)) <> 0  -- row, INSERT or UPDATE
               AND tgrelid IN ('escalation_block'::regclass, 'escalation_signoff'::regclass,
                               'escalation_appeal'::regclass, 'escalation_warning'::regclass,
                               'moderation_caseevent'::regclass)
               AND tgname NOT IN ('caseevent_no_update_delete')
            """
        )
        guards = dict(cursor.fetchall())
    assert len(guards) >= 16, guards
    assert [name for name, conditional in guards.items() if not conditional] == []
