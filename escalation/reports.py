"""The reports (issue 14): volumes, actions, appeals and times over a date range, and a monthly trend.

Every figure comes from a handful of set-based aggregate queries (conditional ``COUNT``s,
``percentile_cont``); nothing loops over rows in Python. The page, the API and both downloads read
the same ``Report``: one list of figures, so they cannot disagree.

What each figure counts (shown on the page, ``docs/process.md``):
- *posts in*: posts received (``Post.created_at``) in the range, on the chosen channel; the house
  rule, service area and officer filters do not apply to them (a post has none until a case).
- *cases opened*: cases recorded in the range.
- *flags*: flags raised in the range (channel of the post, house rule of the flag rule), and of
  those, how many were confirmed (a case recorded) or dismissed; precision = confirmed ÷ (confirmed
  + dismissed). Service area and officer filters do not apply to flags.
- *actions* and *appeals*: the timeline events written in the range, on cases matching the filters
  (one event per action: a post hidden then deleted counts once in each line).
- *times*: for cases recorded in the range, working days from recording to the first action (the
  queue's first-response rule, ``moderation.deadlines.FIRST_RESPONSE_EVENTS``); for sign-offs asked
  for in the range and decided, working days from the request to the decision. Working days are
  counted in the current policy's office calendar, in SQL (``working_seconds_sql``). "On time" reads
  the deadline each case and sign-off carries (``response_due_at``, ``due_at``), set when it was
  recorded under the policy of the day.

Posts in, cases opened, actions, appeals and the trend are read from ``ReportTally`` and time to
first action from ``ReportCase`` (both kept by PostgreSQL triggers as rows are written, so never
behind) unless a house rule, service area or officer filter asks for the tables themselves;
``build_report(…, live=True)`` counts everything from the tables, and a test checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from escalation.constants import SignOffStatus
from escalation.models import ReportCase, ReportTally, SignOff
from moderation.constants import EventKind, FlagStatus
from moderation.models import Case, CaseEvent, Channel, Flag, HouseRule, Post, ServiceArea
from moderation.selectors import first_response_at
from policy import services as policy
from policy.dates import say_date, say_month
from policy.worktime import OfficeHours

MAX_RANGE_DAYS = 2 * 366  # "over two years" is refused with a message (the form says so)
TREND_MONTHS = 12


@dataclass(frozen=True)
class ReportFilters:
    """The chosen range (inclusive local dates) and filters; ``None`` means every one."""

    start: date
    end: date
    channel: Channel | None = None
    rule: HouseRule | None = None
    service_area: ServiceArea | None = None
    officer: object | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(settings.TIME_ZONE)

    def bounds(self) -> tuple[datetime, datetime]:
        """The range as UTC instants: local midnight of ``start`` to local midnight after ``end``."""
        return local_midnight(self.start), local_midnight(self.end + timedelta(days=1))

    def described(self) -> list[tuple[str, str]]:
        """The filters as (label, value) for the page and the downloads."""
        return [
            ("From", say_date(self.start)),
            ("To", say_date(self.end)),
            ("Channel", str(self.channel) if self.channel else "All channels"),
            ("House rule", str(self.rule) if self.rule else "All house rules"),
            ("Service area", str(self.service_area) if self.service_area else "All service areas"),
            ("Officer", _person(self.officer) if self.officer else "All officers"),
        ]


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(settings.TIME_ZONE)).astimezone(UTC)


def last_full_month(today: date) -> tuple[date, date]:
    """The default range: the last whole calendar month before ``today``."""
    first_this_month = today.replace(day=1)
    last = first_this_month - timedelta(days=1)
    return last.replace(day=1), last


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float | None
    unit: str = ""  # "", "%", "working days"

    def shown(self) -> str:
        """The value as the page, the CSV and the sheet show it."""
        if self.value is None:
            return "–"
        if self.unit == "%":
            return f"{self.value:.1f}%"
        if self.unit == "working days":
            return f"{self.value:.2f}"
        return f"{self.value:,}" if isinstance(self.value, int) else str(self.value)


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure]
    note: str = ""


@dataclass
class TrendMonth:
    month: date
    posts_in: int
    cases_opened: int
    posts_removed: int
    warnings_sent: int
    blocks: int
    appeals_logged: int

    COLUMNS = (
        ("posts_in", "Posts in"),
        ("cases_opened", "Cases opened"),
        ("posts_removed", "Posts hidden or deleted"),
        ("warnings_sent", "Warnings sent"),
        ("blocks", "Blocks and channel bans"),
        ("appeals_logged", "Appeals logged"),
    )

    @property
    def label(self) -> str:
        return say_month(self.month)

    @property
    def key(self) -> str:
        """The month as 2027-03, for the table's rows."""
        return f"{self.month.year:04d}-{self.month.month:02d}"


