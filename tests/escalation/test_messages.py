"""The messages the team sends the account owner: the premature-appeal reply, the appeal outcome and
the channel-ban notice, worded by the policy (editable, placeholders checked) and shown, filled in, on
the page where the officer needs them."""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from escalation import messages, services
from escalation.constants import AppealStatus
from moderation import clock
from policy import services as policy
from policy.models import (
    APPEAL_OVERTURNED_PLACEHOLDERS,
    APPEAL_UPHELD_PLACEHOLDERS,
    CHANNEL_BAN_PLACEHOLDERS,
    PREMATURE_APPEAL_PLACEHOLDERS,
    PolicyVersion,
)
from tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
STARTED = datetime(2027, 3, 15, 10, 0, tzinfo=LONDON)  # appeals heard from 15 March 2028
EARLY = datetime(2027, 9, 6, 11, 0, tzinfo=LONDON)
RECEIVED = datetime(2028, 4, 3, 11, 0, tzinfo=LONDON)
DECIDED = datetime(2028, 4, 5, 15, 45, tzinfo=LONDON)

TEMPLATES = {
    "premature_appeal_template": PREMATURE_APPEAL_PLACEHOLDERS,
    "appeal_upheld_template": APPEAL_UPHELD_PLACEHOLDERS,
    "appeal_overturned_template": APPEAL_OVERTURNED_PLACEHOLDERS,
    "channel_ban_template": CHANNEL_BAN_PLACEHOLDERS,
}


def block_under(version: PolicyVersion | None = None, **account):
    """An active block (started 15 March 2027) on a case recorded under ``version`` (the active one)."""
    with clock.travel_to(STARTED):
        case = factories.OpenCaseFactory(
            policy_version=version or policy.current(),
            account=factories.SocialAccountFactory(**account) if account else factories.SocialAccountFactory(),
        )
        return factories.ActiveBlockFactory(case=case, account=case.account)


def shown_message(response) -> str:
    """The text of the page's "Message to send" panel, unescaped (as the officer copies it)."""
    found = re.search(r'<textarea[^>]*id="message-to-send"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert found, "the page shows no message to send"
    return html.unescape(found.group(1))


class TestTheTemplates:
    def test_each_has_nhdc_wording_by_default_and_lists_its_placeholders(self):
        version = policy.current()
        assert "can appeal a decision to block" in version.premature_appeal_template
        assert "{{ opens_on }}" in version.premature_appeal_template
        assert "the block stays in place" in version.appeal_upheld_template
        assert "the block is lifted" in version.appeal_overturned_template
        assert "banned you from that channel" in version.channel_ban_template
        assert "challenge your ban" in version.channel_ban_template
        for field, placeholders in TEMPLATES.items():
            help_text = PolicyVersion._meta.get_field(field).help_text
            assert all("{{ " + name + " }}" in help_text for name in placeholders)

    @pytest.mark.parametrize("field", TEMPLATES)
    def test_an_edited_template_is_stored_in_a_new_version(self, field):
        text = "Hello {{ name }}, from {{ organisation }}."
        version = policy.revise(reason="Our own words.", **{field: text})
        assert PolicyVersion.objects.get(pk=version.pk).__dict__[field] == text
        assert PolicyVersion.objects.get(number=1).__dict__[field] != text  # the old version keeps its own

    @pytest.mark.parametrize(
        ("field", "text", "unknown"),
        [
            ("premature_appeal_template", "Hello {{ nmae }}", "{{ nmae }}"),
            # a placeholder of another message is not one of this message's
            ("channel_ban_template", "Appeal from {{ opens_on }}", "{{ opens_on }}"),
            ("appeal_overturned_template", "Again from {{ next_appeal_on }}", "{{ next_appeal_on }}"),
            ("appeal_upheld_template", "Dear {{ name.upper }}", "{{ name.upper }}"),
        ],
    )
    def test_an_unknown_placeholder_is_refused_and_the_known_ones_listed(self, field, text, unknown):
        with pytest.raises(ValidationError) as refused:
            policy.revise(reason="Typo.", **{field: text})
        said = " ".join(refused.value.message_dict[field])
        assert f"Unknown placeholder: {unknown}" in said
        assert all("{{ " + name + " }}" in said for name in TEMPLATES[field])
        assert PolicyVersion.objects.count() == 1

    def test_template_tags_are_refused_in_every_message(self):
        with pytest.raises(ValidationError) as refused:
            policy.revise(reason="Tags.", channel_ban_template="{% if name %}Hi{% endif %}")
        assert "template tags" in " ".join(refused.value.message_dict["channel_ban_template"])

    def test_the_admin_lists_the_placeholders_beside_each_message(self, client):
        admin = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        client.force_login(admin)
        page = client.get(reverse("admin:policy_policyversion_add")).content.decode()
        assert "Reply to an appeal made too early" in page
        for placeholder in ("{{ opens_on }}", "{{ next_appeal_on }}", "{{ team_email }}"):
            assert placeholder in page


class TestPrematureAppealReply:
    def test_the_appeal_page_shows_the_reply_with_the_date_the_window_opens(self, client, officer):
        block = block_under(display_name="Pat Resident")
        with clock.travel_to(EARLY):
            appeal = services.appeal_record(actor=officer, block=block, received_via="Direct message")
        assert appeal.status == AppealStatus.PREMATURE
        client.force_login(officer)
        text = shown_message(client.get(reverse("escalation:appeal_detail", args=[appeal.pk])))
        assert text.startswith("Hello Pat Resident,")
        assert "which we received on 6 September 2027" in text
        assert "from 15 March 2028" in text
        assert policy.current().policy_url in text

    def test_logging_a_premature_appeal_leads_to_the_reply(self, client, officer):
        block = block_under()
        client.force_login(officer)
        with clock.travel_to(EARLY):
            response = client.post(
                reverse("escalation:appeal_create", args=[block.pk]),
                {
                    "received_on_day": "6",
                    "received_on_month": "9",
                    "received_on_year": "2027",
                    "received_time": "10:30",
                    "received_via": "Direct message",
                    "grounds": "",
                },
                follow=True,
            )
        assert response.redirect_chain, response.content.decode()[:2000]
        assert "Send the account owner the message below" in response.content.decode()
        assert "from 15 March 2028" in shown_message(response)

    def test_the_account_owners_words_are_escaped_on_the_page(self, client, officer):
        block = block_under(display_name='<script>alert("x")</script>')
        with clock.travel_to(EARLY):
            appeal = services.appeal_record(actor=officer, block=block)
        client.force_login(officer)
        page = client.get(reverse("escalation:appeal_detail", args=[appeal.pk])).content.decode()
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


class TestAppealOutcome:
    @pytest.mark.parametrize(
        ("overturn", "says"),
        [
            (False, ["the block stays in place", "You can appeal again from 5 April 2029"]),
            (True, ["the block is lifted", "you can interact with us again"]),
        ],
        ids=["upheld", "overturned"],
    )
    def test_the_appeal_page_shows_the_outcome_to_send(self, client, officer, md, overturn, says):
        block = block_under(display_name="Pat Resident")
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(actor=officer, block=block, received_via="Direct message")
        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=appeal, overturn=overturn, reason="Read the history.")
        client.force_login(officer)
        text = shown_message(client.get(reverse("escalation:appeal_detail", args=[appeal.pk])))
        assert text.startswith("Hello Pat Resident,")
        assert "made with our Managing Director on 5 April 2028" in text
        for words in says:
            assert words in text

    def test_an_appeal_under_review_has_no_message_yet(self, client, officer):
        block = block_under()
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(actor=officer, block=block)
        client.force_login(officer)
        page = client.get(reverse("escalation:appeal_detail", args=[appeal.pk])).content.decode()
        assert 'id="message-to-send"' not in page

    def test_the_head_is_named_by_the_policy_version_of_the_case(self, officer, md):
        version = policy.revise(reason="Our titles.", title_head="Chief Executive")
        block = block_under(version)
        with clock.travel_to(RECEIVED):
            appeal = services.appeal_record(actor=officer, block=block)
        with clock.travel_to(DECIDED):
            services.appeal_decide(actor=md, appeal=appeal, overturn=True, reason="Fine.")
        appeal.refresh_from_db()
        assert "made with our Chief Executive" in messages.appeal_outcome_message(appeal)


