"""The reports' tally (issue 14, ``escalation.models.ReportTally``, and each case's clock, ``ReportCase``)
gives exactly the figures counted live from the tables: over random posts, cases and timeline events,
across the clocks changing, with posts moved and deleted, cases moved to another channel and hour,
before and after the beat task compacts it, and after it is counted afresh."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.models import ReportCase, ReportTally
from escalation.reports import ReportFilters, build_report, tallied, tally_compact, tally_rebuild
from escalation.tasks import compact_report_tally
from moderation.constants import EventKind
from moderation.models import CaseEvent, Post
from tests import factories

# September 2026 to April 2027: the clocks go back on 25 October and forward on 28 March
ORIGIN = datetime(2026, 9, 1, tzinfo=UTC)
SPAN_MINUTES = 240 * 24 * 60
NOW = datetime(2027, 5, 1, 9, 0, tzinfo=UTC)
KINDS = [
    EventKind.CASE_RECORDED,
    EventKind.POST_HIDDEN,
    EventKind.POST_DELETED,
    EventKind.WARNING_DRAFTED,
    EventKind.WARNING_SENT,
    EventKind.BLOCK_APPROVED,
    EventKind.BLOCK_IMMEDIATE,
    EventKind.CHANNEL_BAN,
    EventKind.POLICE_REPORTED,
    EventKind.APPEAL_RECEIVED,
    EventKind.APPEAL_PREMATURE,
    EventKind.APPEAL_UPHELD,
    EventKind.APPEAL_OVERTURNED,
    EventKind.CASE_CLOSED,
]
_ids = itertools.count()

moments = st.integers(min_value=0, max_value=SPAN_MINUTES)
channel_numbers = st.integers(min_value=0, max_value=2)


def minute(n: int) -> datetime:
    return ORIGIN + timedelta(minutes=n)


@pytest.fixture
def world(db, officer):
    channels = [factories.ChannelFactory(name=f"Channel {n}") for n in range(3)]
    return {"channels": channels, "account": factories.SocialAccountFactory(), "officer": officer}


def figures_both_ways(filters: ReportFilters) -> tuple[tuple, tuple]:
    def shown(report):
        return report.figures(), [vars(month) for month in report.trend]

    return shown(build_report(filters, now=NOW)), shown(build_report(filters, now=NOW, live=True))


def edges(filters: ReportFilters) -> list[int]:
    """The range's and the trend's bounds, in minutes from ORIGIN: where an hour too many or too few shows."""
    from dateutil.relativedelta import relativedelta

    from escalation.reports import TREND_MONTHS, local_midnight

    last_month = filters.end.replace(day=1)
    instants = [
        *filters.bounds(),
        local_midnight(last_month - relativedelta(months=TREND_MONTHS - 1)),
        local_midnight(last_month + relativedelta(months=1)),
    ]
    return [int((instant - ORIGIN).total_seconds() // 60) for instant in instants]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    start=st.integers(min_value=0, max_value=240),
    length=st.integers(min_value=0, max_value=300),
    channel=st.one_of(st.none(), channel_numbers),
    deleted=st.integers(min_value=0, max_value=3),
    case_moved=st.booleans(),
    compact=st.booleans(),
)
def test_the_tally_gives_the_live_figures(world, data, start, length, channel, deleted, case_moved, compact):
    channels, account = world["channels"], world["account"]
    first = date(2026, 9, 1) + timedelta(days=start)
    filters = ReportFilters(
        start=first, end=first + timedelta(days=length), channel=channels[channel] if channel is not None else None
    )
    # any minute of the eight months, or one within 90 minutes of a bound
    near = st.builds(lambda edge, off: edge + off, st.sampled_from(edges(filters)), st.integers(-90, 90))
    when = st.one_of(moments, near)
    posts = data.draw(st.lists(st.tuples(channel_numbers, when), max_size=25))
    cases = data.draw(
        st.lists(
            st.tuples(channel_numbers, when, st.lists(st.tuples(st.sampled_from(KINDS), when), max_size=6)), max_size=5
        )
    )
    moved = data.draw(st.lists(st.tuples(channel_numbers, when), max_size=3))
    # many posts in one statement (the ingest API's way), as the triggers see them
    made = Post.objects.bulk_create(
        Post(
            channel=channels[c],
            account=account,
            external_id=f"t{next(_ids)}",
            text="text",
            posted_at=minute(m),
            created_at=minute(m),
        )
        for c, m in posts
    )
    for c, m, events in cases:
        case = factories.OpenCaseFactory(
            channel=channels[c], account=account, recorded_by=world["officer"], recorded_at=minute(m), posts=[]
        )
        # the timeline in two statements (actions taken one after another)
        split = data.draw(st.integers(0, len(events)))
        for part in (events[:split], events[split:]):
            CaseEvent.objects.bulk_create(
                CaseEvent(
                    case=case, kind=kind, actor_label="test", at=minute(e), subject_type="case", subject_id=case.pk
                )
                for kind, e in part
            )
    # a post's time or channel changed, one by one (the row trigger)
    for post, (c, m) in zip(made, moved, strict=False):
        post.channel, post.created_at = channels[c], minute(m)
        post.save(update_fields=["channel", "created_at"])
    # posts deleted in one statement
    Post.objects.filter(pk__in=[post.pk for post in made[-deleted:]] if deleted else []).delete()
    if case_moved and cases:  # another channel, and its clock moved (the row triggers)
        last = factories.OpenCaseFactory._meta.model.objects.latest("pk")
        last.channel = channels[(channels.index(last.channel) + 1) % 3]
        last.recorded_at = minute(data.draw(when))
        last.response_due_at = last.recorded_at + timedelta(hours=data.draw(st.integers(1, 200)))
        last.save(update_fields=["channel", "recorded_at", "response_due_at"])
    if compact:
        tally_compact()

    assert tallied(filters)
    tally, live = figures_both_ways(filters)
    assert tally == live


def test_compacting_leaves_one_row_an_hour_and_channel_and_the_same_sums(world):
    channels, account = world["channels"], world["account"]
    for n in range(12):  # twelve statements, two for each of three hours on two channels
        Post.objects.bulk_create(
            Post(
                channel=channels[n % 2],
                account=account,
                external_id=f"c{n}-{k}",
                posted_at=minute(60 * (n % 3)),
                created_at=minute(60 * (n % 3) + k),
            )
            for k in range(3)
        )
    Post.objects.filter(external_id="c0-0").delete()

    def sums():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT hour, channel_id, sum(posts_in) FROM escalation_reporttally GROUP BY 1, 2 ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = sums()
    assert ReportTally.objects.count() == 13  # twelve inserts and a delete
    assert compact_report_tally() == 13  # the beat task
    assert sums() == before
    assert ReportTally.objects.count() == len(before) == 6
    assert tally_compact() == 0  # nothing left to sum: a second run changes nothing
    assert sums() == before


def test_counting_afresh_gives_what_the_triggers_kept(world):  # the tally and each case's clock
    channels, account = world["channels"], world["account"]
    Post.objects.bulk_create(
        Post(
            channel=channels[n % 3],
            account=account,
            external_id=f"r{n}",
            posted_at=minute(n * 97),
            created_at=minute(n * 97),
        )
        for n in range(40)
    )
    case = factories.OpenCaseFactory(channel=channels[1], account=account, recorded_at=minute(500), posts=[])
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind=kind, actor_label="test", at=minute(600 + n), subject_type="case", subject_id=case.pk)
        for n, kind in enumerate(KINDS)
    )
    tally_compact()
    kept = sorted(ReportTally.objects.values_list("hour", "channel_id", *ReportTally.COUNTS))
    clocks = list(ReportCase.objects.values_list())
    assert clocks == [(case.pk, channels[1].pk, minute(500), case.response_due_at, minute(601))]  # post hidden
    tally_rebuild()
    assert sorted(ReportTally.objects.values_list("hour", "channel_id", *ReportTally.COUNTS)) == kept
    assert list(ReportCase.objects.values_list()) == clocks


def test_filters_the_tally_does_not_hold_are_counted_live(world):
    rule = factories.rule("abusive")
    assert not tallied(ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30), rule=rule))
    assert tallied(ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30), channel=world["channels"][0]))


def test_the_triggers_count_the_kinds_the_reports_count():
    """The triggers' SQL names the kinds as of their migrations: a kind added to the reports (or to the
    first-response rule) needs a migration that redefines them."""
    import importlib

    from escalation.reports import ACTION_KINDS
    from moderation.constants import FIRST_RESPONSE_EVENTS

    tally = importlib.import_module("escalation.migrations.0015_report_tally")
    clocks = importlib.import_module("escalation.migrations.0017_report_case_clock")
    assert {key: set(kinds) for key, kinds in tally.EVENT_COUNTS.items()} == {
        key: {str(kind) for kind in kinds} for key, kinds in ACTION_KINDS.items()
    }
    assert clocks.FIRST_RESPONSE_KINDS == ", ".join(f"'{kind}'" for kind in FIRST_RESPONSE_EVENTS)


def test_the_applications_role_keeps_and_compacts_the_tally(world):
    """The triggers run as whoever writes: the application's role (which owns nothing) may write the
    tally's rows and each case's clock, and the beat task may compact them."""
    from django.db import transaction

    from config import dbroles

    role = "moderation_test_app"
    dbroles.create_app_role(role)
    dbroles.grant_app_role(role)
    case = factories.OpenCaseFactory(channel=world["channels"][0], account=world["account"], posts=[])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        for n in range(2):
            cursor.execute(
                "INSERT INTO moderation_post (channel_id, account_id, external_id, url, text, kind, posted_at,"
                " visibility, in_reply_to, created_at) VALUES (%s, %s, %s, '', '', 'comment', %s, 'visible', '', %s)",
                [world["channels"][0].pk, world["account"].pk, f"app{n}", minute(0), minute(n)],
            )
        cursor.execute(
            "INSERT INTO moderation_caseevent (case_id, kind, actor_label, at, subject_type, subject_id, note, before,"
            " after) VALUES (%s, 'post_hidden', 'app', clock_timestamp(), 'case', %s, '', '{}', '{}')",
            [case.pk, case.pk],
        )
        cursor.execute("SELECT report_tally_compact()")
    assert ReportTally.objects.filter(hour=minute(0), channel_id=world["channels"][0].pk).get().posts_in == 2
    assert ReportCase.objects.get(case_id=case.pk).first_action_at is not None
