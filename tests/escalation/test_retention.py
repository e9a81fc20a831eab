"""The retention purge (issue 14): the clock moves over each boundary of the policy's periods and
each run is checked row by row and file by file; a second run changes nothing; a legal hold stops it;
its statement count does not grow with the rows it redacts; the admin reads its runs, never edits them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import retention, tasks
from escalation.constants import AppealStatus, BlockStatus
from escalation.models import Appeal, Block, RetentionRun
from moderation import clock, flags, holds
from moderation.constants import CaseOutcome, CaseStatus, EventKind, FlagKind
from moderation.models import Case, CaseEvent, Evidence, Flag, FlagRule, Post, PostTextRevision
from tests import factories

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)  # every case below closes at T0
TEXT = "You lot are useless idiots."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def closed_case(*, account=None, officer, at=T0, text=TEXT):
    with clock.travel_to(at - timedelta(days=3)):
        case = factories.OpenCaseFactory(
            recorded_by=officer, **({"account": account} if account else {}), posts=[], reported_by="A neighbour"
        )
        post = factories.PostFactory(case=case, channel=case.channel, account=case.account, text=text)
    PostTextRevision.objects.create(post=post, text=text + " (first version)", kind="replaced")
    Evidence.objects.create(
        case=case, file=ContentFile(PNG, name=f"shot-{case.pk}.png"), added_by=officer, description="Screenshot"
    )
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, outcome=CaseOutcome.NO_ACTION, closed_at=at)
    return case


def post_of(case) -> Post:
    return Post.objects.get(case=case)


def file_of(case) -> str:
    return Evidence.objects.get(case=case).file.name


@pytest.fixture
def world(db, officer, manager):
    """At T0: closed cases (plain, blocked then lifted a month later, on hold, of a held account), an
    open case, and a post in no case."""
    rule = FlagRule.objects.create(
        name="Insults", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=factories.rule("abusive")
    )
    plain = closed_case(officer=officer)
    Flag.objects.create(post=post_of(plain), rule=rule, reason="matched ‘idiots’")
    blocked = closed_case(officer=officer)
    with clock.travel_to(T0 - timedelta(days=2)):
        block = factories.ActiveBlockFactory(case=blocked, proposed_by=officer, started_at=T0 - timedelta(days=2))
    Block.objects.filter(pk=block.pk).update(
        status=BlockStatus.LIFTED, lifted_at=T0 + relativedelta(months=1), lifted_reason="Appeal overturned"
    )
    appeal = Appeal.objects.create(
        block=block, status=AppealStatus.PREMATURE, received_at=T0, recorded_by=officer,
        window_opens_at=block.appeal_opens_at, grounds="I was only joking, my name is Sam Smith.",
    )  # fmt: skip
    held = closed_case(officer=officer)
    held_account = factories.SocialAccountFactory()
    of_held_account = closed_case(officer=officer, account=held_account)
    with clock.travel_to(T0):
        holds.case_legal_hold_place(actor=manager, case=held, reason="Claim K00XX123")
        holds.account_legal_hold_place(actor=manager, account=held_account, reason="Police investigation")
        open_case = factories.OpenCaseFactory(recorded_by=officer)
        Evidence.objects.create(case=open_case, file=ContentFile(PNG, name="open.png"), added_by=officer)
        uncased = factories.PostFactory(text="Bin day is Tuesday, call me on 07700 900123")
    return {
        "plain": plain, "blocked": blocked, "appeal": appeal, "held": held, "held_account": held_account,
        "of_held_account": of_held_account, "open": open_case, "uncased": uncased,
        "files": {name: file_of(case) for name, case in
                  (("plain", plain), ("blocked", blocked), ("held", held), ("of_held_account", of_held_account),
                   ("open", open_case))},
    }  # fmt: skip


def purge_at(moment) -> RetentionRun:
    with clock.travel_to(moment):
        return retention.retention_purge()


def texts(world) -> dict[str, str]:
    return {name: post_of(world[name]).text for name in ("plain", "blocked", "held", "of_held_account", "open")} | {
        "uncased": Post.objects.get(pk=world["uncased"].pk).text
    }


def stored_files(world) -> set[str]:
    return {name for name, path in world["files"].items() if default_storage.exists(path)}


def counts(run) -> dict[str, int]:
    return {
        k: getattr(run, k)
        for k in ("evidence_files", "post_texts", "blocked_post_texts", "uncased_post_texts", "appeals")
        if getattr(run, k)
    }


class TestTheClockMovesOverEachBoundary:
    def test_what_remains_after_each_run(self, world):
        everything = {"plain", "blocked", "held", "of_held_account", "open"}
        gone = flags.RETENTION_TEXT

        # a day before 12 months: nothing is due
        run = purge_at(T0 + relativedelta(months=12) - timedelta(days=1))
        assert counts(run) == {}
        assert set(texts(world).values()) == {TEXT, world["uncased"].text}
        assert stored_files(world) == everything

        # 12 months after closing: the plain case's post text (and its earlier version, and the flag's quote)
        # and the post in no case go; the blocked case, the held case and the held account's case stay
        run = purge_at(T0 + relativedelta(months=12) + timedelta(days=1))
        assert counts(run) == {"post_texts": 1, "uncased_post_texts": 1}
        assert texts(world) == {
            "plain": gone, "blocked": TEXT, "held": TEXT, "of_held_account": TEXT, "open": TEXT, "uncased": gone,
        }  # fmt: skip
        assert list(PostTextRevision.objects.filter(post__case=world["plain"]).values_list("text", flat=True)) == [gone]
        assert PostTextRevision.objects.get(post__case=world["blocked"]).text == TEXT + " (first version)"
        assert Flag.objects.get().reason == "matched a listed word (quote redacted)"
        assert stored_files(world) == everything

        # the day before 24 months: the files are all still there
        assert counts(purge_at(T0 + relativedelta(months=24) - timedelta(days=1))) == {}
        assert stored_files(world) == everything

        # 24 months after closing: the evidence files of the closed, unheld cases go (the row stays, emptied)
        run = purge_at(T0 + relativedelta(months=24) + timedelta(days=1))
        assert counts(run) == {"evidence_files": 2}
        assert stored_files(world) == {"held", "of_held_account", "open"}
        for name in ("plain", "blocked"):
            evidence = Evidence.objects.get(case=world[name])
            assert (evidence.file.name, evidence.url, evidence.description) == ("", "", "")
            assert evidence.redacted_at is not None

        # the block was lifted a month after T0: six years after that, the blocked case's text and the
        # appeal's grounds go; the block, the appeal and their dates stay
        lifted = T0 + relativedelta(months=1)
        assert counts(purge_at(lifted + relativedelta(years=6) - timedelta(days=1))) == {}
        run = purge_at(lifted + relativedelta(years=6) + timedelta(days=1))
        assert counts(run) == {"blocked_post_texts": 1, "appeals": 1}
        assert texts(world)["blocked"] == gone
        appeal = Appeal.objects.get()
        assert appeal.grounds == gone
        assert (appeal.status, appeal.received_at) == (AppealStatus.PREMATURE, T0)
        block = Block.objects.get()
        assert (block.status, block.lifted_at) == (BlockStatus.LIFTED, lifted)

        # the holds kept everything of theirs all along
        assert texts(world)["held"] == texts(world)["of_held_account"] == TEXT
        assert stored_files(world) == {"held", "of_held_account", "open"}
        # the decision record stays: every case, its rules and outcome
        assert Case.objects.filter(status=CaseStatus.CLOSED).count() == 4
        assert all(case.rules.exists() for case in Case.objects.all())

    def test_a_lifted_hold_lets_the_next_run_remove_what_is_due(self, world, manager):
        later = T0 + relativedelta(months=30)
        purge_at(later)
        assert texts(world)["held"] == TEXT
        with clock.travel_to(later):
            holds.case_legal_hold_lift(actor=manager, case=world["held"], reason="Claim settled")
        run = purge_at(later + timedelta(days=1))
        assert counts(run) == {"evidence_files": 1, "post_texts": 1}
        assert texts(world)["held"] == flags.RETENTION_TEXT
        assert "held" not in stored_files(world)

    def test_one_event_per_record_touched_saying_what_never_the_data(self, world):
        run = purge_at(T0 + relativedelta(years=8))
        events = CaseEvent.objects.filter(kind=EventKind.RETENTION_REDACTED)
        # two posts in cases (the post in no case has no timeline), two evidence items, one appeal
        assert run.total == 6
        assert events.count() == 5
        assert sorted(events.values_list("subject_type", flat=True)) == [
            "appeal",
            "evidence",
            "evidence",
            "post",
            "post",
        ]
        assert {e.actor_id for e in events} == {None}
        for event in events:
            assert TEXT not in str(event.after) + event.note
            assert "Sam Smith" not in str(event.after) + event.note


class TestIdempotent:
    def test_a_second_run_changes_nothing(self, world):
        moment = T0 + relativedelta(years=8)
        first = purge_at(moment)
        assert first.total == 6
        before = (
            list(Post.objects.order_by("pk").values_list("text", "redacted_at")),
            list(Evidence.objects.order_by("pk").values_list("file", "redacted_at")),
            CaseEvent.objects.count(),
        )
        second = purge_at(moment + timedelta(days=1))
        assert second.total == 0
        assert (
            list(Post.objects.order_by("pk").values_list("text", "redacted_at")),
            list(Evidence.objects.order_by("pk").values_list("file", "redacted_at")),
            CaseEvent.objects.count(),
        ) == before
        assert RetentionRun.objects.count() == 2

    def test_the_beat_task_runs_it(self, world):
        with clock.travel_to(T0 + relativedelta(years=8)):
            result = tasks.purge_retention.delay().get()
        assert result["total"] == 6
        assert RetentionRun.objects.get().finished_at is not None


class TestStatementBudget:
    @pytest.mark.parametrize("count", [2, 20])
    def test_the_statement_count_does_not_grow_with_the_rows(self, count, officer):
        for _ in range(count):
            closed_case(officer=officer)
        with clock.travel_to(T0):
            factories.PostFactory.create_batch(count)
        with clock.travel_to(T0 + relativedelta(months=30)), CaptureQueriesContext(connection) as queries:
            run = retention.retention_purge()
        assert (run.evidence_files, run.post_texts, run.uncased_post_texts) == (count, count, count)
        # nine statements: the run's row; evidence: select, then one update writing its events; one statement
        # for each kind of post and for appeals (update, earlier versions, flags, events); the counts and
        # re-reading the run. Fourteen more are the seven transactions' savepoints (tests run in one).
        assert len(queries) <= 23, [q["sql"][:80] for q in queries]

    def test_chunks_are_bounded(self, officer):
        for _ in range(5):
            closed_case(officer=officer)
        with clock.travel_to(T0 + relativedelta(months=30)):
            run = retention.retention_purge(chunk=2)
        assert (run.evidence_files, run.post_texts) == (5, 5)


class TestTheAdminReadsRunsOnly:
    def test_read_only_for_staff(self, client, manager):
        run = purge_at(T0)
        manager.is_staff = True
        manager.save(update_fields=["is_staff"])
        client.force_login(manager)
        assert client.get(reverse("admin:escalation_retentionrun_changelist")).status_code == 200
        page = client.get(reverse("admin:escalation_retentionrun_change", args=[run.pk]))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert client.get(reverse("admin:escalation_retentionrun_add")).status_code == 403
        assert client.post(reverse("admin:escalation_retentionrun_delete", args=[run.pk])).status_code == 403
        assert RetentionRun.objects.count() == 1

    def test_an_officer_without_admin_access_cannot_read_runs(self, client, officer):
        purge_at(T0)
        client.force_login(officer)
        response = client.get(reverse("admin:escalation_retentionrun_changelist"))
        assert response.status_code == 302  # the admin's sign-in: an officer is not staff