class TestChannelBanNotice:
    def test_the_ban_page_shows_the_notice_with_the_channel_and_how_to_challenge(self, client, officer, channel):
        account = factories.SocialAccountFactory(display_name="Sam Spreader", platform=channel.platform)
        case = factories.OpenCaseFactory(
            channel=channel, account=account, rules=[factories.rule("misinformation")], policy_version=policy.current()
        )
        ban = services.channel_ban(actor=officer, case=case, reason="False claim about bin collections.")
        client.force_login(officer)
        text = shown_message(client.get(reverse("escalation:block_detail", args=[ban.pk])))
        version = policy.current()
        assert text.startswith("Hello Sam Spreader,")
        assert f"on our {channel.name} page and banned you from that channel" in text
        assert "misinformation" in text.lower()
        assert f"contact the {version.organisation_name} Communications Team: {version.team_email}" in text

    def test_an_ordinary_block_page_has_no_notice(self, client, officer):
        block = block_under()
        client.force_login(officer)
        page = client.get(reverse("escalation:block_detail", args=[block.pk])).content.decode()
        assert 'id="message-to-send"' not in page


class TestVersions:
    def test_an_edited_template_applies_to_new_cases_and_old_ones_keep_theirs(self, client, officer):
        old_block = block_under()
        policy.revise(
            reason="Shorter reply.",
            premature_appeal_template="{{ name }}: write again from {{ opens_on }}. {{ organisation }}",
        )
        new_block = block_under(display_name="New Person")
        with clock.travel_to(EARLY):
            old = services.appeal_record(actor=officer, block=old_block)
            new = services.appeal_record(actor=officer, block=new_block)
        client.force_login(officer)
        old_text = shown_message(client.get(reverse("escalation:appeal_detail", args=[old.pk])))
        new_text = shown_message(client.get(reverse("escalation:appeal_detail", args=[new.pk])))
        assert "Under our social media acceptable use policy" in old_text  # version 1's words
        assert "write again" not in old_text
        assert new_text == f"New Person: write again from 15 March 2028. {policy.current().organisation_name}"

    def test_a_case_recorded_before_versions_existed_uses_the_active_policy(self, officer):
        with clock.travel_to(STARTED):
            block = factories.ActiveBlockFactory()  # its case has no policy version
        assert block.case.policy_version_id is None
        policy.revise(reason="Ours.", premature_appeal_template="From {{ opens_on }}.")
        with clock.travel_to(EARLY):
            appeal = services.appeal_record(actor=officer, block=block)
        assert messages.premature_appeal_reply(appeal) == "From 15 March 2028."
