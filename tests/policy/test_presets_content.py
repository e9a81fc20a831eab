"""The shipped presets say what their documents say: settings the policy knows, rules quoting the document's
own words, and each organisation's distinctive facts (issue 11's acceptance). No database: the policy
versions are built and validated in memory."""

from __future__ import annotations

import importlib
import re
from datetime import date
from pathlib import Path

import pytest
from django.forms.models import model_to_dict
from django.template import Context, Template

from moderation.constants import Platform, Severity
from policy.models import EVERY_DAY, MESSAGE_PLACEHOLDERS, WARNING_PLACEHOLDERS, PolicyVersion
from policy.presets import Preset, presets
from policy.services import from_settings

POLICIES = Path("/work/shared/policies")
SLUGS = ["cafcass", "hart", "hmcts", "hmpps", "nhdc"]
BOOKKEEPING = {"id", "number", "created_at", "created_by_id", "created_by_label", "reason", "preset", "notes"}
EDITABLE = {f.name for f in PolicyVersion._meta.get_fields() if getattr(f, "editable", False)} - BOOKKEEPING
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})

ALL = presets()


def normalise(text: str) -> str:
    """Whitespace (non-breaking spaces and line breaks included) collapsed, curly quotes made straight."""
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip()


def preset_params():
    return [pytest.param(ALL[slug], id=slug) for slug in SLUGS]


def rules(preset: Preset) -> dict:
    return {rule.code: rule for rule in preset.rules}


def version(preset: Preset) -> PolicyVersion:
    """The policy version the preset publishes: the deployment's settings under the preset's."""
    defaults = model_to_dict(from_settings(), fields=sorted(EDITABLE))
    return PolicyVersion(**{**defaults, **preset.settings}, reason="Preset applied.", notes=preset.notes)


def test_every_organisation_has_a_preset():
    assert sorted(ALL) == SLUGS


@pytest.mark.parametrize("preset", preset_params())
class TestEveryPreset:
    def test_its_module_is_named_by_its_slug_and_names_a_document(self, preset):
        assert importlib.import_module(f"policy.presets.{preset.slug}").PRESET is preset
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", preset.document)
        assert preset.name
        assert preset.notes

    def test_its_settings_are_policy_fields(self, preset):
        unknown = set(preset.settings) - EDITABLE
        assert not unknown, f"not PolicyVersion settings: {sorted(unknown)}"
        for name in ("organisation_name", "policy_url", "working_weekdays", "opening_time", "closing_time"):
            assert name in preset.settings, f"{preset.slug} does not set {name}"

    def test_its_settings_make_a_policy_that_works(self, preset):
        policy = version(preset)
        policy.clean_fields(exclude=["number", "created_at", "created_by_id", "created_by_label", "preset"])
        policy.clean()

    def test_its_rule_codes_are_slugs_and_unique(self, preset):
        codes = [rule.code for rule in preset.rules]
        assert codes, "a preset without house rules"
        assert len(codes) == len(set(codes)), f"duplicate codes in {preset.slug}"
        for rule in preset.rules:
            assert SLUG.match(rule.code), rule.code
            assert len(rule.code) <= 50, rule.code
            assert rule.title, rule.code
            assert len(rule.title) <= 200, rule.code
            assert rule.severity in Severity.values, rule.code
            assert rule.appeal_wait_months >= 0, rule.code

    def test_every_guidance_quotes_its_document(self, preset):
        path = POLICIES / preset.document
        if not POLICIES.is_dir():
            pytest.skip(f"{POLICIES} is not on this machine: the quotations cannot be compared with the documents")
        document = normalise(path.read_text(encoding="utf-8"))
        misquoted = [rule.code for rule in preset.rules if normalise(rule.guidance) not in document]
        assert not misquoted, f"{preset.slug}: guidance not found verbatim in {preset.document}: {misquoted}"

    def test_its_warning_links_the_policy_and_uses_only_known_placeholders(self, preset):
        template = version(preset).warning_template
        assert "{{ policy_url }}" in template
        assert "{%" not in template
        used = set(re.findall(r"{{\s*([^}|\s]+)", template))
        assert used <= set(WARNING_PLACEHOLDERS)
        text = Template(template).render(Context(dict.fromkeys(WARNING_PLACEHOLDERS, "X")))
        assert "{{" not in text
        assert text.strip()

    @pytest.mark.parametrize("field", sorted(set(MESSAGE_PLACEHOLDERS) - {"warning_template"}))
    def test_its_other_messages_are_its_own_and_use_only_their_placeholders(self, preset, field):
        template = getattr(version(preset), field)
        placeholders = MESSAGE_PLACEHOLDERS[field]
        assert "{{ name }}" in template
        assert "{{ policy_url }}" in template
        assert set(re.findall(r"{{\s*([^}|\s]+)", template)) <= set(placeholders)
        text = Template(template).render(Context(dict.fromkeys(placeholders, "X")))
        assert "{{" not in text
        if preset.slug != "nhdc":  # NHDC's words are the product's defaults
            assert field in preset.settings, f"{preset.slug} keeps NHDC's wording for {field}"

    def test_who_approves_a_block_and_who_may_block_at_once_are_stated(self, preset):
        assert preset.settings["block_approval"] in ("manager", "manager_or_director", "head")
        assert preset.settings["immediate_block"] in ("managers", "zero_tolerance", "nobody")
        assert "block at once" in preset.notes

    def test_its_demo_has_channels_on_real_platforms_and_service_areas(self, preset):
        channels = preset.demo["channels"]
        assert channels
        for channel in channels:
            assert set(channel) == {"name", "platform", "handle"}
            assert channel["platform"] in Platform.values
            assert channel["name"]
            assert channel["handle"]
        pairs = [(c["platform"], c["handle"].lower()) for c in channels]
        assert len(pairs) == len(set(pairs)), "two demo channels on one platform share a handle"
        areas = preset.demo["service_areas"]
        assert areas
        assert len(areas) == len(set(areas))