@dataclass
class Report:
    filters: ReportFilters
    sections: list[Section]
    trend: list[TrendMonth] = field(default_factory=list)

    def figures(self) -> dict[str, int | float | None]:
        return {figure.key: figure.value for section in self.sections for figure in section.figures}

    def rows(self) -> list[tuple[str, str, str]]:
        """Every figure as (section, figure, value): the CSV and the first sheet."""
        rows = [("Filters", label, value) for label, value in self.filters.described()]
        for section in self.sections:
            rows += [(section.title, f.label + (f" ({f.unit})" if f.unit else ""), f.shown()) for f in section.figures]
        return rows


# --- the filters as querysets ------------------------------------------------------------------------


def _case_filter(filters: ReportFilters, prefix: str = "") -> Q:
    """The filters on cases, as a Q on a model reaching the case through ``prefix``."""
    q = Q()
    if filters.channel is not None:
        q &= Q(**{f"{prefix}channel": filters.channel})
    if filters.rule is not None:
        q &= Q(**{f"{prefix}rules": filters.rule})
    if filters.service_area is not None:
        q &= Q(**{f"{prefix}service_area": filters.service_area})
    if filters.officer is not None:
        q &= Q(**{f"{prefix}recorded_by": filters.officer}) | Q(**{f"{prefix}assignee": filters.officer})
    return q


def matching_cases(filters: ReportFilters) -> QuerySet[Case]:
    """Cases the filters reach (a house rule is one of several on a case: ``distinct`` by id)."""
    queryset = Case.objects.filter(_case_filter(filters))
    if filters.rule is not None:
        # the rules join can repeat a case: select ids through a subquery instead
        queryset = Case.objects.filter(pk__in=queryset.values("pk"))
    return queryset


# --- working time in SQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The office's working intervals as three arrays PostgreSQL searches with ``width_bucket``:
    each interval's start (UTC), the working seconds before it, and its length in seconds."""

    starts: list[datetime]
    before: list[float]
    lengths: list[float]
    day_seconds: float


def calendar_between(first: date, last: date, hours: OfficeHours) -> Calendar:
    """The working intervals from ``first`` to ``last`` (one per working day: a few hundred at most)."""
    starts, before, lengths = [], [], []
    total = 0.0
    day = first
    while day <= last:
        if hours.is_working_day(day):
            opening = hours.opening(day).replace(tzinfo=hours.zone).astimezone(UTC)
            closing = hours.closing(day).replace(tzinfo=hours.zone).astimezone(UTC)
            length = (closing - opening).total_seconds()
            starts.append(opening)
            before.append(total)
            lengths.append(length)
            total += length
        day += timedelta(days=1)
    return Calendar(starts, before, lengths, hours.day_length.total_seconds())


def working_seconds_sql(column: str, bucket: str | None = None) -> str:
    """SQL for the working seconds from the calendar's start to ``column`` (a timestamptz), with the
    calendar as ``cal(starts, before, lengths)``: binary search for the interval that starts last at
    or before it (``bucket``, when the query has already found it), then the seconds before that
    interval plus the part of it already gone (``date_part``: float, not ``EXTRACT``'s numeric)."""
    bucket = bucket or f"width_bucket({column}, cal.starts)"
    return (
        f"(CASE WHEN {column} IS NULL THEN NULL WHEN {bucket} = 0 THEN 0 ELSE cal.before[{bucket}] + "
        f"LEAST(GREATEST(date_part('epoch', {column} - cal.starts[{bucket}]), 0), cal.lengths[{bucket}]) END)"
    )


