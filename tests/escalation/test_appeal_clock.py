"""Issue 10, item 1: one clock rule for "may this appeal be heard yet".

A misinformation channel ban can be challenged at any time, and again straight after the
Managing Director upholds it; a challenge logged with the form's default received time (cut to
the minute) is never premature; for any block, a challenge written down as received in the
minute its window opened is in time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation import services
from escalation.constants import AppealStatus, BlockKind
from escalation.models import Appeal
from moderation import clock
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# a ban that starts 37.25 seconds into a minute: cutting a time to the minute falls before it
BANNED = datetime(2027, 5, 12, 10, 15, 37, 250000, tzinfo=LONDON)


def misinformation_ban(officer, at: datetime):
    case = factories.OpenCaseFactory(recorded_by=officer, rules=[factories.rule("misinformation")])
    with clock.travel_to(at):
        return services.channel_ban(actor=officer, case=case, reason="False claims about bin collections.")


def log_with_the_form_defaults(client, block, at: datetime):
    """Open the appeal form and send it back with its default date and time, as an officer would."""
    url = reverse("escalation:appeal_create", args=[block.pk])
    with clock.travel_to(at):
        form = client.get(url).context["form"]
        data = {
            "received_on_day": form.initial["received_on"].day,
            "received_on_month": form.initial["received_on"].month,
            "received_on_year": form.initial["received_on"].year,
            "received_time": form.initial["received_time"],
            "received_default": form.initial.get("received_default", ""),
            "received_via": "Direct message",
            "grounds": "The claim was true.",
        }
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Appeal.objects.filter(block=block).order_by("-pk").first()


class TestChannelBanChallenges:
    def test_a_challenge_logged_at_once_with_the_form_default_is_heard(self, client, officer):
        block = misinformation_ban(officer, BANNED)
        client.force_login(officer)

        appeal = log_with_the_form_defaults(client, block, BANNED + timedelta(seconds=5))

        assert appeal.status == AppealStatus.UNDER_REVIEW
        assert appeal.received_at >= block.started_at

    def test_a_challenge_straight_after_an_upheld_challenge_is_heard(self, client, officer, md):
        block = misinformation_ban(officer, BANNED)
        with clock.travel_to(BANNED + timedelta(minutes=3)):
            first = services.appeal_record(actor=officer, block=block, grounds="It was true.")
        with clock.travel_to(BANNED + timedelta(hours=2, seconds=41)):
            services.appeal_decide(actor=md, appeal=first, overturn=False, reason="It was not true.")
        client.force_login(officer)

        again = log_with_the_form_defaults(client, block, BANNED + timedelta(hours=2, seconds=50))

        assert again.status == AppealStatus.UNDER_REVIEW

    def test_a_challenge_written_down_to_the_minute_before_the_start_is_still_heard(self, officer):
        """A channel-only ban can be challenged at any time (NHDC): no time written down is premature."""
        block = misinformation_ban(officer, BANNED)
        with clock.travel_to(BANNED + timedelta(minutes=1)):
            appeal = services.appeal_record(
                actor=officer, block=block, received_at=BANNED.replace(second=0, microsecond=0)
            )
        assert appeal.status == AppealStatus.UNDER_REVIEW


class TestTheMinuteTheWindowOpens:
    def test_an_appeal_written_down_in_the_minute_the_window_opened_is_heard(self, officer):
        with clock.travel_to(BANNED):
            block = factories.ActiveBlockFactory()
        opens = block.appeal_opens_at
        with clock.travel_to(opens + timedelta(seconds=30)):
            appeal = services.appeal_record(
                actor=officer, block=block, received_at=opens.replace(second=0, microsecond=0)
            )
        assert appeal.status == AppealStatus.UNDER_REVIEW

    def test_an_appeal_the_minute_before_is_premature(self, officer):
        with clock.travel_to(BANNED):
            block = factories.ActiveBlockFactory()
        opens = block.appeal_opens_at
        with clock.travel_to(opens):
            appeal = services.appeal_record(
                actor=officer, block=block, received_at=opens.replace(second=0, microsecond=0) - timedelta(seconds=1)
            )
        assert appeal.status == AppealStatus.PREMATURE

    def test_the_block_page_and_the_form_agree_with_the_service(self, client, officer):
        """The form says the window is open in the very minute the service hears the appeal."""
        block = misinformation_ban(officer, BANNED)
        client.force_login(officer)
        with clock.travel_to(BANNED + timedelta(seconds=1)):
            form_page = client.get(reverse("escalation:appeal_create", args=[block.pk]))
            block_page = client.get(reverse("escalation:block_detail", args=[block.pk]))
        assert form_page.context["window_open"] is True
        assert "can be challenged at any time" in form_page.content.decode()
        assert block_page.context["appeal_window_open"] is True


# Hypothesis takes naive bounds and attaches the zone it is given
EARLIEST = datetime(2026, 1, 1)  # noqa: DTZ001
LATEST = datetime(2030, 12, 31)  # noqa: DTZ001

ROUNDINGS = {
    "second": lambda t: t.replace(microsecond=0),
    "minute": lambda t: t.replace(second=0, microsecond=0),
    "five minutes": lambda t: t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0),
    "hour": lambda t: t.replace(minute=0, second=0, microsecond=0),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC)),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)),
    rounding=st.sampled_from(sorted(ROUNDINGS)),
)
def test_a_challenge_received_at_or_after_the_ban_starts_is_never_premature(officer, start, after, rounding):
    """Property: whatever the start, the delay and how the received time is rounded, a challenge
    to a misinformation ban received at or after the ban's start is heard."""
    block = misinformation_ban(officer, start)
    assert block.kind == BlockKind.CHANNEL_BAN
    received = start + after
    with clock.travel_to(received):
        appeal = services.appeal_record(actor=officer, block=block, received_at=ROUNDINGS[rounding](received))
    assert appeal.status == AppealStatus.UNDER_REVIEW


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.just(UTC)),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=3)),
)
def test_an_appeal_received_once_the_window_opened_is_never_premature_to_the_minute(officer, start, after):
    """Property for a 12-month block: received at or after the window opened, written to the minute."""
    with clock.travel_to(start):
        block = factories.ActiveBlockFactory()
    received = block.appeal_opens_at + after
    with clock.travel_to(received):
        appeal = services.appeal_record(actor=officer, block=block, received_at=ROUNDINGS["minute"](received))
    assert appeal.status == AppealStatus.UNDER_REVIEW


def test_the_window_flag_agrees_with_the_block_page_to_the_minute(officer):
    """The scheduled flag, the block page and the service use the same minute."""
    with clock.travel_to(BANNED):
        block = factories.ActiveBlockFactory()
    opens = block.appeal_opens_at  # 37.25 s into its minute
    in_that_minute = opens.replace(second=0, microsecond=0) + timedelta(seconds=5)
    with clock.travel_to(in_that_minute):
        assert block.appeal_window_open is True
        assert services.appeal_windows_flag() == [block.pk]
    with clock.travel_to(in_that_minute - timedelta(seconds=10)):
        block.refresh_from_db()
        assert block.appeal_window_open is False