# --- what each document says that the others do not


def test_nhdc_replies_within_one_working_day_and_bans_misinformation_from_the_channel():
    nhdc = ALL["nhdc"]
    assert nhdc.settings["first_response_working_days"] == 1
    assert nhdc.settings["warning_signoff"] == "manager_or_director"
    assert nhdc.settings["title_head"] == "Managing Director"
    misinformation = rules(nhdc)["misinformation"]
    assert misinformation.channel_only_ban
    assert misinformation.appeal_wait_months == 0
    assert nhdc.settings["channel_ban_challenge_any_time"] is True
    assert {rule.appeal_wait_months for rule in nhdc.rules if not rule.channel_only_ban} == {12}


def test_hmcts_replies_within_two_working_days_and_keeps_no_deleted_personal_information():
    hmcts = ALL["hmcts"]
    assert hmcts.settings["first_response_working_days"] == 2
    by_code = rules(hmcts)
    assert by_code["personal-information"].redact_on_delete
    assert "identifying-staff" in by_code
    assert "without their consent" in by_code["identifying-staff"].guidance
    assert "party-political" in by_code
    assert "party politics" in by_code["party-political"].guidance


def test_cafcass_sends_warnings_without_sign_off_hears_no_appeals_and_safeguards():
    cafcass = ALL["cafcass"]
    assert cafcass.settings["warning_signoff"] == "none"
    assert cafcass.settings["appeals"] is False
    policy = version(cafcass)
    assert (policy.warning_signoff, policy.appeals) == ("none", False)
    safeguarding = [rule for rule in cafcass.rules if rule.safeguarding]
    assert safeguarding, "Cafcass has no safeguarding rule"
    assert any("child protection" in rule.guidance for rule in safeguarding)
    assert rules(cafcass)["case-information"].redact_on_delete


def test_hmpps_warns_before_blocking_except_for_discrimination_and_safeguards_self_harm():
    hmpps = ALL["hmpps"]
    assert hmpps.settings["warning_before_block"] == "required"
    by_code = rules(hmpps)
    assert by_code["discriminatory"].zero_tolerance
    assert [rule.code for rule in hmpps.rules if rule.zero_tolerance] == ["discriminatory"]
    assert by_code["self-harm"].safeguarding
    assert "guidelines" in version(hmpps).warning_template
    # "If your post is discriminatory, you will be blocked from our social media channels."
    assert hmpps.settings["immediate_block"] == "zero_tolerance"


def test_cafcass_says_its_appeal_messages_are_unused():
    cafcass = ALL["cafcass"]
    assert "the appeal messages" in cafcass.notes
    assert "never used" in cafcass.notes
    assert "dialogue" in version(cafcass).premature_appeal_template


def test_only_hmpps_lets_an_officer_block_at_once():
    assert {slug: p.settings["immediate_block"] for slug, p in ALL.items()} == {
        "cafcass": "managers",
        "hart": "managers",
        "hmcts": "managers",
        "hmpps": "zero_tolerance",
        "nhdc": "managers",
    }
    assert {p.settings["block_approval"] for p in ALL.values()} == {"manager"}


def test_hart_has_the_appendix_a_house_rules():
    by_code = rules(ALL["hart"])
    appendix_a = {
        "platform-terms",
        "discriminatory",
        "abusive",
        "deceptive",
        "spam",
        "intellectual-property",
        "illegal",
    }
    assert appendix_a <= set(by_code)
    assert by_code["illegal"].suspected_offence
    assert "provoke a response" in by_code["spam"].guidance
    assert by_code["party-political"].guidance.endswith("political-party specific.")
    assert by_code["safeguarding"].safeguarding


def test_hart_watches_for_emergencies_every_day_including_bank_holidays():
    hart = ALL["hart"]
    assert sorted(hart.settings["emergency_weekdays"]) == EVERY_DAY
    assert hart.settings["emergency_on_bank_holidays"] is True
    policy = version(hart)
    policy.clean_fields(exclude=["number", "created_at", "created_by_id", "created_by_label", "preset"])
    saturday, summer_bank_holiday = date(2025, 8, 23), date(2025, 8, 25)
    assert not policy.office_hours.is_working_day(saturday)
    assert not policy.office_hours.is_working_day(summer_bank_holiday)
    assert policy.emergency_hours.is_working_day(saturday)
    assert policy.emergency_hours.is_working_day(summer_bank_holiday)


def test_only_the_documents_that_say_so_are_zero_tolerance_or_safeguarding():
    safeguarding = {slug for slug, preset in ALL.items() if any(rule.safeguarding for rule in preset.rules)}
    assert safeguarding == {"cafcass", "hart", "hmpps"}
    redacting = {slug for slug, preset in ALL.items() if any(rule.redact_on_delete for rule in preset.rules)}
    assert redacting == {"cafcass", "hmcts"}
