"""The reports page, its downloads and the API (issue 14): a known month of data, every number checked
on the page, in the CSV, the XLSX and the ODS sheet and the API; who may read them; the working-time
arithmetic in SQL against the Python calendar."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import tablib
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.constants import SignOffStatus
from escalation.reports import ReportFilters, build_report, calendar_between, working_seconds_sql
from moderation import clock
from moderation.constants import EventKind, FlagKind, FlagStatus
from moderation.models import CaseEvent, Flag, FlagRule
from policy import services as policy
from policy.worktime import working_time_between
from tests import factories

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # November 2026 is the last full month; London is on GMT


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def event(case, kind, when):
    return CaseEvent.objects.create(
        case=case, kind=kind, actor_label="test", at=when, subject_type="case", subject_id=case.pk
    )


# What the page, every download and the API must show for November 2026, every channel.
EXPECTED = {
    "posts_in": "7",
    "cases_opened": "4",
    "flags_raised": "4",
    "flags_confirmed": "2",
    "flags_dismissed": "1",
    "flag_precision": "66.7%",
    "posts_hidden": "1",
    "posts_deleted": "1",
    "warnings_sent": "1",
    "blocks": "2",
    "channel_bans": "1",
    "police_reports": "1",
    "appeals_logged": "2",
    "appeals_premature": "1",
    "appeals_upheld": "1",
    "appeals_overturned": "0",
    "first_action_target": "1.00",
    "first_action_cases": "3",
    "first_action_waiting": "1",
    "first_action_median": "0.50",
    "first_action_p90": "1.10",
    "first_action_on_time": "66.7%",
    "signoff_target": "1.00",
    "signoffs_decided": "1",
    "signoff_median": "0.50",
    "signoff_p90": "0.50",
    "signoff_on_time": "100.0%",
}


@pytest.fixture
def month(db, officer, manager):
    """November 2026 on two channels, with a post, a case and an event each side of it."""
    with clock.travel_to(NOW):
        version = policy.current()
        assert float(version.first_response_working_days) == 1.0
        assert float(version.signoff_due_working_days) == 1.0
        facebook = factories.ChannelFactory(name="Facebook page")
        x = factories.ChannelFactory(name="X account")
        account = factories.SocialAccountFactory()
        posts = []
        for n, (channel, when) in enumerate(
            [(facebook, at(d, 12)) for d in (2, 3, 4, 5, 6)]
            + [(x, at(10, 12)), (x, at(30, 23, 59))]
            + [(facebook, at(31, 23, 59, month=10)), (facebook, at(1, 0, 0, month=12))]
        ):
            posts.append(
                factories.PostFactory(
                    channel=channel, account=account, created_at=when, posted_at=when, external_id=f"p{n}"
                )
            )

        def case(channel, recorded, due, **kwargs):
            return factories.OpenCaseFactory(
                channel=channel,
                account=account,
                recorded_by=officer,
                recorded_at=recorded,
                response_due_at=due,
                posts=[],
                **kwargs,
            )

        # Mon 2 Nov 09:00, acted on at 13:00 (0.5 working days; due Tue 09:00: on time)
        c1 = case(facebook, at(2, 9), at(3, 9))
        event(c1, EventKind.CASE_RECORDED, at(2, 9))
        event(c1, EventKind.POST_HIDDEN, at(2, 13))
        event(c1, EventKind.POST_DELETED, at(2, 15))
        # Mon 2 Nov 16:00, first acted on Wed 4 Nov 10:00 (1 + 8 + 1 hours = 1.25 days; due Tue 16:00: late)
        c2 = case(x, at(2, 16), at(3, 16))
        event(c2, EventKind.WARNING_DRAFTED, at(4, 10))
        event(c2, EventKind.WARNING_SENT, at(4, 15))
        # Fri 6 Nov 17:30 (after hours), acted on Mon 9 Nov 09:30 (0.0625 days; due Mon 17:00: on time)
        c3 = case(facebook, at(6, 17, 30), at(9, 17))
        event(c3, EventKind.BLOCK_IMMEDIATE, at(9, 9, 30))
        event(c3, EventKind.BLOCK_APPROVED, at(12, 11))
        event(c3, EventKind.CHANNEL_BAN, at(13, 11))
        event(c3, EventKind.POLICE_REPORTED, at(13, 12))
        event(c3, EventKind.APPEAL_RECEIVED, at(16, 12))
        event(c3, EventKind.APPEAL_PREMATURE, at(17, 12))
        event(c3, EventKind.APPEAL_UPHELD, at(18, 12))
        # not yet acted on
        c4 = case(facebook, at(20, 10), at(23, 10))
        # outside the month: a case and an action in October
        c0 = case(facebook, at(30, 10, month=10), at(2, 10))
        event(c0, EventKind.POST_HIDDEN, at(30, 11, month=10))
        # one sign-off asked for Tue 3 Nov 10:00, decided 14:00 (0.5 days; due Wed 10:00: on time); one pending
        warning = factories.DraftWarningFactory(case=c2)
        factories.WarningSignOffFactory(
            case=c2,
            warning=warning,
            requested_by=officer,
            requested_at=at(3, 10),
            due_at=at(4, 10),
            status=SignOffStatus.APPROVED,
            decided_by=manager,
            decided_at=at(3, 14),
        )
        other = factories.DraftWarningFactory(case=c4)
        factories.WarningSignOffFactory(
            case=c4, warning=other, requested_by=officer, requested_at=at(20, 11), due_at=at(23, 11)
        )
        # four flags in November: two confirmed, one dismissed, one open; one in October
        rule = FlagRule.objects.create(
            name="Swearing", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=c1.rules.first()
        )
        phone = FlagRule.objects.create(name="Phone", kind=FlagKind.PHONE_NUMBER, house_rule=c1.rules.first())
        for post, status, when in [
            (posts[0], FlagStatus.CONFIRMED, at(2, 12)),
            (posts[1], FlagStatus.CONFIRMED, at(3, 12)),
            (posts[2], FlagStatus.DISMISSED, at(4, 12)),
            (posts[5], FlagStatus.OPEN, at(10, 12)),
            (posts[7], FlagStatus.OPEN, at(31, 12, month=10)),
        ]:
            Flag.objects.create(
                post=post,
                rule=rule,
                reason="a listed word",
                created_at=when,
                status=status,
                dismissed_by=manager if status == FlagStatus.DISMISSED else None,
                dismissed_at=when if status == FlagStatus.DISMISSED else None,
            )
        Flag.objects.create(post=posts[3], rule=phone, reason="a phone number", created_at=at(31, 12, month=10))
    return {"facebook": facebook, "x": x, "cases": (c1, c2, c3, c4)}


def page_figures(html: str) -> dict[str, str]:
    rows = re.findall(r'data-figure="([a-z0-9_]+)">.*?<td[^>]*>([^<]*)</td>', html, re.S)
    return {key: value.strip() for key, value in rows}


def trend_row(html: str, month: str) -> dict[str, str]:
    row = re.search(rf'data-month="{month}">(.*?)</tr>', html, re.S)[1]
    return dict(re.findall(r'data-column="([a-z_]+)">([^<]*)<', row))


class TestAKnownMonth:
    def test_every_figure_on_the_page(self, client, manager, month):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:report"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Figures from 1 November 2026 to 30 November 2026" in html
        assert page_figures(html) == EXPECTED
        # the trend: twelve months to November, October's case and hidden post in October
        assert len(re.findall(r'data-month="', html)) == 12
        assert trend_row(html, "2026-11") == {
            "posts_in": "7",
            "cases_opened": "4",
            "posts_removed": "2",
            "warnings_sent": "1",
            "blocks": "3",
            "appeals_logged": "2",
        }
        assert trend_row(html, "2026-10") == {
            "posts_in": "1",
            "cases_opened": "1",
            "posts_removed": "1",
            "warnings_sent": "0",
            "blocks": "0",
            "appeals_logged": "0",
        }
        assert trend_row(html, "2025-12")["cases_opened"] == "0"
        # the chart is an image with a text alternative naming every month's figure
        assert 'role="img"' in html
        assert "November 2026: 4" in html
        assert "October 2026: 1" in html

    def test_every_figure_in_the_csv(self, client, manager, month):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:report_download", args=["csv"]))
        assert response.status_code == 200
        assert (
            response["Content-Disposition"] == 'attachment; filename="moderation-report-2026-11-01-to-2026-11-30.csv"'
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == ["Section", "Figure", "Value"]
        assert _by_label(rows[1:]) == _expected_by_label()
        assert ["Monthly trend: November 2026", "Cases opened", "4"] in rows
        assert ["Monthly trend: October 2026", "Posts hidden or deleted", "1"] in rows

    @pytest.mark.parametrize("fmt", ["xlsx", "ods"])
    def test_every_figure_in_the_sheets(self, client, manager, month, fmt):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:report_download", args=[fmt]))
        assert response.status_code == 200
        book = tablib.Databook().load(response.content, fmt)
        figures, trend = book.sheets()
        assert figures.title == "Figures"
        assert trend.title == "Monthly trend"
        assert _by_label([list(map(str, row)) for row in figures]) == _expected_by_label()
        november = dict(zip(trend.headers, trend[-1], strict=True))
        assert november["Month"] == "November 2026"
        assert int(november["Cases opened"]) == 4
        assert int(november["Blocks and channel bans"]) == 3
        assert len(trend) == 12

    def test_the_api_gives_the_same_figures(self, client, manager, month):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get("/api/v1/reports/", {"start": "2026-11-01", "end": "2026-11-30"})
        assert response.status_code == 200
        body = response.json()
        assert {key: _shown(key, value) for key, value in body["figures"].items()} == EXPECTED
        assert body["trend"][-1]["month"] == "2026-11"
        assert body["trend"][-1]["cases_opened"] == 4

    def test_a_channel_filter_narrows_every_figure_it_applies_to(self, client, manager, month):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:report"), {"channel": month["x"].pk})
        figures = page_figures(response.content.decode())
        assert figures["posts_in"] == "2"
        assert figures["cases_opened"] == "1"
        assert figures["flags_raised"] == "1"
        assert figures["warnings_sent"] == "1"
        assert figures["posts_hidden"] == "0"
        assert figures["first_action_median"] == "1.25"
        assert figures["first_action_on_time"] == "0.0%"
        assert figures["signoffs_decided"] == "1"

    def test_the_figures_take_a_fixed_number_of_queries(self, manager, month, django_assert_max_num_queries):
        with clock.travel_to(NOW), django_assert_max_num_queries(12):
            build_report(ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30)), now=NOW)


def _shown(key: str, value) -> str:
    if value is None:
        return "–"
    if key.endswith(("_precision", "_on_time")):
        return f"{value:.1f}%"
    if key.endswith(("_median", "_p90", "_target")):
        return f"{value:.2f}"
    return str(value)


def _by_label(rows) -> dict[str, str]:
    return {row[1]: row[2] for row in rows if row[0] != "Filters" and not row[0].startswith("Monthly trend")}


def _expected_by_label() -> dict[str, str]:
    report = build_report(ReportFilters(start=date(2026, 11, 1), end=date(2026, 11, 30)), now=NOW, trend=False)
    labels = {
        f.key: f.label + (f" ({f.unit})" if f.unit else "") for section in report.sections for f in section.figures
    }
    return {labels[key]: value for key, value in EXPECTED.items()}


class TestTheForm:
    def test_bad_dates_are_field_errors(self, client, manager):
        client.force_login(manager)
        response = client.get(
            reverse("escalation:report"),
            {
                "start_day": "31",
                "start_month": "2",
                "start_year": "2026",
                "end_day": "x",
                "end_month": "3",
                "end_year": "2026",
            },
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "The start date must be a real date" in html
        assert "The end date must be a real date" in html
        assert "govuk-error-summary" in html
        assert "data-figure" not in html

    def test_a_range_over_two_years_is_refused(self, client, manager):
        client.force_login(manager)
        response = client.get(
            reverse("escalation:report"),
            {
                "start_day": "1",
                "start_month": "1",
                "start_year": "2023",
                "end_day": "1",
                "end_month": "6",
                "end_year": "2025",
            },
        )
        assert response.status_code == 400
        assert "The range can be at most two years" in response.content.decode()

    def test_an_end_before_the_start_is_refused(self, client, manager):
        client.force_login(manager)
        response = client.get(
            reverse("escalation:report_download", args=["csv"]),
            {
                "start_day": "2",
                "start_month": "1",
                "start_year": "2026",
                "end_day": "1",
                "end_month": "1",
                "end_year": "2026",
            },
        )
        assert response.status_code == 400
        assert "The end date must be the same as or after the start date" in response.content.decode()

    def test_the_api_refuses_bad_dates_with_a_message(self, client, manager):
        client.force_login(manager)
        response = client.get("/api/v1/reports/", {"start": "2026-02-31", "end": "2026-03-01"})
        assert response.status_code == 400
        assert "start" in response.json()


class TestWhoReadsTheReports:
    @pytest.mark.parametrize(
        ("factory", "allowed"),
        [
            (factories.OfficerFactory, False),
            (factories.ManagerFactory, True),
            (factories.ServiceDirectorFactory, True),
            (factories.ManagingDirectorFactory, True),
        ],
    )
    def test_page_downloads_api_and_navigation(self, client, db, factory, allowed):
        user = factory(username="reader")
        client.force_login(user)
        expected = 200 if allowed else 403
        assert client.get(reverse("escalation:report")).status_code == expected
        for fmt in ("csv", "xlsx", "ods"):
            assert client.get(reverse("escalation:report_download", args=[fmt])).status_code == expected
        assert client.get("/api/v1/reports/").status_code == expected
        home = client.get(reverse("moderation:case_list") if not allowed else reverse("escalation:report"))
        assert (f'href="{reverse("escalation:report")}"' in home.content.decode()) is allowed

    def test_signed_out_is_sent_to_sign_in(self, client, db):
        response = client.get(reverse("escalation:report"))
        assert response.status_code == 302
        assert "/sign-in/" in response["Location"]
        assert client.get("/api/v1/reports/").status_code in (401, 403)

    def test_an_integration_token_is_refused(self, client, db, manager):
        from moderation.services import integration_create

        _, token = integration_create(actor=manager, name="Scheduler", channels=[])
        response = client.get("/api/v1/reports/", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 403

    def test_a_superuser_without_a_role_reads_no_report(self, client, db):
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.create_superuser("root", "root@council.example", "pw-long-enough-1")
        client.force_login(admin)
        assert client.get(reverse("escalation:report")).status_code == 403


# hypothesis wants naive bounds (the times are made aware in the test)
NAIVE_FROM, NAIVE_TO = datetime(2026, 3, 20), datetime(2026, 11, 10)  # noqa: DTZ001


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.datetimes(min_value=NAIVE_FROM, max_value=NAIVE_TO),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_working_time_in_sql_agrees_with_the_calendar(db, start, length):
    """The SQL binary search over the office's working intervals gives the Python calendar's working
    time, across weekends, bank holidays and the clocks going back and forward."""
    from django.db import connection

    hours = policy.current().office_hours
    a = start.replace(tzinfo=UTC)
    b = a + length
    calendar = calendar_between(date(2026, 3, 1), date(2027, 1, 31), hours)
    sql = (
        "WITH cal AS (SELECT %s::timestamptz[] AS starts, %s::float8[] AS before, %s::float8[] AS lengths) "  # noqa: S608
        f"SELECT ({working_seconds_sql('%s::timestamptz')}) FROM cal"
    )
    with connection.cursor() as cursor:
        seconds = []
        for moment in (a, b):
            # the column appears several times in the expression: one parameter per appearance
            n = sql.count("%s") - 3
            cursor.execute(sql, [calendar.starts, calendar.before, calendar.lengths, *([moment] * n)])
            seconds.append(cursor.fetchone()[0])
    assert seconds[1] - seconds[0] == pytest.approx(working_time_between(a, b, hours=hours).total_seconds(), abs=1e-3)
