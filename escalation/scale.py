"""A dataset the size of a government department's, built set-based (issue 13's benchmark).

``build(Scale.full())`` writes about 1,000,000 posts, 200,000 accounts, 100,000 cases (5,000 open),
their posts, rules, warnings, sign-offs, blocks, appeals and timeline events in a dozen
``INSERT … SELECT generate_series`` statements: minutes, not hours. ``Scale.short()`` is the same
shape at 5 % (about 50,000 posts); CI builds it to hold the query budgets.

The rows are what the services would have written: each case has its posts, rules and timeline; a
sent warning has its approved sign-off; a standard block its approved (or refused) sign-off, the
head's notice and acknowledgement; an appeal is premature, upheld or overturned with the block
lifted. The histories are in the past, so the loader runs with ``session_replication_role =
replica``: the triggers that refuse back-dated rows (rightly, for the application) are not fired.
That needs a superuser, which the benchmark's own database has; the application's role never does.

Only for an empty database of its own: ids are given explicitly, from 1.
"""

# ruff: noqa: S608, E501 - constant SQL (table names from TABLES, values as parameters), laid out as SQL

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction

from escalation import routing
from moderation import clock
from moderation.constants import Platform
from moderation.models import Channel, HouseRule, ServiceArea
from policy import services as policy

# How the closed cases end (by case id modulo 20): 0-3 nothing more, 4-7 post removed, 8-11 warned
# (10-11 with a block refused after the warning), 12-19 blocked (12-17 a standard block after a
# warning, 18 an immediate block, 19 a channel ban). Among blocks, (id / 20) % 10 = 0 is lifted on an
# overturned appeal, 1 had an upheld appeal, 2 a premature one. Open cases (the newest) by id % 10:
# 6-7 a warning waiting for sign-off, 8 a block waiting for sign-off, 9 a draft warning.
HEAVY_ACCOUNTS = 10  # cases with id % 40 = 1 belong to ten accounts: each has hundreds of cases
YEARS = 3  # the cases are spread over the last three years

TEXTS = (
    "You lot are useless, sort the bins out",
    "Absolute disgrace, the council tax goes up again",
    "Planning committee are corrupt idiots",
    "I know where you live",
    "Great work on the park today",
    "When is the next recycling collection",
    "Shut up and do your job",
    "The leisure centre pool is closed again",
    "Vote them all out at the election",
    "Stop wasting our money on consultants",
    "This road has had a pothole for months",
    "Thank you to the refuse team",
    "Rubbish service as usual",
)


