"""As the role the application runs as, PostgreSQL refuses to rewrite history.

The application's role owns no table (config/dbroles.py): it cannot UPDATE, DELETE or TRUNCATE the
case timeline or the security log, cannot ALTER a table to disable their triggers, cannot write a
back-dated event or decision, cannot change a decision once recorded; and separation of duties holds
whoever writes (the owner too). Each attempt runs in its own savepoint and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from config import dbroles
from config.models import SecurityEvent, SecurityEventKind
from escalation.constants import AppealStatus, BlockStatus, SignOffStatus
from escalation.models import Appeal, Block, SignOff, Warning
from moderation import clock
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db
APP_ROLE = "moderation_test_app"


@pytest.fixture
def as_app_role(db):
    """Run statements as the application's role (created and granted as `migrate` does)."""
    dbroles.create_app_role(APP_ROLE)
    dbroles.grant_app_role(APP_ROLE)

    def run(sql: str, params=None):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{APP_ROLE}"')
            cursor.execute(sql, params or [])
            return cursor.fetchall() if cursor.description else None

    return run


@pytest.fixture
def history(officer, manager):
    case = factories.OpenCaseFactory(recorded_by=officer)
    with transaction.atomic():
        event = record_event(case=case, kind=EventKind.CASE_RECORDED, actor=officer, subject=case, note="v1")
    security = SecurityEvent.objects.create(kind=SecurityEventKind.SIGNED_IN, subject_id=officer.pk)
    block = factories.ProposedBlockFactory(case=case, proposed_by=officer)
    signoff = block.signoffs.get()
    return {"case": case, "event": event, "security": security, "block": block, "signoff": signoff}


TABLES = ["moderation_caseevent", "config_security_securityevent", "auditlog_logentry"]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET id = id",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
        "ALTER TABLE {table} DISABLE TRIGGER USER",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "DROP TABLE {table}",
    ],
    ids=["update", "delete", "truncate", "disable-user-triggers", "disable-all-triggers", "drop"],
)
def test_the_app_role_cannot_rewrite_the_append_only_tables(as_app_role, history, table, statement):
    before = CaseEvent.objects.count(), SecurityEvent.objects.count()
    with pytest.raises(DatabaseError):
        as_app_role(statement.format(table=table))
    assert (CaseEvent.objects.count(), SecurityEvent.objects.count()) == before
    history["event"].refresh_from_db()
    assert history["event"].note == "v1"


def test_the_app_role_still_does_its_work(as_app_role, history):
    """Reading, adding events and deciding are allowed: only rewriting history is not."""
    case = history["case"]
    [(count,)] = as_app_role("SELECT count(*) FROM moderation_caseevent WHERE case_id = %s", [case.pk])
    assert count == 1
    as_app_role(
        "INSERT INTO moderation_caseevent (case_id, kind, actor_label, at, subject_type, subject_id, note, before,"
        " after) SELECT case_id, kind, actor_label, clock_timestamp(), subject_type, subject_id, 'v2', before, after"
        " FROM moderation_caseevent WHERE id = %s",
        [history["event"].pk],
    )
    assert CaseEvent.objects.filter(case=case).count() == 2


def test_the_app_role_cannot_back_date_an_event(as_app_role, history):
    with pytest.raises(IntegrityError, match="is not now"):
        as_app_role(
            "INSERT INTO moderation_caseevent (case_id, kind, actor_label, at, subject_type, subject_id, note, before,"
            " after) SELECT case_id, kind, actor_label, clock_timestamp() - interval '30 days', subject_type,"
            " subject_id, 'forged', before, after FROM moderation_caseevent WHERE id = %s",
            [history["event"].pk],
        )
    assert not CaseEvent.objects.filter(note="forged").exists()


def test_the_app_role_cannot_back_date_a_decision(as_app_role, history, manager):
    signoff = history["signoff"]
    with pytest.raises(IntegrityError, match="is not now"):
        as_app_role(
            "UPDATE escalation_signoff SET status = 'approved', decided_by_id = %s, "
            "decided_at = clock_timestamp() - interval '2 days' WHERE id = %s",
            [manager.pk, signoff.pk],
        )
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.PENDING