def _timing(inner: QuerySet, start_col: str, end_col: str, due_col: str, calendar: Calendar) -> dict:
    """Median, 90th percentile (working days), count, count done and on time, of one query's rows.

    The rows are read once (``MATERIALIZED``: else each mention of a subquery's column in the arithmetic
    runs the subquery again) and each moment's interval is searched for once (``b``)."""
    sql, params = inner.query.sql_with_params()
    ends = working_seconds_sql(f"t.{end_col}", "b.ends")
    starts = working_seconds_sql(f"t.{start_col}", "b.starts")
    # the SQL pieces are this module's constants and the queryset's own SQL; every value is a parameter
    query = (
        "WITH cal AS (SELECT %s::timestamptz[] AS starts, %s::float8[] AS before, %s::float8[] AS lengths), "  # noqa: S608
        f"t AS MATERIALIZED ({sql}), "
        f"d AS (SELECT t.{end_col} IS NOT NULL AS done, t.{end_col} <= t.{due_col} AS on_time, "
        f"({ends} - {starts}) / %s AS days FROM t CROSS JOIN cal CROSS JOIN LATERAL "
        f"(SELECT width_bucket(t.{end_col}, cal.starts) AS ends, width_bucket(t.{start_col}, cal.starts) AS starts) b) "
        "SELECT count(*), count(*) FILTER (WHERE done), count(*) FILTER (WHERE done AND on_time), "
        # both percentiles from one sort (two ``percentile_cont`` calls would sort the rows twice)
        "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY days) FROM d"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [calendar.starts, calendar.before, calendar.lengths, *params, calendar.day_seconds])
        total, done, on_time, percentiles = cursor.fetchone()
    median, p90 = percentiles or (None, None)  # no rows: no percentiles
    return {"total": total, "done": done, "on_time": on_time, "median": median, "p90": p90}


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- the report -------------------------------------------------------------------------------------

ACTION_KINDS = {
    "posts_hidden": (EventKind.POST_HIDDEN,),
    "posts_deleted": (EventKind.POST_DELETED,),
    "warnings_sent": (EventKind.WARNING_SENT,),
    "blocks": (EventKind.BLOCK_APPROVED, EventKind.BLOCK_IMMEDIATE),
    "channel_bans": (EventKind.CHANNEL_BAN,),
    "police_reports": (EventKind.POLICE_REPORTED,),
    "appeals_logged": (EventKind.APPEAL_RECEIVED, EventKind.APPEAL_PREMATURE),
    "appeals_premature": (EventKind.APPEAL_PREMATURE,),
    "appeals_upheld": (EventKind.APPEAL_UPHELD,),
    "appeals_overturned": (EventKind.APPEAL_OVERTURNED,),
}


def _event_counts(filters: ReportFilters, start: datetime, end: datetime) -> dict[str, int]:
    events = CaseEvent.objects.filter(at__gte=start, at__lt=end)
    if any((filters.channel, filters.rule, filters.service_area, filters.officer)):
        events = events.filter(case__in=matching_cases(filters).values("pk"))
    return events.aggregate(**{key: Count("kind", filter=Q(kind__in=kinds)) for key, kinds in ACTION_KINDS.items()})


def _posts(filters: ReportFilters) -> QuerySet[Post]:
    posts = Post.objects.all()
    if filters.channel is not None:
        posts = posts.filter(channel=filters.channel)
    return posts


def _flags(filters: ReportFilters) -> QuerySet[Flag]:
    flags = Flag.objects.all()
    if filters.channel is not None:
        flags = flags.filter(post__channel=filters.channel)
    if filters.rule is not None:
        flags = flags.filter(rule__house_rule=filters.rule)
    return flags


def tallied(filters: ReportFilters) -> bool:
    """Whether the tally can give this report's counts: filtered by channel at most (the tally is per
    channel; a case's house rules, service area and officer can change, so those are counted live),
    over a range of whole UTC hours (local midnights are, in every zone whose offset is whole hours)."""
    start, end = filters.bounds()
    whole_hours = all(moment.minute == moment.second == moment.microsecond == 0 for moment in (start, end))
    return whole_hours and not any((filters.rule, filters.service_area, filters.officer))