@dataclass(frozen=True)
class Scale:
    posts: int
    accounts: int
    cases: int
    open_cases: int
    # the rows are spread over the last ``YEARS`` years to now, or (``month``) over the last whole
    # calendar month: a department receiving ``posts`` posts in that one month (issue 14's reports)
    month: bool = False

    @classmethod
    def full(cls) -> Scale:
        return cls(posts=1_000_000, accounts=200_000, cases=100_000, open_cases=5_000)

    @classmethod
    def short(cls) -> Scale:
        return cls(posts=50_000, accounts=10_000, cases=5_000, open_cases=250)

    @classmethod
    def one_month(cls, posts: int = 1_000_000) -> Scale:
        """``posts`` posts in the last whole month, with cases, accounts and events in the full build's
        proportions (one case in ten posts, five per cent of them still open)."""
        return cls(posts=posts, accounts=posts // 5, cases=posts // 10, open_cases=posts // 200, month=True)

    def span(self, now) -> tuple[datetime, float, float]:
        """The instant the rows end at, and the seconds the posts and the cases are spread over before it.
        A month's rows lie wholly in it: the last post a second before its end, the first case (recorded
        three hours before its own time) after its start."""
        if not self.month:
            return now, YEARS * 31557600.0, YEARS * 31557600.0
        zone = ZoneInfo(settings.TIME_ZONE)
        first_this = now.astimezone(zone).date().replace(day=1)
        first_last = (first_this - timedelta(days=1)).replace(day=1)
        end = datetime.combine(first_this, time(), zone).astimezone(UTC)
        start = datetime.combine(first_last, time(), zone).astimezone(UTC)
        seconds = (end - start).total_seconds()
        return end - timedelta(seconds=1), seconds - 2, seconds - 4 * 3600

    def __post_init__(self):
        if not (0 < self.open_cases < self.cases <= self.accounts and self.posts >= 2 * self.cases):
            raise ValueError("A scale needs open < cases <= accounts and at least two posts per case.")


@dataclass
class People:
    officers: list[int]
    managers: list[int]
    directors: list[int]
    head: int
    admin: int


def _people() -> People:
    User = get_user_model()

    password = make_password(BENCH_PASSWORD)

    def make(prefix: str, count: int, role: str | None) -> list[int]:
        ids = []
        for n in range(1, count + 1):
            user, _ = User.objects.get_or_create(
                username=f"{prefix}{n}",
                defaults={"first_name": prefix.title(), "last_name": str(n), "email": f"{prefix}{n}@bench.example"},
            )
            user.password = password
            user.is_staff = role != routing.SERVICE_DIRECTOR
            user.is_superuser = role is None
            user.save()
            if role:
                user.groups.add(Group.objects.get(name=role))
            ids.append(user.pk)
        return ids

    return People(
        officers=make("officer", 20, routing.OFFICER),
        managers=make("manager", 6, routing.MANAGER),
        directors=make("director", 4, routing.SERVICE_DIRECTOR),
        head=make("head", 1, routing.MANAGING_DIRECTOR)[0],
        admin=make("admin", 1, None)[0],
    )


BENCH_PASSWORD = "bench-Scale-2026"  # noqa: S105 - the benchmark's own throwaway database


def _reference(people: People) -> tuple[list[int], list[int], list[int]]:
    platforms = [Platform.FACEBOOK, Platform.X, Platform.INSTAGRAM, Platform.YOUTUBE]
    channels = []
    for n in range(12):
        platform = platforms[n % len(platforms)]
        channel, _ = Channel.objects.get_or_create(
            platform=platform, handle=f"bench_channel_{n}", defaults={"name": f"Bench channel {n}"}
        )
        channels.append(channel.pk)
    areas = []
    for n, name in enumerate(
        ("Waste", "Planning", "Leisure", "Housing", "Parking", "Council tax", "Parks", "Elections")
    ):
        area, _ = ServiceArea.objects.get_or_create(name=name)
        area.directors.add(people.directors[n % len(people.directors)])
        areas.append(area.pk)
    rules = list(HouseRule.objects.filter(is_active=True).order_by("position", "pk").values_list("pk", flat=True))
    return channels, areas, rules


def build(scale: Scale, *, stdout=None) -> dict[str, int]:
    """Fill an empty, migrated database; returns the row counts."""

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    with transaction.atomic():
        people = _people()
        channels, areas, rules = _reference(people)
        version = policy.current()
        now = clock.now()
        until, span, case_span = scale.span(now)
        params = {
            **asdict(scale),
            "now": now,
            "until": until,
            "span": span,
            "case_span": case_span,
            "heavy": HEAVY_ACCOUNTS,
            "channels": channels,
            "areas": areas,
            "rules": rules,
            "officers": people.officers,
            "managers": people.managers,
            "directors": people.directors,
            "head": people.head,
            "policy": version.pk,
            "texts": list(TEXTS),
            "misinformation": HouseRule.objects.filter(code="misinformation").values_list("pk", flat=True).first()
            or rules[0],
        }
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for name, sql in STATEMENTS:
                say(f"  {name} …")
                cursor.execute(sql, params)
            if scale.month:
                say("  flags …")
                cursor.execute(FLAGS, {**params, "flag_rule": _flag_rule(rules[0])})
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                    f"FROM {table}"
                )
    # the loader ran without triggers: the reports' tally is counted once from the tables
    from escalation.reports import tally_rebuild

    tally_rebuild()
    with connection.cursor() as cursor:
        for table in (*TABLES, "escalation_reporttally", "escalation_reportcase"):
            cursor.execute(f"ANALYZE {table}")
    return counts()


