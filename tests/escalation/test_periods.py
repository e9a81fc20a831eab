"""Periods that change the rules (issue 12, Hart's policy): pre-election periods and crisis mode."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from escalation import periods
from escalation.models import CrisisPeriod
from moderation import clock, flags
from moderation.constants import CaseOutcome, CaseStatus, EventKind, FlagKind, Priority
from moderation.models import CaseEvent, ElectionPeriod, FlagRule, HouseRule, OutboxMessage
from tests import factories


def today() -> date:
    return timezone.localdate(clock.now())


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Crisis mode ---------------------------------------------------------------------------------


def test_a_manager_switches_crisis_mode_on_and_every_open_case_and_the_team_hear_of_it(manager, officer, md):
    open_case = factories.OpenCaseFactory()
    closed = factories.OpenCaseFactory(status=CaseStatus.CLOSED, closed_at=clock.now(), outcome=CaseOutcome.NO_ACTION)

    crisis = periods.crisis_start(actor=manager, reason="Flooding in Hitchin: urgent updates only")

    assert CrisisPeriod.objects.get().in_force
    [event] = CaseEvent.objects.filter(kind=EventKind.CRISIS_STARTED)
    assert (event.case_id, event.actor, event.note) == (
        open_case.pk,
        manager,
        "Flooding in Hitchin: urgent updates only",
    )
    assert not CaseEvent.objects.filter(case=closed, kind=EventKind.CRISIS_STARTED).exists()
    message = OutboxMessage.objects.get(key=f"crisis-started:{crisis.pk}")
    assert {officer.email, manager.email, md.email} <= set(message.recipients)
    assert "Flooding in Hitchin" in message.body


def test_crisis_mode_once_at_a_time_with_a_reason_and_only_by_a_manager(manager, other_manager, officer, admin_user):
    with pytest.raises(ValidationError, match="Enter the reason"):
        periods.crisis_start(actor=manager, reason=" \x00 ")
    with pytest.raises(PermissionDenied):
        periods.crisis_start(actor=officer, reason="Storm")
    with pytest.raises(PermissionDenied):  # an administrator configures; they do not run the team
        periods.crisis_start(actor=admin_user, reason="Storm")
    assert not CrisisPeriod.objects.exists()

    periods.crisis_start(actor=manager, reason="Storm")
    with pytest.raises(ValidationError, match="already on"):
        periods.crisis_start(actor=other_manager, reason="Another storm")
    assert CrisisPeriod.objects.count() == 1


def test_switching_off_marks_every_case_open_during_the_crisis_once(manager, other_manager):
    before = factories.OpenCaseFactory()
    crisis = periods.crisis_start(actor=manager, reason="Storm")
    during = factories.OpenCaseFactory()  # recorded while it was on ...
    during.status, during.closed_at, during.outcome = CaseStatus.CLOSED, clock.now(), CaseOutcome.NO_ACTION
    during.save()  # ... and closed before it ended
    periods.crisis_end(actor=other_manager, crisis=crisis, note="Water receding")
    after = factories.OpenCaseFactory()

    crisis.refresh_from_db()
    assert (crisis.in_force, crisis.ended_by, crisis.end_note) == (False, other_manager, "Water receding")
    ended = CaseEvent.objects.filter(kind=EventKind.CRISIS_ENDED)
    assert sorted(ended.values_list("case_id", flat=True)) == sorted([before.pk, during.pk])
    assert not CaseEvent.objects.filter(case=after).exclude(kind=EventKind.CASE_RECORDED).exists()
    assert OutboxMessage.objects.filter(key=f"crisis-ended:{crisis.pk}").exists()
    with pytest.raises(ValidationError, match="already switched off"):
        periods.crisis_end(actor=manager, crisis=crisis)
    assert CaseEvent.objects.filter(kind=EventKind.CRISIS_ENDED).count() == 2


def test_the_crisis_page_is_for_managers_and_refuses_an_empty_reason_in_the_form(manager, officer, md):
    assert signed_in(officer).get(reverse("escalation:crisis")).status_code == 403
    assert signed_in(md).get(reverse("escalation:crisis")).status_code == 403
    client = signed_in(manager)
    page = client.get(reverse("escalation:crisis"))
    assert page.status_code == 200
    assert "Switch crisis mode on" in page.text

    refused = client.post(reverse("escalation:crisis"), {"reason": "   "})
    assert refused.status_code == 200
    assert "There is a problem" in refused.text
    assert "Enter what has happened" in refused.text
    assert not CrisisPeriod.objects.exists()
    too_long = client.post(reverse("escalation:crisis"), {"reason": "x" * 2001})
    assert "2,000 characters or fewer" in too_long.text
    assert not CrisisPeriod.objects.exists()


def test_every_page_of_every_role_shows_crisis_mode_at_once_and_the_queue_lists_urgent_first(manager, officer, md):
    normal_soon = factories.OpenCaseFactory(priority=Priority.NORMAL, response_due_at=clock.now() + timedelta(hours=1))
    urgent_later = factories.OpenCaseFactory(priority=Priority.URGENT, response_due_at=clock.now() + timedelta(days=3))
    officer_client = signed_in(officer)  # another person's browser, already using the queue
    queue = officer_client.get(reverse("moderation:case_list")).text
    assert "Crisis mode" not in queue
    assert queue.index(f'/cases/{normal_soon.pk}/"') < queue.index(f'/cases/{urgent_later.pk}/"')

    manager_client = signed_in(manager)
    switched = manager_client.post(reverse("escalation:crisis"), {"reason": "Flooding in Hitchin"}, follow=True)
    assert "Crisis mode is on" in switched.text

    queue = officer_client.get(reverse("moderation:case_list")).text  # the next page load, no wait
    assert "Crisis mode" in queue
    assert "Flooding in Hitchin" in queue
    assert queue.index(f'/cases/{urgent_later.pk}/"') < queue.index(f'/cases/{normal_soon.pk}/"')
    assert "Switch crisis mode off" not in queue  # the officer may not
    assert "Crisis mode" in signed_in(md).get(reverse("escalation:decision_list")).text
    case_page = officer_client.get(reverse("moderation:case_detail", args=[normal_soon.pk])).text
    assert "Crisis mode switched on" in case_page  # on its timeline

    crisis = CrisisPeriod.objects.get()
    manager_client.post(reverse("escalation:crisis"), {"note": "All clear"})
    crisis.refresh_from_db()
    assert not crisis.in_force
    assert "Crisis mode" not in officer_client.get(reverse("moderation:case_list")).text.split("<main")[0]


def test_the_notices_cost_no_query_once_read(officer, django_assert_num_queries):
    periods.notices()
    with django_assert_num_queries(0):
        periods.notices()


# --- Pre-election periods --------------------------------------------------------------------------


@pytest.fixture
def election(db):
    return ElectionPeriod.objects.create(
        name="District council elections, 6 May 2027",
        starts_on=today() - timedelta(days=3),
        ends_on=today() + timedelta(days=30),
    )


def test_a_pre_election_period_shows_on_every_page_while_it_is_on(officer, md):
    client = signed_in(officer)
    assert "Pre-election period" not in client.get(reverse("moderation:case_list")).text
    period = ElectionPeriod.objects.create(
        name="County elections", starts_on=today(), ends_on=today() + timedelta(days=40)
    )
    page = client.get(reverse("moderation:case_list")).text  # saved in the admin: shown on the next page
    assert "Pre-election period" in page
    assert "County elections" in page
    assert "Pre-election period" in signed_in(md).get(reverse("escalation:decision_list")).text
    period.ends_on = today() - timedelta(days=1)
    period.starts_on = today() - timedelta(days=10)
    period.save()
    assert "Pre-election period" not in client.get(reverse("moderation:case_list")).text


def test_the_admin_refuses_a_period_that_ends_before_it_starts_or_runs_for_months(db):
    with pytest.raises(ValidationError, match="same as or after the first day"):
        ElectionPeriod(name="Backwards", starts_on=date(2027, 5, 6), ends_on=date(2027, 4, 1)).full_clean()
    with pytest.raises(ValidationError, match="at most 6 months"):
        ElectionPeriod(name="Too long", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 1)).full_clean()
    ElectionPeriod(name="Polling day only", starts_on=date(2027, 5, 6), ends_on=date(2027, 5, 6)).full_clean()


def test_party_political_rules_are_offered_first_during_the_period(officer, election):
    party = HouseRule.objects.create(code="party-political", title="Party political", party_political=True, position=99)
    page = signed_in(officer).get(reverse("moderation:case_create")).text
    assert page.index(party.title) < page.index("Abusive")
    assert "A pre-election period is on" in page

    election.delete()
    page = signed_in(officer).get(reverse("moderation:case_create")).text
    assert page.index("Abusive") < page.index(party.title)


def test_a_flag_rule_on_candidate_names_runs_during_its_period_only(channel, election):
    rule = FlagRule.objects.create(
        name="Candidates",
        kind=FlagKind.WORD_LIST,
        terms="Jo Bloggs\n",
        house_rule=factories.rule("abusive"),
        election_period=election,
    )
    account = factories.SocialAccountFactory()
    during = factories.PostFactory(channel=channel, account=account, text="Vote Jo Bloggs out")
    assert [f.rule for f in flags.flags_evaluate(posts=[during])] == [rule]

    election.starts_on, election.ends_on = today() - timedelta(days=60), today() - timedelta(days=1)
    election.save()
    after = factories.PostFactory(channel=channel, account=account, text="Jo Bloggs again")
    assert flags.flags_evaluate(posts=[after]) == []


class TestPeriodDates(HypothesisTestCase):
    @settings(max_examples=40, deadline=None)
    @given(start=st.dates(date(2020, 1, 1), date(2035, 1, 1)), length=st.integers(-400, 400))
    def test_a_period_is_on_exactly_from_its_first_to_its_last_day(self, start, length):
        end = start + timedelta(days=length)
        period = ElectionPeriod(name="Any", starts_on=start, ends_on=end)
        try:
            period.full_clean()
        except ValidationError:
            assert length < 0 or length > 183
            return
        period.save()
        for day in (start - timedelta(days=1), start, end, end + timedelta(days=1)):
            assert (
                ElectionPeriod.objects.on(day).filter(pk=period.pk).exists()
                == period.is_on(day)
                == (start <= day <= end)
            )


@pytest.mark.parametrize("slug", ["hart", "hmcts"])
def test_the_presets_that_name_a_pre_election_period_mark_their_party_political_rule(db, slug):
    from moderation.policy_presets import preset_apply

    preset_apply(slug)
    assert list(HouseRule.objects.filter(is_active=True, party_political=True).values_list("code", flat=True)) == [
        "party-political"
    ]