def _tally(filters: ReportFilters) -> QuerySet[ReportTally]:
    rows = ReportTally.objects.all()
    if filters.channel is not None:
        rows = rows.filter(channel_id=filters.channel.pk)
    return rows


def _tally_counts(filters: ReportFilters, start: datetime, end: datetime) -> dict[str, int]:
    """Posts in, cases opened and every action and appeal count, from the tally: one query."""
    found = (
        _tally(filters)
        .filter(hour__gte=start, hour__lt=end)
        .aggregate(**{column: Sum(column) for column in ReportTally.COUNTS})
    )
    return {column: value or 0 for column, value in found.items()}


def tally_compact() -> int:
    """Sum each hour and channel's rows of the tally into one (the beat task, every 15 minutes): the rows
    read for a month stay about 720 a channel however many statements wrote them. Returns the rows summed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT report_tally_compact()")
        return cursor.fetchone()[0]


def tally_rebuild() -> int:
    """Count the whole tally and each case's clock (``ReportCase``) afresh from the tables (after a load
    that ran without triggers, such as the benchmark's); returns the tally's rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT report_case_rebuild()")
        cursor.execute("SELECT report_tally_rebuild()")
        return cursor.fetchone()[0]


def build_report(filters: ReportFilters, *, now: datetime, trend: bool = True, live: bool = False) -> Report:
    """Every figure of the report, in about ten queries whatever the number of rows. The counts come
    from the tally (``ReportTally``) when it can give them, else (or with ``live``) from the tables:
    the same figures either way (tested)."""
    start, end = filters.bounds()
    version = policy.current()
    hours = version.office_hours
    use_tally = not live and tallied(filters)

    cases = matching_cases(filters).filter(recorded_at__gte=start, recorded_at__lt=end)
    if use_tally:
        events = _tally_counts(filters, start, end)
        posts_in, cases_opened = events["posts_in"], events["cases_opened"]
    else:
        posts_in = _posts(filters).filter(created_at__gte=start, created_at__lt=end).count()
        cases_opened = cases.count()
        events = _event_counts(filters, start, end)
    flags = (
        _flags(filters)
        .filter(created_at__gte=start, created_at__lt=end)
        .aggregate(
            raised=Count("*"),
            confirmed=Count("status", filter=Q(status=FlagStatus.CONFIRMED)),
            dismissed=Count("status", filter=Q(status=FlagStatus.DISMISSED)),
        )
    )

    tz_local = ZoneInfo(settings.TIME_ZONE)
    calendar = calendar_between(
        filters.start - timedelta(days=7), max(filters.end, now.astimezone(tz_local).date()) + timedelta(days=7), hours
    )
    if use_tally:  # each case's clock as the triggers keep it (ReportCase): one index range, no probe a case
        clocks = ReportCase.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
        if filters.channel is not None:
            clocks = clocks.filter(channel_id=filters.channel.pk)
        first_actions = clocks.values("recorded_at", "response_due_at", responded_at=F("first_action_at"))
    else:
        first_actions = cases.annotate(responded_at=first_response_at()).values(
            "recorded_at", "responded_at", "response_due_at"
        )
    first_action = _timing(
        first_actions.order_by(),  # the percentiles sort the days: a default order would be a sort for nothing
        "recorded_at",
        "responded_at",
        "response_due_at",
        calendar,
    )
    signoffs = SignOff.objects.filter(requested_at__gte=start, requested_at__lt=end)
    if any((filters.channel, filters.rule, filters.service_area, filters.officer)):
        signoffs = signoffs.filter(case__in=matching_cases(filters).values("pk"))
    signoff = _timing(
        signoffs.exclude(status=SignOffStatus.PENDING).values("requested_at", "decided_at", "due_at").order_by(),
        "requested_at",
        "decided_at",
        "due_at",
        calendar,
    )

    decided_flags = flags["confirmed"] + flags["dismissed"]
    sections = [
        Section(
            "volumes",
            "Volumes",
            [
                Figure("posts_in", "Posts in", posts_in),
                Figure("cases_opened", "Cases opened", cases_opened),
                Figure("flags_raised", "Flags raised", flags["raised"]),
                Figure("flags_confirmed", "Flags confirmed (a case recorded)", flags["confirmed"]),
                Figure("flags_dismissed", "Flags dismissed (not a problem)", flags["dismissed"]),
                Figure(
                    "flag_precision",
                    "Flag precision (confirmed of those decided)",
                    _share(flags["confirmed"], decided_flags),
                    "%",
                ),
            ],
            note="Posts in and flags are filtered by channel (and flags by house rule) only: a post has no "
            "service area or officer until a case is recorded.",
        ),
        Section(
            "actions",
            "Actions",
            [
                Figure("posts_hidden", "Posts hidden", events["posts_hidden"]),
                Figure("posts_deleted", "Posts deleted", events["posts_deleted"]),
                Figure("warnings_sent", "Warnings sent", events["warnings_sent"]),
                Figure("blocks", "Blocks started (approved or immediate)", events["blocks"]),
                Figure("channel_bans", "Channel bans", events["channel_bans"]),
                Figure("police_reports", "Police reports", events["police_reports"]),
            ],
            note="Referrals are not recorded by the product, so they are not counted.",
        ),
        Section(
            "appeals",
            "Appeals",
            [
                Figure("appeals_logged", "Appeals logged", events["appeals_logged"]),
                Figure("appeals_premature", "Premature (before the window opened)", events["appeals_premature"]),
                Figure("appeals_upheld", "Upheld (the block stays)", events["appeals_upheld"]),
                Figure("appeals_overturned", "Overturned (the block lifted)", events["appeals_overturned"]),
            ],
        ),
        Section(
            "first_action",
            "Time to first action",
            [
                Figure("first_action_target", "Target", float(version.first_response_working_days), "working days"),
                Figure("first_action_cases", "Cases acted on", first_action["done"]),
                Figure("first_action_waiting", "Cases not yet acted on", first_action["total"] - first_action["done"]),
                Figure("first_action_median", "Median", _days(first_action["median"]), "working days"),
                Figure("first_action_p90", "90th percentile", _days(first_action["p90"]), "working days"),
                Figure(
                    "first_action_on_time",
                    "Acted on by the deadline",
                    _share(first_action["on_time"], first_action["done"]),
                    "%",
                ),
            ],
        ),
        Section(
            "signoff",
            "Time to sign-off",
            [
                Figure("signoff_target", "Target", float(version.signoff_due_working_days), "working days"),
                Figure("signoffs_decided", "Sign-offs decided", signoff["done"]),
                Figure("signoff_median", "Median", _days(signoff["median"]), "working days"),
                Figure("signoff_p90", "90th percentile", _days(signoff["p90"]), "working days"),
                Figure("signoff_on_time", "Decided by the deadline", _share(signoff["on_time"], signoff["done"]), "%"),
            ],
        ),
    ]
    return Report(filters, sections, monthly_trend(filters, live=not use_tally) if trend else [])