TABLES = (
    "moderation_socialaccount",
    "moderation_case",
    "moderation_case_rules",
    "moderation_post",
    "escalation_warning",
    "escalation_block",
    "escalation_signoff",
    "escalation_appeal",
    "moderation_caseevent",
    "moderation_flag",
)


def counts() -> dict[str, int]:
    found = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            found[table] = cursor.fetchone()[0]
    return found


# The case's columns, computed once per id g (1 … cases) and reused by the statements below.
_CASES = """
    WITH c AS (
        SELECT g,
               g > %(cases)s - %(open_cases)s AS open,
               g %% 20 AS ending,
               (g / 20) %% 10 AS fate,
               %(until)s - make_interval(secs => (%(cases)s - g)::float8 * %(case_span)s / %(cases)s)
                   - interval '3 hours' AS recorded_at
          FROM generate_series(1, %(cases)s) AS g
    )
"""

STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "accounts",
        """
        INSERT INTO moderation_socialaccount (id, platform, handle, display_name, platform_user_id, first_seen_at,
                                              legal_hold_reason)
        SELECT g, (ARRAY['facebook', 'x', 'instagram', 'youtube'])[1 + g %% 4], 'resident_' || g,
               'Resident ' || g, 'uid' || g, %(now)s - make_interval(days => g %% 1500), ''
          FROM generate_series(1, %(accounts)s) AS g
        """,
    ),
    (
        "cases",
        _CASES
        + """
        INSERT INTO moderation_case (id, account_id, channel_id, reason, status, outcome, priority, service_area_id,
                                     assignee_id, recorded_by_id, recorded_at, response_due_at, policy_version_id,
                                     closed_at, safeguarding_reason, reported_by, legal_hold_reason)
        SELECT g,
               CASE WHEN g %% 40 = 1 THEN 1 + (g / 40) %% %(heavy)s ELSE g END,
               (%(channels)s::bigint[])[1 + g %% cardinality(%(channels)s::bigint[])],
               'Reply to the council''s post broke the house rules (' || g || ').',
               CASE WHEN open THEN 'open' ELSE 'closed' END,
               CASE WHEN open THEN ''
                    WHEN ending < 4 THEN 'no_action'
                    WHEN ending < 8 THEN 'post_removed'
                    WHEN ending < 12 THEN 'warned'
                    WHEN ending < 19 THEN 'blocked'
                    ELSE 'banned_from_channel' END,
               CASE WHEN g %% 17 = 0 THEN 3 WHEN g %% 5 = 0 THEN 2 ELSE 1 END,
               CASE WHEN g %% 3 = 0 THEN NULL
                    ELSE (%(areas)s::bigint[])[1 + g %% cardinality(%(areas)s::bigint[])] END,
               CASE WHEN g %% 4 = 0 THEN NULL
                    ELSE (%(officers)s::bigint[])[1 + g %% cardinality(%(officers)s::bigint[])] END,
               (%(officers)s::bigint[])[1 + (g / 7) %% cardinality(%(officers)s::bigint[])],
               recorded_at,
               recorded_at + interval '1 day',
               %(policy)s,
               CASE WHEN open THEN NULL ELSE recorded_at + interval '2 days' END,
               '',
               '',
               ''
          FROM c
        """,
    ),
    (
        "case rules",
        """
        INSERT INTO moderation_case_rules (case_id, houserule_id)
        SELECT g, CASE WHEN g %% 20 = 19 THEN %(misinformation)s
                       ELSE (%(rules)s::bigint[])[1 + g %% cardinality(%(rules)s::bigint[])] END
          FROM generate_series(1, %(cases)s) AS g
        UNION ALL
        SELECT g, (%(rules)s::bigint[])[1 + (g + 3) %% cardinality(%(rules)s::bigint[])]
          FROM generate_series(1, %(cases)s) AS g
         WHERE g %% 5 = 0 AND g %% 20 <> 19
           AND (%(rules)s::bigint[])[1 + (g + 3) %% cardinality(%(rules)s::bigint[])]
               <> (%(rules)s::bigint[])[1 + g %% cardinality(%(rules)s::bigint[])]
        """,
    ),
    (
        "posts on cases",
        """
        INSERT INTO moderation_post (id, channel_id, account_id, case_id, external_id, url, text, kind, posted_at,
                                     visibility, visibility_changed_at, visibility_changed_by_id, in_reply_to,
                                     created_at)
        SELECT 2 * (c.id - 1) + k, c.channel_id, c.account_id, c.id, 'c' || c.id || '-' || k, '',
               (%(texts)s::text[])[1 + (c.id + k) %% cardinality(%(texts)s::text[])] || ' #' || c.id,
               'comment', c.recorded_at - make_interval(mins => 30 * k),
               CASE WHEN k = 1 AND c.outcome IN ('post_removed', 'blocked', 'banned_from_channel') THEN
                        CASE WHEN c.id %% 2 = 0 THEN 'deleted' ELSE 'hidden' END
                    WHEN k = 1 AND c.status = 'open' AND c.id %% 3 = 0 THEN 'hidden'
                    ELSE 'visible' END,
               CASE WHEN k = 1 AND (c.outcome IN ('post_removed', 'blocked', 'banned_from_channel')
                                    OR (c.status = 'open' AND c.id %% 3 = 0))
                    THEN c.recorded_at + interval '1 hour' END,
               CASE WHEN k = 1 AND (c.outcome IN ('post_removed', 'blocked', 'banned_from_channel')
                                    OR (c.status = 'open' AND c.id %% 3 = 0))
                    THEN c.recorded_by_id END,
               '', c.recorded_at
          FROM moderation_case c CROSS JOIN generate_series(1, 2) AS k
        """,
    ),
    (
        "other posts",
        """
        INSERT INTO moderation_post (id, channel_id, account_id, external_id, url, text, kind, posted_at,
                                     visibility, in_reply_to, created_at)
        SELECT g, (%(channels)s::bigint[])[1 + g %% cardinality(%(channels)s::bigint[])],
               1 + (g::bigint * 7919) %% %(accounts)s, 'p' || g, '',
               (%(texts)s::text[])[1 + g %% cardinality(%(texts)s::text[])] || ' '
                   || (%(texts)s::text[])[1 + (g / 13) %% cardinality(%(texts)s::text[])],
               CASE WHEN g %% 9 = 0 THEN 'reply' ELSE 'comment' END,
               %(until)s - make_interval(secs => (%(posts)s - g)::float8 * %(span)s / %(posts)s),
               'visible', '',
               %(until)s - make_interval(secs => (%(posts)s - g)::float8 * %(span)s / %(posts)s)
          FROM generate_series(2 * %(cases)s + 1, %(posts)s) AS g
        """,
    ),
    (
        "warnings",
        # one per warned or standard-blocked closed case, and per open case waiting on a warning
        _CASES
        + """
        INSERT INTO escalation_warning (id, case_id, text, status, drafted_by_id, drafted_at, sent_by_id, sent_at)
        SELECT g, g, 'Hello, your comment broke our house rules. Please read our policy.',
               CASE WHEN NOT open THEN 'sent' WHEN g %% 10 = 9 THEN 'draft' ELSE 'awaiting_signoff' END,
               (%(officers)s::bigint[])[1 + g %% cardinality(%(officers)s::bigint[])],
               recorded_at + interval '2 hours',
               CASE WHEN NOT open THEN (%(officers)s::bigint[])[1 + g %% cardinality(%(officers)s::bigint[])] END,
               CASE WHEN NOT open THEN recorded_at + interval '5 hours' END
          FROM c
         WHERE (NOT open AND ending BETWEEN 8 AND 17) OR (open AND g %% 10 IN (6, 7, 9))
        """,
    ),
    (
        "blocks",
        _CASES
        + """,
        b AS (
            SELECT g, open, ending, fate, recorded_at,
                   CASE WHEN open THEN 'awaiting_signoff'
                        WHEN ending IN (10, 11) THEN 'refused'
                        WHEN fate = 0 AND recorded_at < %(now)s - interval '14 months' THEN 'lifted'
                        ELSE 'active' END AS status,
                   CASE WHEN open THEN 'standard' WHEN ending = 18 THEN 'immediate' WHEN ending = 19 THEN 'channel_ban'
                        ELSE 'standard' END AS kind,
                   recorded_at + interval '1 day' AS started
              FROM c
             WHERE (NOT open AND ending BETWEEN 10 AND 19) OR (open AND g %% 10 = 8)
        )
        INSERT INTO escalation_block (id, account_id, case_id, kind, scope, channel_id, status, reason,
                                      proposed_by_id, proposed_at, started_at, appeal_opens_at,
                                      appeal_window_flagged_at, appeal_digest_sent_for, md_notified_at,
                                      md_acknowledged_by_id, md_acknowledged_at, lifted_at, lifted_reason)
        SELECT b.g, k.account_id, b.g, b.kind,
               CASE WHEN b.kind = 'channel_ban' THEN 'channel' ELSE 'all' END,
               CASE WHEN b.kind = 'channel_ban' THEN k.channel_id END,
               b.status, 'Repeated abuse after a written warning.',
               CASE WHEN b.kind = 'standard' THEN (%(officers)s::bigint[])[1 + b.g %% cardinality(%(officers)s::bigint[])]
                    ELSE (%(managers)s::bigint[])[1 + b.g %% cardinality(%(managers)s::bigint[])] END,
               b.recorded_at + interval '3 hours',
               CASE WHEN b.status IN ('active', 'lifted') THEN b.started END,
               CASE WHEN b.status IN ('active', 'lifted') THEN
                   CASE WHEN b.kind = 'channel_ban' THEN b.started ELSE b.started + interval '12 months' END END,
               CASE WHEN b.status IN ('active', 'lifted') AND b.started + interval '12 months' < %(now)s - interval '1 day'
                    THEN b.started + interval '12 months' END,
               CASE WHEN b.status IN ('active', 'lifted') AND b.started + interval '12 months' < %(now)s - interval '1 day'
                    THEN b.started + interval '12 months' END,
               CASE WHEN b.status IN ('active', 'lifted') THEN b.started END,
               CASE WHEN b.status IN ('active', 'lifted') AND b.started < %(now)s - interval '3 days' THEN %(head)s END,
               CASE WHEN b.status IN ('active', 'lifted') AND b.started < %(now)s - interval '3 days'
                    THEN b.started + interval '1 day' END,
               CASE WHEN b.status = 'lifted' THEN b.started + interval '13 months' END,
               CASE WHEN b.status = 'lifted' THEN 'Overturned on appeal.' ELSE '' END
          FROM b JOIN moderation_case k ON k.id = b.g
        """,
    ),
    (
        "appeals",
        """
        INSERT INTO escalation_appeal (id, block_id, status, received_at, received_via, grounds, recorded_by_id,
                                       recorded_at, window_opens_at, decided_by_id, decided_at, decision_reason)
        SELECT b.id, b.id,
               CASE WHEN b.status = 'lifted' THEN 'overturned' WHEN (b.id / 20) %% 10 = 1 THEN 'upheld'
                    ELSE 'premature' END,
               CASE WHEN (b.id / 20) %% 10 = 2 THEN b.started_at + interval '1 month'
                    ELSE b.appeal_opens_at + interval '2 days' END,
               'Direct message', 'I have changed my ways.',
               (%(officers)s::bigint[])[1 + b.id %% cardinality(%(officers)s::bigint[])],
               CASE WHEN (b.id / 20) %% 10 = 2 THEN b.started_at + interval '1 month'
                    ELSE b.appeal_opens_at + interval '2 days' END,
               b.appeal_opens_at,
               CASE WHEN b.status = 'lifted' OR (b.id / 20) %% 10 = 1 THEN %(head)s END,
               CASE WHEN b.status = 'lifted' OR (b.id / 20) %% 10 = 1 THEN b.appeal_opens_at + interval '5 days' END,
               CASE WHEN b.status = 'lifted' OR (b.id / 20) %% 10 = 1 THEN 'Decided on the history.' ELSE '' END
          FROM escalation_block b
         WHERE b.kind <> 'channel_ban'
           AND (b.status = 'lifted'
                OR (b.status = 'active' AND (b.id / 20) %% 10 = 1 AND b.appeal_opens_at + interval '5 days' < %(now)s)
                OR (b.status = 'active' AND (b.id / 20) %% 10 = 2 AND b.started_at + interval '1 month' < %(now)s))
        """,
    ),
    (
        "sign-offs",
        """
        INSERT INTO escalation_signoff (kind, case_id, warning_id, block_id, status, requested_by_id, requested_at, due_at,
                                        decided_by_id, decided_at, reason)
        SELECT 'warning', w.case_id, w.id, NULL::bigint,
               CASE WHEN w.status = 'sent' THEN 'approved' ELSE 'pending' END,
               w.drafted_by_id, w.drafted_at + interval '10 minutes', w.drafted_at + interval '1 day',
               CASE WHEN w.status = 'sent' THEN (%(managers)s::bigint[])[1 + w.id %% cardinality(%(managers)s::bigint[])] END,
               CASE WHEN w.status = 'sent' THEN w.drafted_at + interval '2 hours' END, ''
          FROM escalation_warning w WHERE w.status IN ('sent', 'awaiting_signoff')
        UNION ALL
        SELECT 'block', b.case_id, NULL, b.id,
               CASE b.status WHEN 'awaiting_signoff' THEN 'pending' WHEN 'refused' THEN 'refused' ELSE 'approved' END,
               b.proposed_by_id, b.proposed_at, b.proposed_at + interval '1 day',
               CASE WHEN b.status <> 'awaiting_signoff'
                    THEN (%(managers)s::bigint[])[1 + b.id %% cardinality(%(managers)s::bigint[])] END,
               CASE WHEN b.status <> 'awaiting_signoff' THEN b.proposed_at + interval '4 hours' END,
               CASE WHEN b.status = 'refused' THEN 'A warning is enough for now.' ELSE '' END
          FROM escalation_block b WHERE b.kind = 'standard'
        """,
    ),
    (
        "timeline events",
        """
        INSERT INTO moderation_caseevent (case_id, kind, actor_id, actor_label, at, subject_type, subject_id, before,
                                          after, note)
        SELECT c.id, 'case_recorded', c.recorded_by_id, 'Officer', c.recorded_at, 'case', c.id, '{}'::jsonb, '{}'::jsonb, ''
          FROM moderation_case c
        UNION ALL
        SELECT p.case_id, CASE p.visibility WHEN 'hidden' THEN 'post_hidden' ELSE 'post_deleted' END,
               p.visibility_changed_by_id, 'Officer', p.visibility_changed_at, 'post', p.id,
               '{"visibility": "visible"}'::jsonb, jsonb_build_object('visibility', p.visibility), ''
          FROM moderation_post p WHERE p.case_id IS NOT NULL AND p.visibility IN ('hidden', 'deleted')
        UNION ALL
        SELECT w.case_id, e.kind, w.drafted_by_id, 'Officer', w.drafted_at + e.after, 'warning', w.id, '{}', '{}', ''
          FROM escalation_warning w
          JOIN (VALUES ('warning_drafted', interval '0'), ('warning_submitted', interval '10 minutes'))
               AS e(kind, after) ON w.status <> 'draft' OR e.kind = 'warning_drafted'
        UNION ALL
        SELECT w.case_id, e.kind, w.sent_by_id, 'Officer', w.drafted_at + e.after, 'warning', w.id, '{}', '{}', ''
          FROM escalation_warning w
          JOIN (VALUES ('warning_approved', interval '2 hours'), ('warning_sent', interval '3 hours'))
               AS e(kind, after) ON w.status = 'sent'
        UNION ALL
        SELECT b.case_id, e.kind, b.proposed_by_id, 'Officer', b.proposed_at + e.after, 'block', b.id, '{}', '{}', ''
          FROM escalation_block b
          JOIN (VALUES ('block_proposed', interval '0', 'awaiting_signoff'), ('block_refused', interval '4 hours', 'refused'),
                       ('block_approved', interval '4 hours', 'active'), ('md_notified', interval '5 hours', 'active'),
                       ('md_acknowledged', interval '1 day', 'active'), ('block_approved', interval '4 hours', 'lifted'),
                       ('appeal_overturned', interval '13 months', 'lifted'))
               AS e(kind, after, status) ON e.status = b.status OR e.kind = 'block_proposed'
        UNION ALL
        SELECT c.id, 'case_closed', c.recorded_by_id, 'Officer', c.closed_at, 'case', c.id, '{}', '{}', ''
          FROM moderation_case c WHERE c.closed_at IS NOT NULL
        """,
    ),
)