def test_the_security_log_keeps_the_databases_time_whatever_is_sent(as_app_role):
    [(at,)] = as_app_role(
        "INSERT INTO config_security_securityevent (at, kind, actor_label, subject_label, detail) "
        "VALUES (now() - interval '1 year', 'signed_in', '', '', '{}') RETURNING at"
    )
    from django.utils import timezone

    assert abs((at - timezone.now()).total_seconds()) < 60


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("decided_at", "clock_timestamp()"),
        ("decided_by_id", "{other}"),
        ("status", "'refused'"),
        ("reason", "'rewritten'"),
    ],
)
def test_a_decision_once_recorded_cannot_change(history, manager, other_manager, column, value):
    """Frozen for every writer, the owner included."""
    signoff = history["signoff"]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE escalation_signoff SET status = 'approved', decided_by_id = %s, decided_at = clock_timestamp() "
            "WHERE id = %s",
            [manager.pk, signoff.pk],
        )
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE escalation_signoff SET {column} = {value.format(other=other_manager.pk)} WHERE id = %s",  # noqa: S608
            [signoff.pk],
        )
    signoff.refresh_from_db()
    assert (signoff.status, signoff.decided_by) == (SignOffStatus.APPROVED, manager)


@pytest.fixture
def decided(officer, manager, md):
    """One of each decision, recorded (as the services would, by the owner): a decided sign-off, the
    block it started, a decided appeal and a sent warning."""
    block = factories.ProposedBlockFactory(proposed_by=officer, case=factories.OpenCaseFactory(recorded_by=officer))
    signoff = block.signoffs.get()
    SignOff.objects.filter(pk=signoff.pk).update(
        status=SignOffStatus.APPROVED, decided_by=manager, decided_at=clock.now()
    )
    Block.objects.filter(pk=block.pk).update(
        status=BlockStatus.ACTIVE, started_at=clock.now(), appeal_opens_at=clock.now() + timedelta(days=365)
    )
    appeal = factories.UnderReviewAppealFactory()
    Appeal.objects.filter(pk=appeal.pk).update(
        status=AppealStatus.UPHELD, decided_by=md, decided_at=clock.now(), decision_reason="Kept."
    )
    warning = factories.SentWarningFactory()
    return {"signoff": signoff, "block": block, "appeal": appeal, "warning": warning}


DECISION_TABLES = {
    "signoff": ("escalation_signoff", SignOff),
    "block": ("escalation_block", Block),
    "appeal": ("escalation_appeal", Appeal),
    "warning": ("escalation_warning", Warning),
}


