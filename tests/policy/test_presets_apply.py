"""The shipped presets, applied: each organisation's published policy runs as it reads."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.models import SecurityEvent, SecurityEventKind
from escalation import services as escalation
from escalation.constants import BlockScope, BlockStatus, SignOffKind, WarningStatus
from escalation.models import SignOff
from moderation import clock
from moderation import services as moderation
from moderation.constants import Platform, Visibility
from moderation.models import HouseRule
from moderation.policy_presets import preset_apply
from policy import services as policy
from policy.models import PolicyVersion
from policy.presets import presets
from tests import factories

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def record(officer, channel, rule_codes, *, when=None):
    when = when or clock.now()
    with clock.travel_to(when):
        return moderation.case_record(
            actor=officer,
            platform=Platform.FACEBOOK,
            handle="a.resident",
            posts=[
                moderation.PostData(channel=channel, posted_at=when, text="My neighbour at 4 Elm Road, 07700 900123.")
            ],
            reason="As the policy says.",
            rules=[HouseRule.objects.get(code=code) for code in rule_codes],
        ).case


@pytest.mark.parametrize("slug", sorted(presets()))
def test_every_preset_applies_and_applying_it_again_changes_nothing(slug):
    first = preset_apply(slug)
    assert first.changed_anything
    assert policy.current().preset == slug
    assert set(HouseRule.objects.filter(is_active=True).values_list("code", flat=True)) == {
        rule.code for rule in first.preset.rules
    }
    versions, events = PolicyVersion.objects.count(), SecurityEvent.objects.count()
    again = preset_apply(slug)
    assert not again.changed_anything
    assert (PolicyVersion.objects.count(), SecurityEvent.objects.count()) == (versions, events)


def test_the_command_names_the_presets_and_refuses_an_unknown_one():
    out = StringIO()
    call_command("policy_preset", "hart", stdout=out)
    assert "policy version 2" in out.getvalue()
    out = StringIO()
    call_command("policy_preset", "hart", stdout=out)
    assert "already the active policy" in out.getvalue()
    with pytest.raises(CommandError, match="No preset “leeds”. The presets are: cafcass, hart, hmcts, hmpps, nhdc"):
        call_command("policy_preset", "leeds")


def test_a_case_citing_a_retired_rule_keeps_it():
    case = factories.OpenCaseFactory(rules=[factories.rule("contempt-of-court")])
    preset_apply("hart")
    assert not HouseRule.objects.get(code="contempt-of-court").is_active
    assert [rule.code for rule in case.rules.all()] == ["contempt-of-court"]
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.POLICY_PUBLISHED).count() == 2  # version, rules


class TestHMCTS:
    @pytest.fixture(autouse=True)
    def hmcts(self):
        preset_apply("hmcts")

    def test_first_response_is_due_in_two_working_days(self, officer, channel):
        monday = datetime(2027, 1, 11, 10, tzinfo=LONDON)
        case = record(officer, channel, ["abusive"], when=monday)
        assert case.response_due_at == datetime(2027, 1, 13, 10, tzinfo=LONDON)

    def test_deleting_a_post_for_personal_information_keeps_no_copy(self, officer, channel, manager):
        case = record(officer, channel, ["personal-information"])
        post = case.posts.get()
        moderation.post_set_visibility(actor=officer, post=post, visibility=Visibility.DELETED)
        post.refresh_from_db()
        assert "Elm Road" not in post.text
        assert "07700" not in post.text
        assert post.text.startswith("[redacted: personal information")
        assert "Elm Road" not in str(list(case.events.values_list("after", flat=True)))

    def test_rules_for_identifying_staff_and_for_party_politics_exist(self):
        active = set(HouseRule.objects.filter(is_active=True).values_list("code", flat=True))
        assert {"identifying-staff", "party-political"} <= active


class TestCafcass:
    @pytest.fixture(autouse=True)
    def cafcass(self):
        preset_apply("cafcass")

    def test_a_warning_goes_out_without_sign_off(self, officer, channel):
        case = record(officer, channel, ["abusive"])
        warning = escalation.warning_draft(actor=officer, case=case)
        with pytest.raises(ValidationError, match="needs no sign-off"):
            escalation.warning_submit(actor=officer, warning=warning)
        warning = escalation.warning_mark_sent(actor=officer, warning=warning)
        assert warning.status == WarningStatus.SENT
        assert not SignOff.objects.filter(kind=SignOffKind.WARNING).exists()

    def test_no_page_email_or_api_offers_an_appeal(self, client, officer, md):
        block = factories.AppealEligibleBlockFactory()
        with pytest.raises(ValidationError, match="does not offer appeals"):
            escalation.appeal_record(actor=officer, block=block)
        assert escalation.appeal_windows_flag() == []
        client.force_login(officer)
        queue = client.get(reverse("moderation:case_list")).text
        assert reverse("escalation:appeal_list") not in queue
        assert client.get(reverse("escalation:appeal_list")).status_code == 403
        assert client.get(reverse("escalation:appeal_create", args=[block.pk])).status_code in (403, 404)
        block_page = client.get(reverse("escalation:block_detail", args=[block.pk])).text
        assert "Log an appeal" not in block_page
        assert "Appeal can be heard from" not in block_page
        api = client.get(reverse("api:block_list")).json()
        assert all(row.get("appeal_opens_at") is None for row in api["results"])
        assert client.get(reverse("api:appeal_list")).status_code == 404

    def test_a_safeguarding_rule_exists_and_is_marked(self):
        assert HouseRule.objects.filter(is_active=True, safeguarding=True).exists()


class TestHMPPS:
    @pytest.fixture(autouse=True)
    def hmpps(self):
        preset_apply("hmpps")

    def test_a_block_under_an_ordinary_rule_needs_a_warning_first(self, officer, manager, channel):
        case = record(officer, channel, ["abusive"])
        with pytest.raises(ValidationError, match="needs a written warning before a block"):
            escalation.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason="Again.")
        factories.SentWarningFactory(case=case, drafted_by=officer, text=f"See {policy.current().policy_url}")
        block = escalation.block_propose(actor=officer, case=case, scope=BlockScope.ALL, reason="Warned, again.")
        assert block.status == BlockStatus.AWAITING_SIGNOFF

    def test_a_discriminatory_case_may_be_blocked_at_once(self, officer, manager, channel):
        case = record(officer, channel, ["discriminatory"])
        block = escalation.block_immediate(actor=manager, case=case, scope=BlockScope.ALL, reason="Racist abuse.")
        assert block.status == BlockStatus.ACTIVE

    def test_an_officer_may_block_a_discriminatory_case_at_once_but_not_an_ordinary_one(self, officer, channel):
        case = record(officer, channel, ["discriminatory"])
        block = escalation.block_immediate(actor=officer, case=case, scope=BlockScope.ALL, reason="Racist abuse.")
        assert block.status == BlockStatus.ACTIVE
        ordinary = record(officer, channel, ["abusive"])
        with pytest.raises(PermissionDenied, match="only when the case cites a zero-tolerance rule"):
            escalation.block_immediate(actor=officer, case=ordinary, scope=BlockScope.ALL, reason="Abuse.")

    def test_a_self_harm_rule_is_marked_safeguarding(self):
        assert HouseRule.objects.get(code="self-harm").safeguarding


class TestHart:
    @pytest.fixture(autouse=True)
    def hart(self):
        preset_apply("hart")

    def test_the_emergency_calendar_covers_weekends_and_bank_holidays(self):
        emergency = policy.current().emergency_hours
        assert emergency.is_working_day(date(2026, 12, 26))  # Boxing Day, a Saturday
        assert emergency.is_working_day(date(2027, 5, 3))  # Early May bank holiday
        assert not policy.current().office_hours.is_working_day(date(2027, 5, 3))

    def test_the_appendix_a_rules_are_the_house_rules(self):
        codes = list(HouseRule.objects.filter(is_active=True).values_list("code", flat=True))
        assert {"discriminatory", "abusive", "spam", "illegal", "party-political"} <= set(codes)


class TestAppealWaits:
    def test_the_wait_after_an_upheld_appeal_is_the_policys(self, officer, md):
        from escalation.constants import AppealStatus

        policy.revise(reason="Six months after a decision.", appeal_wait_after_upheld_months=6)
        block = factories.AppealEligibleBlockFactory()
        appeal = escalation.appeal_record(actor=officer, block=block)
        assert appeal.status == AppealStatus.UNDER_REVIEW
        decided_at = clock.now()
        with clock.travel_to(decided_at):
            escalation.appeal_decide(actor=md, appeal=appeal, overturn=False, reason="The block stays.")
        block.refresh_from_db()
        assert block.appeal_opens_at == escalation.add_calendar_months(decided_at, 6)


class TestAdviceFollowsTheLadder:
    def test_where_a_warning_must_come_first_the_advice_is_a_warning(self, officer, channel):
        from escalation.constants import Recommendation
        from escalation.selectors import account_standing

        preset_apply("nhdc")
        case = record(officer, channel, ["illegal"])
        assert account_standing(case.account, case=case).recommendation == Recommendation.BLOCK
        policy.revise(reason="Warn first.", warning_before_block="required")
        standing = account_standing(case.account, case=case)
        assert standing.recommendation == Recommendation.WARNING
        assert "warning before a block" in standing.reason
        assert standing.police_report  # a suspected offence is still worth reporting
        zero = record(officer, channel, ["discriminatory"])
        assert account_standing(zero.account, case=zero).recommendation == Recommendation.BLOCK