def _flag_rule(house_rule: int) -> int:
    from moderation.models import FlagRule

    rule, _ = FlagRule.objects.get_or_create(
        name="Bench word list", defaults={"kind": "word_list", "terms": "idiots", "house_rule_id": house_rule}
    )
    return rule.pk


# The month's build: one post in 33 flagged (about 3 %, as the ingest benchmark's rules flag): the posts
# of cases confirmed, the others alternately dismissed and open.
FLAGS = """
    INSERT INTO moderation_flag (post_id, rule_id, reason, created_at, status, dismissed_by_id, dismissed_at, note)
    SELECT p.id, %(flag_rule)s, 'a word on the list', p.created_at,
           CASE WHEN p.case_id IS NOT NULL THEN 'confirmed' WHEN p.id %% 2 = 0 THEN 'dismissed' ELSE 'open' END,
           CASE WHEN p.case_id IS NULL AND p.id %% 2 = 0
                THEN (%(officers)s::bigint[])[1 + p.id %% cardinality(%(officers)s::bigint[])] END,
           CASE WHEN p.case_id IS NULL AND p.id %% 2 = 0 THEN p.created_at + interval '1 hour' END, ''
      FROM moderation_post p
     WHERE p.id %% 33 = 0
"""


# --- the scheduled tasks at scale: extra blocks whose windows open at once ------------------------