class TestDecisionsAreKept:
    """A decision cannot be deleted and inserted again with another outcome, date or decider."""

    @pytest.mark.parametrize("kind", DECISION_TABLES)
    def test_the_app_role_cannot_delete_a_decision(self, as_app_role, decided, kind):
        table, model = DECISION_TABLES[kind]
        row = decided[kind]
        with pytest.raises(IntegrityError, match="is a recorded decision and cannot be deleted"):
            as_app_role(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
        assert model.objects.filter(pk=row.pk).exists()

    def test_the_audits_attempt_deleting_the_signoff_then_the_block_is_refused(self, as_app_role, decided):
        block = decided["block"]
        with pytest.raises(IntegrityError, match="escalation_signoff.id = .* cannot be deleted"):
            as_app_role(
                "DELETE FROM escalation_signoff WHERE block_id = %s; DELETE FROM escalation_block WHERE id = %s",
                [block.pk, block.pk],
            )
        assert SignOff.objects.filter(block=block, status=SignOffStatus.APPROVED).exists()
        assert Block.objects.filter(pk=block.pk, status=BlockStatus.ACTIVE).exists()

    def test_the_owner_cannot_delete_a_decision_either(self, decided):
        with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
            Warning.objects.filter(pk=decided["warning"].pk).delete()
        assert Warning.objects.filter(pk=decided["warning"].pk).exists()

    def test_what_is_not_yet_decided_stays_deletable(self, as_app_role):
        """Kept on purpose: a draft warning is no decision (no service deletes one today)."""
        draft = factories.DraftWarningFactory()
        as_app_role("DELETE FROM escalation_warning WHERE id = %s", [draft.pk])
        assert not Warning.objects.filter(pk=draft.pk).exists()


FROZEN = [
    pytest.param("block", "started_at = clock_timestamp()", id="block-started_at"),
    pytest.param("block", "proposed_by_id = {other}", id="block-proposed_by"),
    pytest.param("block", "kind = 'immediate'", id="block-kind"),
    pytest.param("appeal", "decided_at = clock_timestamp()", id="appeal-decided_at"),
    pytest.param("appeal", "decided_by_id = {other}", id="appeal-decided_by"),
    pytest.param("appeal", "status = 'overturned'", id="appeal-status"),
    pytest.param("appeal", "decision_reason = 'rewritten'", id="appeal-reason"),
    pytest.param("warning", "sent_at = clock_timestamp()", id="warning-sent_at"),
    pytest.param("warning", "sent_by_id = {other}", id="warning-sent_by"),
    pytest.param("warning", "text = 'rewritten'", id="warning-text"),
]


@pytest.mark.parametrize(("kind", "assignment"), FROZEN)
def test_the_app_role_cannot_change_a_recorded_decision(as_app_role, decided, other_manager, kind, assignment):
    table, model = DECISION_TABLES[kind]
    row = decided[kind]
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(IntegrityError, match="is recorded and cannot change"):
        as_app_role(f"UPDATE {table} SET {assignment.format(other=other_manager.pk)} WHERE id = %s", [row.pk])  # noqa: S608
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_the_app_role_cannot_change_a_blocks_acknowledgement_or_lifting(as_app_role, decided, md, other_manager):
    block = decided["block"]
    as_app_role(
        "UPDATE escalation_block SET md_acknowledged_by_id = %s, md_acknowledged_at = clock_timestamp(), "
        "status = 'lifted', lifted_at = clock_timestamp(), lifted_reason = 'Appeal upheld.' WHERE id = %s",
        [md.pk, block.pk],
    )
    for assignment in (
        "md_acknowledged_by_id = {other}",
        "md_acknowledged_at = clock_timestamp()",
        "lifted_reason = ''",
    ):
        with pytest.raises(IntegrityError, match="is recorded and cannot change"):
            as_app_role(
                f"UPDATE escalation_block SET {assignment.format(other=other_manager.pk)} WHERE id = %s",  # noqa: S608
                [block.pk],
            )
    block.refresh_from_db()
    assert (block.md_acknowledged_by, block.lifted_reason) == (md, "Appeal upheld.")


@pytest.fixture
def undecided(officer):
    """One of each, not yet decided: a proposed block, an appeal under review, a warning signed off."""
    block = factories.ProposedBlockFactory(proposed_by=officer, case=factories.OpenCaseFactory(recorded_by=officer))
    appeal = factories.UnderReviewAppealFactory()
    warning = factories.ApprovedWarningFactory()
    return {"block": block, "appeal": appeal, "warning": warning}


BACK_DATED = [
    pytest.param(
        "block",
        "status = 'active', started_at = clock_timestamp() - interval '2 days', "
        "appeal_opens_at = clock_timestamp() + interval '1 year'",
        "started_at",
        id="block-started",
    ),
    pytest.param("block", "proposed_at = clock_timestamp() - interval '2 days'", "proposed_at", id="block-proposed"),
    pytest.param(
        "appeal",
        "status = 'upheld', decided_by_id = {md}, decided_at = clock_timestamp() - interval '2 days', "
        "decision_reason = 'Kept.'",
        "decided_at",
        id="appeal-decided",
    ),
    pytest.param(
        "warning",
        "status = 'sent', sent_by_id = {md}, sent_at = clock_timestamp() - interval '2 days'",
        "sent_at",
        id="warning-sent",
    ),
]


@pytest.mark.parametrize(("kind", "assignment", "column"), BACK_DATED)
def test_the_app_role_cannot_back_date_a_block_appeal_or_warning(as_app_role, undecided, md, kind, assignment, column):
    table, model = DECISION_TABLES[kind]
    row = undecided[kind]
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(IntegrityError, match=rf"{table}\.{column} = .* is not now"):
        as_app_role(f"UPDATE {table} SET {assignment.format(md=md.pk)} WHERE id = %s", [row.pk])  # noqa: S608
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_the_app_role_can_still_decide_now(as_app_role, undecided, md):
    """The same decisions stamped with the database's time are stored: only the forged date is refused."""
    block, appeal = undecided["block"], undecided["appeal"]
    as_app_role(
        "UPDATE escalation_block SET status = 'active', started_at = clock_timestamp(), "
        "appeal_opens_at = clock_timestamp() + interval '1 year' WHERE id = %s",
        [block.pk],
    )
    as_app_role(
        "UPDATE escalation_appeal SET status = 'upheld', decided_by_id = %s, decided_at = clock_timestamp(), "
        "decision_reason = 'Kept.' WHERE id = %s",
        [md.pk, appeal.pk],
    )
    block.refresh_from_db()
    appeal.refresh_from_db()
    assert (block.status, appeal.status) == (BlockStatus.ACTIVE, AppealStatus.UPHELD)


class TestSeparationOfDuties:
    def test_whoever_drafted_a_warning_cannot_sign_it_off(self, officer):
        warning = factories.AwaitingSignoffWarningFactory(drafted_by=officer)
        signoff = warning.signoffs.get()
        # sent for sign-off by someone else, so only the new rule (not requester ≠ decider) can refuse it
        type(signoff).objects.filter(pk=signoff.pk).update(requested_by=factories.OfficerFactory(username="asker"))
        with pytest.raises(IntegrityError, match="signoff_decider_is_not_author"), transaction.atomic():
            type(signoff).objects.filter(pk=signoff.pk).update(
                status=SignOffStatus.APPROVED, decided_by=officer, decided_at=clock.now()
            )

    def test_whoever_proposed_a_block_cannot_acknowledge_it(self, history):
        block = history["block"]
        with pytest.raises(IntegrityError, match="block_acknowledger_is_not_proposer"), transaction.atomic():
            type(block).objects.filter(pk=block.pk).update(
                md_acknowledged_by=block.proposed_by, md_acknowledged_at=clock.now()
            )

    def test_whoever_approved_a_block_cannot_acknowledge_it(self, history, manager):
        block, signoff = history["block"], history["signoff"]
        type(signoff).objects.filter(pk=signoff.pk).update(
            status=SignOffStatus.APPROVED, decided_by=manager, decided_at=clock.now()
        )
        type(block).objects.filter(pk=block.pk).update(
            status="active", started_at=clock.now(), appeal_opens_at=clock.now() + timedelta(days=365)
        )
        with pytest.raises(IntegrityError, match="block_acknowledger_is_not_approver"), transaction.atomic():
            type(block).objects.filter(pk=block.pk).update(md_acknowledged_by=manager, md_acknowledged_at=clock.now())


def test_the_app_role_may_only_unlink_a_deleted_persons_change_history(as_app_role, officer):
    """Deleting an account empties ``actor_id`` on its change history entries (django-auditlog's
    SET_NULL): the one update the application's role may make there, and only that column."""
    from auditlog.models import LogEntry

    rule = factories.rule("spam")
    rule.position = 11
    rule.save()
    entry = LogEntry.objects.filter(object_pk=str(rule.pk)).latest("id")
    LogEntry.objects.filter(pk=entry.pk).update(actor_id=None)  # nothing to unlink: allowed, no change
    with pytest.raises(DatabaseError):
        as_app_role("UPDATE auditlog_logentry SET object_repr = 'forged' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError):  # the column privilege refuses it before the trigger does
        as_app_role("UPDATE auditlog_logentry SET actor_id = NULL, object_repr = 'x' WHERE id = %s", [entry.pk])
    as_app_role("UPDATE auditlog_logentry SET actor_id = NULL WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.object_repr != "forged"
