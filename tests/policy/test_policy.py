"""The policy as configuration: versions, who publishes them, what they refuse, and what follows them."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.urls import reverse

from config.models import SecurityEvent, SecurityEventKind
from moderation import clock, services
from moderation.constants import Platform, Priority
from moderation.models import Case
from policy import services as policy
from policy.models import EVERY_DAY, BankHolidays, PolicyVersion
from tests import factories

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def superuser():
    return factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)


def record(officer, channel, *, when: datetime, priority=Priority.NORMAL) -> Case:
    with clock.travel_to(when):
        return services.case_record(
            actor=officer,
            platform=Platform.FACEBOOK,
            handle="someone",
            posts=[services.PostData(channel=channel, posted_at=when, text="Abuse.")],
            reason="Abusive.",
            rules=[factories.rule("abusive")],
            priority=priority,
        ).case


class TestVersions:
    def test_the_deployment_starts_on_version_1_from_its_settings(self, settings):
        version = policy.current()
        assert version.number == 1
        assert version.organisation_name == settings.ORGANISATION_NAME
        assert version.first_response_working_days == Decimal("1")
        assert version.working_weekdays == [0, 1, 2, 3, 4]

    def test_a_change_is_a_new_version_with_who_and_why_and_its_event(self, superuser):
        version = policy.revise(by=superuser, reason="HMCTS aims at two working days.", first_response_working_days=2)
        assert version.number == 2
        assert version.created_by_label == superuser.get_full_name()
        assert PolicyVersion.objects.get(number=1).first_response_working_days == 1  # history kept
        assert policy.current().pk == version.pk
        event = SecurityEvent.objects.filter(kind=SecurityEventKind.POLICY_PUBLISHED).get()
        assert event.actor_id == superuser.pk
        assert event.detail["version"] == 2
        assert event.detail["changed"] == {"first_response_working_days": ["1.0", "2"]}

    def test_publishing_the_same_policy_again_changes_nothing(self):
        policy.revise(reason="Twice.", police_force="Police Scotland")
        again = policy.revise(reason="Twice.", police_force="Police Scotland")
        assert again.number == 2
        assert PolicyVersion.objects.count() == 2
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.POLICY_PUBLISHED).count() == 1

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"working_weekdays": []}, "working_weekdays", "at least one working day"),
            ({"opening_time": time(17), "closing_time": time(9)}, "closing_time", "after opening time"),
            (
                {
                    "emergency_weekdays": EVERY_DAY,
                    "emergency_opening_time": time(20),
                    "emergency_closing_time": time(8),
                },
                "emergency_closing_time",
                "end after it starts",
            ),
            (
                {"closure_days": [date(2026, 12, 29)], "extra_working_days": [date(2026, 12, 29)]},
                "extra_working_days",
                "both closed and an extra working day",
            ),
            ({"first_response_working_days": Decimal("0")}, "first_response_working_days", "greater than or equal"),
        ],
    )
    def test_a_policy_that_cannot_work_is_refused_with_the_reason(self, change, field, message):
        with pytest.raises(ValidationError) as refused:
            policy.revise(reason="Broken.", **change)
        assert message in " ".join(refused.value.message_dict[field])
        assert PolicyVersion.objects.count() == 1

    def test_a_version_is_never_rewritten_in_the_database(self):
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE policy_policyversion SET organisation_name = 'Rewritten'")
        with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
            PolicyVersion.objects.all().delete()
        assert PolicyVersion.objects.get().organisation_name != "Rewritten"


class TestWhatFollowsIt:
    def test_a_case_keeps_the_version_and_deadline_it_was_recorded_under(self, officer, channel):
        monday = datetime(2027, 1, 11, 10, tzinfo=LONDON)
        before = record(officer, channel, when=monday)
        assert before.response_due_at == datetime(2027, 1, 12, 10, tzinfo=LONDON)  # one working day
        policy.revise(reason="Two days.", first_response_working_days=2)
        after = record(officer, channel, when=monday)
        assert after.response_due_at == datetime(2027, 1, 13, 10, tzinfo=LONDON)
        before.refresh_from_db()
        assert before.response_due_at == datetime(2027, 1, 12, 10, tzinfo=LONDON)
        assert (before.policy_version.number, after.policy_version.number) == (1, 2)

    def test_a_scottish_calendar_skips_st_andrews_day(self, officer, channel):
        policy.revise(reason="Scotland.", bank_holidays=BankHolidays.SCOTLAND)
        friday = datetime(2026, 11, 27, 10, tzinfo=LONDON)  # Monday 30 November is St Andrew's Day
        assert record(officer, channel, when=friday).response_due_at == datetime(2026, 12, 1, 10, tzinfo=LONDON)

    def test_an_urgent_case_is_timed_in_the_emergency_cover(self, officer, channel):
        policy.revise(reason="Weekend cover.", emergency_weekdays=EVERY_DAY, emergency_on_bank_holidays=True)
        saturday = datetime(2026, 12, 26, 10, tzinfo=LONDON)  # Boxing Day, a Saturday
        urgent = record(officer, channel, when=saturday, priority=Priority.URGENT)
        normal = record(officer, channel, when=saturday)
        assert urgent.response_due_at == datetime(2026, 12, 27, 10, tzinfo=LONDON)  # Sunday
        assert normal.response_due_at == datetime(2026, 12, 29, 17, tzinfo=LONDON)  # Tue 29 09:00 + one day

    def test_a_change_reaches_a_live_page_without_a_restart(self, client, officer):
        client.force_login(officer)
        assert "North Hertfordshire District Council" in client.get(reverse("moderation:case_list")).text
        policy.revise(reason="Renamed.", organisation_name="Hart District Council")
        assert "Hart District Council" in client.get(reverse("moderation:case_list")).text


class TestTheAdmin:
    URL = "admin:policy_policyversion_add"

    def test_a_superuser_publishes_a_version_from_the_active_one(self, client, superuser):
        client.force_login(superuser)
        page = client.get(reverse(self.URL))
        assert page.status_code == 200
        form = page.context["adminform"].form
        data = {name: form[name].value() for name in form.fields}
        assert data["organisation_name"] == "North Hertfordshire District Council"
        data = {key: value for key, value in data.items() if value is not None}
        data.update(
            reason="Our Christmas shutdown.",
            closure_days="2026-12-29,2026-12-30,2026-12-31",
            opening_time="09:00",
            closing_time="17:00",
            emergency_opening_time="09:00",
            emergency_closing_time="17:00",
        )
        response = client.post(reverse(self.URL), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert policy.current().closure_days == [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
        assert policy.current().created_by_id == superuser.pk

    def test_a_policy_without_a_working_day_is_refused_on_the_page(self, client, superuser):
        client.force_login(superuser)
        response = client.post(
            reverse(self.URL),
            {"reason": "Oops.", "organisation_name": "X", "policy_url": "https://x.example", "team_email": "a@b.c"},
        )
        assert response.status_code == 200
        assert "This field is required" in response.text or "at least one working day" in response.text
        assert PolicyVersion.objects.count() == 1

    def test_versions_are_read_only_and_never_deleted(self, client, superuser):
        client.force_login(superuser)
        first = PolicyVersion.objects.get()
        change = client.get(reverse("admin:policy_policyversion_change", args=[first.pk]))
        assert change.status_code == 200
        assert 'name="_save"' not in change.text
        assert client.post(reverse("admin:policy_policyversion_delete", args=[first.pk])).status_code == 403

    @pytest.mark.parametrize("role", ["officer", "manager", "md"])
    def test_no_role_but_a_superuser_reads_or_changes_it(self, client, role, request):
        user = request.getfixturevalue(role)
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get(reverse("admin:policy_policyversion_changelist")).status_code in (302, 403)
        assert client.get(reverse(self.URL)).status_code in (302, 403)


class TestLadderGaps:
    def test_a_step_no_active_user_can_take_is_a_warning_not_a_refusal(self, client, manager, md):
        from django.core.management import call_command

        from escalation.checks import ladder_can_be_walked

        superuser = factories.UserFactory(username="root.admin", is_superuser=True, is_staff=True)
        factories.SafeguardingLeadFactory()  # safeguarding cases need a lead too (issue 12)
        assert ladder_can_be_walked(None) == []
        md.is_active = False
        md.save()
        warnings = [w.msg for w in ladder_can_be_walked(None)]
        assert "The Managing Director acknowledges every block, and no active user has that role." in warnings
        assert "The Managing Director decides appeals, and no active user has that role." in warnings
        call_command("check")  # a warning, not an error
        client.force_login(superuser)
        page = client.get(reverse("admin:policy_policyversion_changelist")).text
        assert "no active user has that role" in page
        policy.revise(reason="No acknowledgement, no appeals.", head_acknowledges_blocks=False, appeals=False)
        assert ladder_can_be_walked(None) == []


class TestTheWarningTemplate:
    def test_the_draft_follows_the_policys_template(self, officer):
        case = factories.OpenCaseFactory(recorded_by=officer)
        policy.revise(
            reason="Our own words.",
            warning_template="Dear {{ name }}, see {{ policy_url }}. {{ organisation }}",
        )
        from escalation.services import warning_default_text

        text = warning_default_text(case)
        assert text.startswith("Dear ")
        assert "North Hertfordshire District Council" in text

    @pytest.mark.parametrize(
        ("template", "message"),
        [
            ("Hi {{ name }} {% include 'base.html' %}", "template tags"),
            ("Hi {{ nmae }}", "Unknown placeholder: {{ nmae }}"),
            ("Hi {{ name ", "cannot be read"),
        ],
    )
    def test_a_template_that_cannot_work_is_refused(self, template, message):
        with pytest.raises(ValidationError) as refused:
            policy.revise(reason="Typo.", warning_template=template)
        assert message in " ".join(refused.value.message_dict["warning_template"])