EXTRA_BLOCKS_FROM = 10_000_001  # their ids, clear of the dataset's
UNACKNOWLEDGED_ONE_IN = 573  # 1,745 of 1,000,000 overdue for the head's acknowledgement


def extra_blocks_add(count: int) -> None:
    """``count`` active channel-scoped blocks (an account can hold one per channel) whose appeal
    windows opened in the last day, unflagged; one in ``UNACKNOWLEDGED_ONE_IN`` unacknowledged."""
    people = _people()
    channels = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM moderation_socialaccount")
        accounts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM moderation_case")
        cases = cursor.fetchone()[0]
        if count > accounts * len(channels):
            raise ValueError("More blocks than accounts × channels.")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO escalation_block (id, account_id, case_id, kind, scope, channel_id, status, reason,
                                          proposed_by_id, proposed_at, started_at, appeal_opens_at, md_notified_at,
                                          md_acknowledged_by_id, md_acknowledged_at, lifted_reason)
            SELECT %(first)s + g, 1 + g %% %(accounts)s, 1 + g %% %(cases)s, 'standard', 'channel',
                   (%(channels)s::bigint[])[1 + (g / %(accounts)s) %% cardinality(%(channels)s::bigint[])],
                   'active', 'Repeated abuse.', %(officer)s, started - interval '1 hour', started,
                   started + interval '12 months', started,
                   CASE WHEN g %% %(one_in)s = 0 THEN NULL ELSE %(head)s END,
                   CASE WHEN g %% %(one_in)s = 0 THEN NULL ELSE started + interval '1 day' END, ''
              FROM generate_series(0, %(count)s - 1) AS g,
                   LATERAL (SELECT %(now)s - interval '12 months' - make_interval(secs => g %% 86000) AS started) AS s
             WHERE NOT EXISTS (
                   SELECT 1 FROM escalation_block b
                    WHERE b.account_id = 1 + g %% %(accounts)s AND b.status IN ('active', 'awaiting_signoff')
                      AND b.scope = 'channel'
                      AND b.channel_id = (%(channels)s::bigint[])[1 + (g / %(accounts)s) %% cardinality(%(channels)s::bigint[])])
            """,
            {
                "first": EXTRA_BLOCKS_FROM,
                "accounts": accounts,
                "cases": cases,
                "channels": channels,
                "officer": people.officers[0],
                "head": people.head,
                "one_in": UNACKNOWLEDGED_ONE_IN,
                "count": count,
                "now": clock.now(),
            },
        )
    with connection.cursor() as cursor:
        # blocks whose windows open now started a year ago: vacuumed long since (hint bits and the
        # visibility map set), as autovacuum leaves them; not the sweep's work
        cursor.execute("VACUUM (ANALYZE) escalation_block")


def extra_blocks_remove() -> None:
    """Take the extra blocks out again, with the events and emails the tasks wrote about them."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # the timeline is append-only
        cursor.execute(
            "DELETE FROM moderation_caseevent WHERE subject_type = 'block' AND subject_id >= %s", [EXTRA_BLOCKS_FROM]
        )
        cursor.execute(
            "DELETE FROM moderation_outboxmessage WHERE kind IN ('appeal_window_digest', 'acknowledgement_chase', "
            "'signoff_chase')"
        )
        cursor.execute("DELETE FROM escalation_block WHERE id >= %s", [EXTRA_BLOCKS_FROM])
    chase_unsend()
    with connection.cursor() as cursor:
        # what autovacuum would do after a million deletions (a bench server may run without it: each
        # run left a million dead blocks and events behind, and the next ran slower)
        cursor.execute("VACUUM (ANALYZE) escalation_block, moderation_caseevent")