TREND_KINDS = {
    "posts_removed": (EventKind.POST_HIDDEN, EventKind.POST_DELETED),
    "warnings_sent": ACTION_KINDS["warnings_sent"],
    "blocks": (*ACTION_KINDS["blocks"], *ACTION_KINDS["channel_bans"]),
    "appeals_logged": ACTION_KINDS["appeals_logged"],
}
# the same columns from the tally's
TREND_TALLY = {
    "posts_in": ("posts_in",),
    "cases_opened": ("cases_opened",),
    "posts_removed": ("posts_hidden", "posts_deleted"),
    "warnings_sent": ("warnings_sent",),
    "blocks": ("blocks", "channel_bans"),
    "appeals_logged": ("appeals_logged",),
}


def _trend_months(filters: ReportFilters) -> tuple[list[date], datetime, datetime]:
    last_month = filters.end.replace(day=1)
    first_month = last_month - relativedelta(months=TREND_MONTHS - 1)
    months = [first_month + relativedelta(months=n) for n in range(TREND_MONTHS)]
    return months, local_midnight(first_month), local_midnight(last_month + relativedelta(months=1))


def monthly_trend(filters: ReportFilters, *, live: bool = False) -> list[TrendMonth]:
    """The twelve months to the end of the range (the last one possibly partial): one grouped query on
    the tally, or (``live``, or filters the tally does not hold) three on the tables."""
    if not live and tallied(filters):
        return _tally_trend(filters)
    tz = ZoneInfo(settings.TIME_ZONE)
    months, start, end = _trend_months(filters)

    def by_month(queryset, column: str, **aggregates) -> dict[date, dict]:
        rows = (
            queryset.filter(**{f"{column}__gte": start, f"{column}__lt": end})
            .annotate(month=TruncMonth(column, tzinfo=tz))
            .values("month")
            .annotate(**aggregates)
        )
        return {row["month"].date(): row for row in rows}

    posts = by_month(_posts(filters), "created_at", n=Count("*"))
    cases = by_month(matching_cases(filters), "recorded_at", n=Count("*"))
    events = CaseEvent.objects.all()
    if any((filters.channel, filters.rule, filters.service_area, filters.officer)):
        events = events.filter(case__in=matching_cases(filters).values("pk"))
    kinds = TREND_KINDS
    event_rows = by_month(events, "at", **{key: Count("kind", filter=Q(kind__in=k)) for key, k in kinds.items()})
    return [
        TrendMonth(
            month=month,
            posts_in=posts.get(month, {}).get("n", 0),
            cases_opened=cases.get(month, {}).get("n", 0),
            **{key: event_rows.get(month, {}).get(key, 0) for key in kinds},
        )
        for month in months
    ]


