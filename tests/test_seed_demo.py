import json

import pytest
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