CHASE_EMAIL_KINDS = ("acknowledgement_chase", "signoff_chase", "overdue_chase")


def chase_unsend() -> None:
    """The dataset's sign-offs and blocks as before the chase ran: not chased, no chase events,
    notifications or emails (so that the next chase finds them all again)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # the timeline is append-only
        cursor.execute("UPDATE escalation_signoff SET last_chased_at = NULL WHERE last_chased_at IS NOT NULL")
        cursor.execute("UPDATE escalation_block SET md_last_chased_at = NULL WHERE md_last_chased_at IS NOT NULL")
        cursor.execute("DELETE FROM moderation_caseevent WHERE kind IN ('signoff_chased', 'acknowledgement_chased')")
        cursor.execute("DELETE FROM escalation_notification WHERE kind IN ('signoff_chase', 'acknowledgement_chase')")
        kinds = ", ".join(f"'{kind}'" for kind in CHASE_EMAIL_KINDS)
        chase_emails = f"SELECT id FROM moderation_outboxmessage WHERE kind IN ({kinds})"  # noqa: S608 - constants
        cursor.execute(
            f"DELETE FROM moderation_outboxmessage_recipient_users WHERE outboxmessage_id IN ({chase_emails})"
        )
        cursor.execute(f"DELETE FROM moderation_outboxmessage WHERE id IN ({chase_emails})")


def digest_unsend() -> None:
    """Take the stamps of the blocks the last sweep flagged, and its digest, off again, so that the
    next ``digest`` names them all once more (done before the digest is timed, in its own transaction)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # the bench's own reset, not the task
        cursor.execute("DELETE FROM moderation_outboxmessage WHERE kind = 'appeal_window_digest'")
        cursor.execute(
            "UPDATE escalation_block SET appeal_digest_sent_for = NULL"
            " WHERE appeal_window_flagged_at = (SELECT max(appeal_window_flagged_at) FROM escalation_block)"
        )


def digest() -> int:
    """The digest alone over the blocks the last sweep flagged (those no digest has named)."""
    from escalation.services import _appeal_window_digest_queue

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT max(appeal_window_flagged_at) FROM escalation_block")
        flagged_at = cursor.fetchone()[0]
        if flagged_at is None:
            return 0
        count, _message = _appeal_window_digest_queue(flagged_at=flagged_at)
    return count


def next_working_morning():
    """10:00 on the next working day of the policy's calendar (the chase runs only on those)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from moderation.deadlines import office_hours

    hours = office_hours()
    day = timezone.localdate(clock.now()) + timedelta(days=1)
    while not hours.is_working_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(10)))
