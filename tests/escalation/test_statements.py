"""Statements of reasons (issue 14): one for each restricting decision, on the case page with its
plain-language version, per case as JSON, in bulk for a range as JSON lines and CSV for managers; the
bulk export checked against the schema's field list and allowed values."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from escalation.constants import AppealStatus, BlockKind, BlockScope
from escalation.models import Appeal
from escalation.statements import ALLOWED, FIELDS, LIST_FIELDS, REQUIRED, between, safe_cell
from moderation import clock
from moderation.constants import EventKind, FlagKind, FlagStatus
from moderation.models import CaseEvent, Flag, FlagRule
from tests import factories

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
RANGE = {
    "start_day": "1",
    "start_month": "11",
    "start_year": "2026",
    "end_day": "30",
    "end_month": "11",
    "end_year": "2026",
}


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def decisions(db, officer, manager, md):
    """A flagged case with a hidden post, a warning sent, a block, an upheld appeal, and a channel ban on
    a second case (not flagged); and a post deleted in October, outside the range."""
    with clock.travel_to(at(2, 9)):
        case = factories.OpenCaseFactory(recorded_by=officer, reason="Called a resident an idiot twice.")
        post = case.posts.get()
        rule = FlagRule.objects.create(
            name="Insults", kind=FlagKind.WORD_LIST, terms="idiot", house_rule=factories.rule("abusive")
        )
        Flag.objects.create(post=post, rule=rule, reason="a listed word", status=FlagStatus.CONFIRMED)
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.POST_HIDDEN,
            actor=officer,
            actor_label="o",
            at=at(2, 10),
            subject_type="post",
            subject_id=post.pk,
        )
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.POST_DELETED,
            actor=officer,
            actor_label="o",
            at=at(30, 10, month=10),
            subject_type="post",
            subject_id=post.pk,
        )
        factories.SentWarningFactory(case=case, drafted_by=officer, sent_by=officer, sent_at=at(3))
        block = factories.ActiveBlockFactory(case=case, proposed_by=officer, started_at=at(10))
        Appeal.objects.create(
            block=block,
            status=AppealStatus.UPHELD,
            received_at=at(20),
            recorded_by=officer,
            window_opens_at=block.appeal_opens_at,
            decided_by=md,
            decided_at=at(25),
            decision_reason="Still abusive.",
        )
        other = factories.OpenCaseFactory(
            recorded_by=officer,
            reason='=HYPERLINK("x") false claim about bin days',
            rules=[factories.rule("misinformation")],
        )
        ban = factories.ActiveBlockFactory(
            case=other,
            kind=BlockKind.CHANNEL_BAN,
            scope=BlockScope.CHANNEL,
            channel=other.channel,
            proposed_by=officer,
            started_at=at(12),
        )
    return {"case": case, "other": other, "block": block, "ban": ban}


class TestTheCasePage:
    def test_each_restricting_decision_has_a_statement_and_a_message(self, client, officer, decisions):
        client.force_login(officer)
        with clock.travel_to(NOW):
            html = client.get(reverse("moderation:case_detail", args=[decisions["case"].pk])).content.decode()
        assert "Statements of reasons" in html
        post = decisions["case"].posts.get().pk
        for title in (
            f"Post {post} hidden, 2 November 2026",
            f"Post {post} deleted, 30 October 2026",
            "Written warning",
            "Block ",
            "upheld, 25 November 2026",
        ):
            assert title in html
        assert "Plain-language version to send to the account owner" in html
        assert "we hid your post on our" in html
        assert "An automatic filter pointed the post out to our team" in html
        assert "No part of the decision was automatic." in html
        # the block's redress: the appeal route and when it opens (12 months after it started)
        assert "Appeal to the Communications Team" in html
        assert "10 November 2027" in html

    def test_a_channel_ban_can_be_challenged_at_any_time(self, client, officer, decisions):
        client.force_login(officer)
        with clock.travel_to(NOW):
            html = client.get(reverse("moderation:case_detail", args=[decisions["other"].pk])).content.decode()
        assert "Challenge the ban at any time" in html
        assert "banned you from interacting with our" in html

    def test_a_case_with_no_restriction_says_so(self, client, officer, db):
        case = factories.OpenCaseFactory(recorded_by=officer)
        client.force_login(officer)
        html = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        assert "No decision has restricted the account in this case yet." in html

    def test_the_case_export_is_for_case_readers(self, client, officer, director, decisions):
        client.force_login(officer)
        response = client.get(reverse("moderation:case_statements", args=[decisions["case"].pk]))
        assert response.status_code == 200
        items = json.loads(response.content)
        assert [item["puid"].split("-")[2] for item in items] == ["post", "post", "warning", "block", "appeal"]
        client.force_login(director)  # not a case of their service area
        assert client.get(reverse("moderation:case_statements", args=[decisions["case"].pk])).status_code == 403


def validate(statement: dict) -> list[str]:
    """What is wrong with one statement against the schema: its fields, required values, allowed values."""
    problems = []
    if list(statement) != list(FIELDS):
        problems.append(f"fields {list(statement)}")
    for name in REQUIRED:
        if statement.get(name) in ("", None, []):
            problems.append(f"{name} is empty")
    for name, allowed in ALLOWED.items():
        values = statement.get(name)
        values = values if name in LIST_FIELDS else [values]
        if name in LIST_FIELDS and not isinstance(statement.get(name), list):
            problems.append(f"{name} is not a list")
        problems += [f"{name}={value!r}" for value in values if value not in allowed]
    for name in ("content_date", "application_date", "redress_opens_on"):
        if statement[name]:
            datetime.strptime(statement[name], "%Y-%m-%d")  # noqa: DTZ007 (a date, checked for its form)
    if (
        statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
        and not statement["illegal_content_legal_ground"]
    ):
        problems.append("an illegal-content ground without the law")
    if (
        statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        and not statement["incompatible_content_ground"]
    ):
        problems.append("an incompatible-content ground without the rule")
    if "DECISION_VISIBILITY_OTHER" in statement["decision_visibility"] and not statement["decision_visibility_other"]:
        problems.append("visibility 'other' without saying what")
    return problems


class TestTheBulkExport:
    def test_json_lines_follow_the_schema(self, client, manager, decisions):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:statements_download", args=["jsonl"]), RANGE)
        assert response.status_code == 200
        assert "statements-of-reasons-2026-11-01-to-2026-11-30.jsonl" in response["Content-Disposition"]
        lines = [json.loads(line) for line in response.content.decode().splitlines()]
        # November only: hidden post, warning, block, channel ban, appeal (the October deletion is out)
        assert [line["puid"].split("-")[2] for line in lines] == ["post", "warning", "block", "block", "appeal"]
        for line in lines:
            assert validate(line) == [], line["puid"]
            assert line["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
            assert line["territorial_scope"] == ["GB"]
        by_puid = {line["puid"]: line for line in lines}
        ban = by_puid[f"case-{decisions['other'].pk}-block-{decisions['ban'].pk}"]
        assert ban["automated_detection"] == "No"  # no flag on that case
        assert ban["category"] == "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
        block = by_puid[f"case-{decisions['case'].pk}-block-{decisions['block'].pk}"]
        assert block["automated_detection"] == "Yes"  # a flag rule raised it
        assert block["category"] == "STATEMENT_CATEGORY_ONLINE_BULLYING_INTIMIDATION"
        assert block["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert block["redress_opens_on"] == "2027-11-10"

    def test_the_csv_has_the_same_statements(self, client, manager, decisions):
        client.force_login(manager)
        with clock.travel_to(NOW):
            response = client.get(reverse("escalation:statements_download", args=["csv"]), RANGE)
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == 5
        assert list(rows[0]) == list(FIELDS)
        for row in rows:
            statement = {name: row[name].split(";") if name in LIST_FIELDS else row[name] for name in FIELDS}
            assert validate(statement) == [], row["puid"]
        # what staff typed never runs as a formula in a spreadsheet
        ban = next(row for row in rows if row["puid"].startswith(f"case-{decisions['other'].pk}-"))
        assert ban["incompatible_content_explanation"].startswith("'=HYPERLINK")

    def test_a_police_report_makes_the_ground_illegal_content(self, client, manager, decisions):
        from escalation.models import PoliceReport

        PoliceReport.objects.create(
            case=decisions["case"], force="Herts", reference="HC/1", reported_on=at(11).date(), recorded_by=manager
        )
        items = between(at(1, 0), at(30, 23))
        for item in items:
            if item.fields["puid"].startswith(f"case-{decisions['case'].pk}-"):
                assert item.fields["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
                assert validate(item.fields) == []

    @pytest.mark.parametrize(
        ("factory", "allowed"),
        [
            (factories.OfficerFactory, False),
            (factories.ServiceDirectorFactory, False),
            (factories.ManagerFactory, True),
            (factories.ManagingDirectorFactory, True),
        ],
    )
    def test_only_managers_and_the_head_export_them(self, client, db, factory, allowed):
        client.force_login(factory(username="exporter"))
        for fmt in ("jsonl", "csv"):
            response = client.get(reverse("escalation:statements_download", args=[fmt]), RANGE)
            assert response.status_code == (200 if allowed else 403)
        page = client.get(reverse("escalation:report"))
        if page.status_code == 200:
            assert ("statements.jsonl" in page.content.decode()) is allowed

    def test_bad_dates_are_refused_with_the_reason(self, client, manager):
        client.force_login(manager)
        response = client.get(reverse("escalation:statements_download", args=["csv"]), {**RANGE, "start_month": "13"})
        assert response.status_code == 400
        assert "The start date must be a real date" in response.content.decode()

    def test_a_fixed_number_of_queries(self, decisions, django_assert_max_num_queries):
        with django_assert_max_num_queries(8):
            items = between(at(1, 0), at(30, 23) + timedelta(hours=1))
            [item.plain_text for item in items]


@pytest.mark.parametrize("text", ["=1+1", "+44", "-x", "@SUM", "plain", ""])
def test_safe_cell(text):
    assert safe_cell(text) == ("'" + text if text[:1] in "=+-@" and text else text)
