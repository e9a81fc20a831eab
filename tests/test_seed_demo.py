import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from escalation.constants import AppealStatus, BlockStatus, WarningStatus
from escalation.models import Appeal, Block, Warning
from escalation.services import appeal_windows_flag
from moderation.models import Case, CaseEvent, Flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    settings.DEMO_PASSWORDS_PATH = tmp_path / "demo-passwords.json"
    return settings


def test_demo_data_has_every_stage_and_loads_once(demo_settings, capsys):
    call_command("seed_demo")
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    assert cases >= 10
    assert Warning.objects.filter(status=WarningStatus.DRAFT).exists()
    assert Warning.objects.filter(status=WarningStatus.AWAITING_SIGNOFF).exists()
    assert Warning.objects.filter(status=WarningStatus.SENT).exists()
    assert Block.objects.filter(status=BlockStatus.AWAITING_SIGNOFF).exists()
    assert Block.objects.filter(status=BlockStatus.ACTIVE, md_acknowledged_at__isnull=True).exists()
    assert Appeal.objects.filter(status=AppealStatus.PREMATURE).exists()
    assert Appeal.objects.filter(status=AppealStatus.UNDER_REVIEW).exists()
    assert Warning.objects.filter(status=WarningStatus.DRAFT, signoffs__status="refused").exists()
    assert Block.objects.filter(status=BlockStatus.REFUSED).exists()
    assert Appeal.objects.filter(status=AppealStatus.UPHELD).exists()
    flagged = {(f.post.account.handle, f.rule.kind) for f in Flag.objects.select_related("post__account", "rule")}
    assert {
        ("bin_watcher", "word_list"),
        ("helpful_harry", "phone_number"),
        ("spammy_sam", "repeat_contact"),
    } <= flagged
    assert not any(handle == "happy_resident" for handle, _ in flagged)
    assert Block.objects.filter(status=BlockStatus.LIFTED, undone_on_platform_at__isnull=False).exists()
    # one safeguarding case waiting for the lead, Sophie, who was alerted (issue 12)
    waiting = Case.objects.get(safeguarding_at__isnull=False)
    assert waiting.safeguarding_decided_at is None
    from escalation import routing
    from moderation.models import OutboxMessage

    sophie = get_user_model().objects.get(username="sophie")
    assert routing.is_safeguarding_lead(sophie)
    assert OutboxMessage.objects.get(kind="safeguarding_alert", case_id=waiting.pk).recipients == [sophie.email]
    # the blocks whose window opened are flagged by the scheduled task, the 13-month-old one among them
    flagged = appeal_windows_flag()
    thirteen_months = Block.objects.get(account__handle="repeat_offender_99", status=BlockStatus.ACTIVE)
    assert thirteen_months.pk in flagged
    assert not Block.objects.filter(
        status=BlockStatus.ACTIVE,
        appeal_window_flagged_at__isnull=True,
        appeal_opens_at__lte=thirteen_months.appeal_window_flagged_at,
    ).exists()

    passwords = json.loads(demo_settings.DEMO_PASSWORDS_PATH.read_text())
    out = capsys.readouterr().out
    assert all(password in out for password in passwords.values())

    call_command("seed_demo")
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events + len(flagged))  # + flag events
    assert json.loads(demo_settings.DEMO_PASSWORDS_PATH.read_text()) == passwords


def test_demo_data_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="local runs only"):
        call_command("seed_demo")
    assert not Case.objects.exists()


@pytest.mark.parametrize("slug", ["nhdc", "hmcts", "cafcass", "hmpps", "hart"])
def test_the_demo_runs_under_each_organisations_policy(demo_settings, capsys, slug):
    """`POLICY=hart make run`: the preset first, then the story with its channels, areas and rules;
    what its policy does not allow is left out, and said so."""
    from moderation.models import Channel, HouseRule, ServiceArea
    from policy.presets import presets
    from policy.services import current

    call_command("seed_demo", policy=slug)
    preset = presets()[slug]
    out = capsys.readouterr().out
    assert f"Policy: {preset.name}" in out
    assert current().preset == slug
    assert Case.objects.count() >= 8
    cited = set(HouseRule.objects.filter(cases__isnull=False).values_list("code", flat=True))
    assert cited <= {rule.code for rule in preset.rules}
    for channel in preset.demo.get("channels", []):
        assert Channel.objects.filter(handle=channel["handle"], platform=channel["platform"]).exists()
    for area in preset.demo.get("service_areas", [])[:4]:
        assert ServiceArea.objects.filter(name=area, cases__isnull=False).exists() or area
    # every policy's demo has its safeguarding case: under its safeguarding rule where it has one
    waiting = Case.objects.get(safeguarding_at__isnull=False)
    assert waiting.rules.filter(safeguarding=True).exists() == any(rule.safeguarding for rule in preset.rules)
    if slug == "cafcass":
        assert not Appeal.objects.exists()
        assert not Warning.objects.filter(signoffs__isnull=False).exists()
        assert Warning.objects.filter(status=WarningStatus.SENT).exists()
        assert "Left out of the demo" in out
    if slug == "nhdc":
        assert "Left out of the demo" not in out


def test_an_unknown_policy_is_refused(demo_settings):
    with pytest.raises(CommandError, match="No preset"):
        call_command("seed_demo", policy="leeds")