def _tally_trend(filters: ReportFilters) -> list[TrendMonth]:
    tz = ZoneInfo(settings.TIME_ZONE)
    months, start, end = _trend_months(filters)
    sums = {key: Sum(sum((F(column) for column in columns[1:]), F(columns[0]))) for key, columns in TREND_TALLY.items()}
    rows = (
        _tally(filters)
        .filter(hour__gte=start, hour__lt=end)
        .annotate(month=TruncMonth("hour", tzinfo=tz))
        .values("month")
        .annotate(**sums)
    )
    found = {row["month"].date(): row for row in rows}
    return [
        TrendMonth(month=month, **{key: found.get(month, {}).get(key) or 0 for key in TREND_TALLY}) for month in months
    ]


# --- the chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    short: str
    label_x: float


def trend_bars(trend: list[TrendMonth], key: str = "cases_opened", *, width: int = 360, height: int = 180) -> dict:
    """The bars of a server-drawn SVG chart of one trend column (the table beside it is the source)."""
    top, bottom, left = 18, 24, 4
    values = [getattr(month, key) for month in trend]
    peak = max(values, default=0) or 1
    slot = (width - left) / max(len(trend), 1)
    plot = height - top - bottom
    bars = []
    for n, (month, value) in enumerate(zip(trend, values, strict=True)):
        bar_height = plot * value / peak
        x = left + n * slot + slot * 0.15
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top + plot - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                value=value,
                label=month.label,
                short=month.label[:3],
                label_x=round(x + slot * 0.35, 1),
            )
        )
    return {"bars": bars, "width": width, "height": height, "baseline": height - bottom, "peak": max(values, default=0)}


# --- the downloads ---------------------------------------------------------------------------------


def as_databook(report: Report):
    """The report as a tablib Databook: the figures sheet and the trend sheet."""
    import tablib

    figures = tablib.Dataset(*report.rows(), headers=["Section", "Figure", "Value"], title="Figures")
    trend = tablib.Dataset(
        *[(month.label, *(getattr(month, key) for key, _ in TrendMonth.COLUMNS)) for month in report.trend],
        headers=["Month", *(label for _, label in TrendMonth.COLUMNS)],
        title="Monthly trend",
    )
    return tablib.Databook([figures, trend])


def as_csv(report: Report) -> str:
    """One CSV: every figure, then the monthly trend as rows of the same three columns."""
    import tablib

    rows = list(report.rows())
    for month in report.trend:
        rows += [
            (f"Monthly trend: {month.label}", label, f"{getattr(month, key):,}") for key, label in TrendMonth.COLUMNS
        ]
    return tablib.Dataset(*rows, headers=["Section", "Figure", "Value"]).export("csv")
