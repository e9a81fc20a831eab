"""End to end in Chromium: issue 3's journey, keyboard-only casework, and forms in their error state.

Every page is checked with axe-core as it loads. The journey saves the README's screenshots
(docs/screenshots/); the clock starts at Tuesday 10 March 2026, 09:30 London time and the database
sequences restart, so the pictures show the same dates and case numbers from run to run.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from escalation.constants import AppealStatus, BlockScope, BlockStatus, SignOffStatus, WarningStatus
from escalation.models import Appeal, Block, Warning
from escalation.services import add_calendar_months
from escalation.tasks import flag_open_appeal_windows
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, Platform, Priority, Visibility
from moderation.deadlines import due_after
from moderation.models import Case, Post
from tests import factories
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

START = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/London"))  # a Tuesday, in office hours
PASSWORD = "a-Long-pass-2026"
POLICY = settings.SOCIAL_MEDIA_POLICY_URL


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def later():
    """Now is START; ``later(delta)`` moves time on for the rest of the test (every thread)."""
    with ExitStack() as stack:
        stack.enter_context(clock.shifted(START - clock.now()))
        yield lambda delta: stack.enter_context(clock.shifted(delta))


@pytest.fixture
def nhdc(site):
    """North Hertfordshire's published policy, applied as its shipped preset (issue 11: the journey
    passes unchanged under ``nhdc``)."""
    from moderation.policy_presets import preset_apply
    from policy import services as policy

    preset_apply("nhdc")
    assert policy.current().preset == "nhdc"
    assert policy.current().policy_url == POLICY


@pytest.fixture
def team(site, later):
    """The people, channels and service areas of a North Herts comms team (made directly)."""
    return SimpleNamespace(
        officer=factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD),
        colleague=factories.OfficerFactory(username="oscar", first_name="Oscar", last_name="Owusu", password=PASSWORD),
        manager=factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD),
        md=factories.ManagingDirectorFactory(
            username="martha", first_name="Martha", last_name="Marsh", password=PASSWORD
        ),
        facebook=factories.ChannelFactory(
            platform=Platform.FACEBOOK, name="North Herts Council (Facebook)", handle="northhertsdc"
        ),
        x=factories.ChannelFactory(platform=Platform.X, name="North Herts Council (X)", handle="north_herts"),
        instagram=factories.ChannelFactory(
            platform=Platform.INSTAGRAM, name="North Herts Council (Instagram)", handle="northhertsdc"
        ),
        waste=factories.ServiceAreaFactory(name="Waste and recycling"),
        planning=factories.ServiceAreaFactory(name="Planning"),
        parking=factories.ServiceAreaFactory(name="Parking"),
    )


def open_case(*, handle, name, channel, text, rules, reason, by, ago, area=None, assignee=None, **kwargs):
    """A case recorded ``ago`` before now, with its one post (the queue's other work)."""
    account = factories.SocialAccountFactory(platform=channel.platform, handle=handle, display_name=name)
    recorded = clock.now() - ago
    case = factories.OpenCaseFactory(
        account=account,
        channel=channel,
        recorded_by=by,
        recorded_at=recorded,
        response_due_at=due_after(recorded, settings.CASE_RESPONSE_WORKING_DAYS),
        reason=reason,
        rules=[factories.rule(code) for code in rules],
        service_area=area,
        assignee=assignee,
        posts=False,
        **kwargs,
    )
    factories.PostFactory(
        case=case, channel=channel, account=account, text=text, posted_at=recorded - timedelta(minutes=35)
    )
    return case


def busy_morning(team) -> None:
    """Other work in progress, so the queue, the inbox and the appeals look like a real Tuesday."""
    nigel = open_case(
        handle="nimbynigel",
        name="Nigel Barker",
        channel=team.facebook,
        text="The planning officer is obviously taking bribes from the developer. Everyone knows it.",
        rules=["defamatory"],
        reason="Accuses a named planning officer of corruption.",
        by=team.colleague,
        ago=timedelta(days=1, hours=2),
        area=team.planning,
        assignee=team.colleague,
    )
    factories.AwaitingSignoffWarningFactory(
        case=nigel,
        text=f"Hello Nigel,\n\nWe have hidden your comment because it is defamatory. Please read: {POLICY}",
        signoff__requested_at=clock.now() - timedelta(hours=20),
        signoff__due_at=clock.now() + timedelta(hours=6),
    )
    parking = open_case(
        handle="parkingwarrior",
        name="Parking Warrior",
        channel=team.x,
        text="@north_herts your wardens are thieves in uniform #scam #scam #scam",
        rules=["abusive", "spam"],
        reason="Third insulting post this week about civil enforcement officers, after a written warning.",
        by=team.colleague,
        ago=timedelta(days=6),
        area=team.parking,
    )
    factories.ProposedBlockFactory(
        case=parking,
        reason="Insults continued after a written warning on 2 March.",
        signoff__requested_at=clock.now() - timedelta(hours=3),
        signoff__due_at=clock.now() + timedelta(hours=5),
    )
    open_case(
        handle="karen.h.1962",
        name="Karen H",
        channel=team.facebook,
        text="Typical council, full of foreigners who can't speak English.",
        rules=["discriminatory"],
        reason="Racist remark under the recycling-day post.",
        by=team.officer,
        ago=timedelta(hours=4),
        area=team.waste,
        assignee=team.officer,
        priority=Priority.HIGH,
    )
    open_case(
        handle="royston_dad",
        name="Dan Royce",
        channel=team.instagram,
        text="Cheap cash loans, DM me now!!! Link in bio 💸💸",
        rules=["spam"],
        reason="Advert posted under six of our posts this morning.",
        by=team.colleague,
        ago=timedelta(hours=1, minutes=10),
    )
    open_case(
        handle="baldock_truth",
        name="",
        channel=team.x,
        text="BREAKING: the council is closing every recycling centre in Herts next month. Share before they delete!",
        rules=["misinformation"],
        reason="False claim about recycling centre closures, being widely shared.",
        by=team.officer,
        ago=timedelta(days=3, hours=5),
        area=team.waste,
        priority=Priority.URGENT,
    )
    # Appeals already on the books: one upheld last month, one received too early.
    upheld = factories.ActiveBlockFactory(
        case=open_case(
            handle="hitchin_hothead",
            name="Terry Dunn",
            channel=team.facebook,
            text="I'll be waiting outside the council offices for you lot.",
            rules=["abusive"],
            reason="Threat to staff.",
            by=team.colleague,
            ago=timedelta(days=400),
            status=CaseStatus.CLOSED,
            outcome=CaseOutcome.BLOCKED,
            closed_at=clock.now() - timedelta(days=398),
        ),
        started_at=clock.now() - timedelta(days=398),
        md_acknowledged_by=team.md,
        md_acknowledged_at=clock.now() - timedelta(days=397),
        reason="Threats to staff after a written warning.",
    )
    factories.UnderReviewAppealFactory(
        block=upheld,
        status=AppealStatus.UPHELD,
        signoff=None,
        received_at=clock.now() - timedelta(days=33),
        received_via="Email",
        recorded_by=team.colleague,
        window_opens_at=upheld.appeal_opens_at,
        decided_by=team.md,
        decided_at=clock.now() - timedelta(days=27),
        decision_reason="Threats continued by email in January; the block stays.",
    )
    Block.objects.filter(pk=upheld.pk).update(appeal_opens_at=add_calendar_months(clock.now() - timedelta(days=27), 12))
    early = factories.ActiveBlockFactory(
        case=open_case(
            handle="letchworth_lad",
            name="Lee Warren",
            channel=team.instagram,
            text="Get out of our town you [slur]",
            rules=["discriminatory"],
            reason="Racist abuse of a resident in the comments.",
            by=team.officer,
            ago=timedelta(days=64),
            status=CaseStatus.CLOSED,
            outcome=CaseOutcome.BLOCKED,
            closed_at=clock.now() - timedelta(days=62),
        ),
        started_at=clock.now() - timedelta(days=62),
        md_acknowledged_by=team.md,
        md_acknowledged_at=clock.now() - timedelta(days=61),
        reason="Zero tolerance: racist abuse.",
    )
    factories.UnderReviewAppealFactory(
        block=early,
        status=AppealStatus.PREMATURE,
        signoff=None,
        received_at=clock.now() - timedelta(days=5),
        received_via="Direct message",
        recorded_by=team.officer,
        window_opens_at=early.appeal_opens_at,
    )


def browse_as(new_context, site, user) -> Page:
    """A browser of one's own (a new context), signed in: each role lands where its work is."""
    page = new_context().new_page()
    page.goto(f"{site.url}/sign-in/")
    check_accessibility(page, f"sign in ({user.username})")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".app-identity")).to_contain_text(user.get_full_name())
    return page


def menu(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(rf"^{name}"))


APPEAL_SENT = re.compile(r"Appeal recorded and sent for a decision to .+ \(Managing Director\)\.")


def banner(page: Page, text: str | re.Pattern) -> Locator:
    return page.locator(".govuk-notification-banner").filter(has_text=text)


def tab_to(page: Page, locator: Locator, limit: int = 80) -> None:
    """Press Tab until ``locator`` has the focus; fail saying where the focus went instead."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", target):
            return
    where = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of Tab never reached {locator}; the focus is on {where}")


# --- 1. the journey ------------------------------------------------------------------------------


def test_record_to_overturned_appeal(site, nhdc, team, later, new_context, django_db_reset_sequences):
    busy_morning(team)

    # An officer signs in and lands on the queue.
    officer = new_context().new_page()
    officer.goto(f"{site.url}/cases/")
    expect(officer).to_have_url(f"{site.url}/sign-in/?next=/cases/")
    check_accessibility(officer, "sign in")
    officer.get_by_label("Username").fill("olivia")
    officer.get_by_label("Password").fill(PASSWORD)
    screenshot(officer, "01-sign-in")
    officer.get_by_role("button", name="Sign in").click()
    expect(officer).to_have_url(f"{site.url}/cases/")
    expect(officer.locator(".app-identity")).to_contain_text("Olivia Okafor")
    expect(officer.get_by_text("5 cases", exact=True)).to_be_visible()
    expect(officer.get_by_role("link", name="@nimbynigel")).to_be_visible()
    check_accessibility(officer, "queue")
    screenshot(officer, "02-queue")

    # She records a case.
    officer.get_by_role("main").get_by_role("link", name="Record a case").click()
    expect(officer.get_by_role("heading", name="Record a case")).to_be_visible()
    check_accessibility(officer, "record a case")
    officer.get_by_label("Channel", exact=True).select_option(label="North Herts Council (Facebook)")
    officer.get_by_label("Account handle").fill("@BinRage77")
    officer.get_by_label("Display name").fill("Gary Pike")
    officer.get_by_label("Post text").fill(
        "Bin men are lazy scum. I know where the depot is and I'll sort them out myself if my bin isn't emptied."
    )
    officer.get_by_label("Post address (URL)").fill("https://www.facebook.com/northhertsdc/posts/1029384756?comment=88")
    officer.get_by_label("Date and time of the post").fill("10/03/2026 08:52")
    officer.get_by_label("Rude, abusive, harassing or threatening").check()
    officer.get_by_label("Why it is unacceptable").fill(
        "Abuses the waste crews and threatens to confront them at the depot."
    )
    officer.get_by_label("High", exact=True).check()
    officer.get_by_label("Service area").select_option(label="Waste and recycling")
    check_accessibility(officer, "record a case, filled in")
    screenshot(officer, "03-record-case")
    officer.get_by_role("button", name="Record the case").click()

    # The case page: she hides the post.
    expect(
        banner(officer, re.compile(r"Case \d+ recorded: @binrage77 on North Herts Council \(Facebook\)"))
    ).to_be_visible()
    first_case = Case.objects.get(account__handle="binrage77")
    expect(officer).to_have_url(f"{site.url}/cases/{first_case.pk}/")
    check_accessibility(officer, "case")
    officer.get_by_role("button", name="Hide this comment").click()
    expect(banner(officer, "Post hidden.")).to_be_visible()
    expect(officer.locator(f"#post-{first_case.posts.get().pk}")).to_contain_text("Hidden by Olivia Okafor")
    check_accessibility(officer, "case, post hidden")
    screenshot(officer, "04-case")

    # She drafts a warning from the template and sends it for sign-off.
    officer.get_by_role("link", name="Draft a warning").click()
    expect(officer.get_by_role("heading", name="Draft a written warning to @binrage77")).to_be_visible()
    expect(officer.get_by_label("Warning message")).to_have_value(
        re.compile(rf"Hello Gary Pike,.*{re.escape(POLICY)}", re.S)
    )
    check_accessibility(officer, "draft a warning")
    officer.get_by_role("button", name="Save and send for sign-off").click()
    expect(banner(officer, "Warning saved and sent for sign-off")).to_be_visible()
    check_accessibility(officer, "warning awaiting sign-off")
    warning = Warning.objects.get(case=first_case)
    assert warning.status == WarningStatus.AWAITING_SIGNOFF

    # An hour later the Communications Manager signs it off from Decisions.
    later(timedelta(hours=1, minutes=5))
    manager = browse_as(new_context, site, team.manager)
    expect(manager).to_have_url(f"{site.url}/decisions/")
    expect(manager.locator("#signoffs")).to_contain_text("@binrage77")
    check_accessibility(manager, "decisions")
    screenshot(manager, "06-decisions")
    manager.get_by_role("row").filter(has_text="@binrage77").get_by_role("link", name="Written warning").click()
    expect(manager.get_by_role("heading", name="Written warning to @binrage77")).to_be_visible()
    check_accessibility(manager, "warning sign-off")
    manager.get_by_label("Approve", exact=True).check()
    manager.get_by_label("Reason").fill("Clear breach; the template wording is right.")
    manager.get_by_role("button", name="Record the decision").click()
    expect(manager).to_have_url(f"{site.url}/decisions/")
    expect(banner(manager, "Written warning to @binrage77: signed off.")).to_be_visible()
    check_accessibility(manager, "decisions after the sign-off")

    # The officer sees it signed off, sends it and records that.
    later(timedelta(minutes=10))
    officer.reload()
    expect(officer.locator(".govuk-summary-list").first).to_contain_text("Signed off")
    expect(officer.get_by_text("Signed off. Send this message to @binrage77")).to_be_visible()
    check_accessibility(officer, "warning signed off")
    screenshot(officer, "05-warning")
    officer.get_by_role("button", name="Record as sent to the account").click()
    expect(banner(officer, "Warning recorded as sent to the account.")).to_be_visible()
    check_accessibility(officer, "warning sent")

    # Eight days later, a second offence by the same account: she records it and proposes a block.
    later(timedelta(days=8))
    menu(officer, "Record a case").click()
    expect(officer.get_by_role("heading", name="Record a case")).to_be_visible()
    check_accessibility(officer, "record a second case")
    expect(officer.get_by_label("Channel", exact=True)).to_have_value(str(team.facebook.pk))
    officer.get_by_label("Account handle").fill("binrage77")
    officer.get_by_label("Post text").fill(
        "Still no collection on Walsworth Road. Told you what happens next time I see your crew. You've been warned."
    )
    officer.get_by_label("Date and time of the post").fill("18/03/2026 09:58")
    officer.get_by_label("Rude, abusive, harassing or threatening").check()
    officer.get_by_label("Why it is unacceptable").fill(
        "Renewed threat against the waste crews, after a written warning."
    )
    officer.get_by_label("Service area").select_option(label="Waste and recycling")
    officer.get_by_role("button", name="Record the case").click()
    expect(banner(officer, re.compile(r"Case \d+ recorded: @binrage77"))).to_be_visible()
    second_case = Case.objects.filter(account__handle="binrage77").latest("recorded_at")
    assert second_case != first_case
    expect(officer.locator("aside")).to_contain_text("Recommended next step")
    check_accessibility(officer, "second case")
    officer.get_by_role("link", name="Propose a block").click()
    expect(officer.get_by_role("heading", name="Propose a block: @binrage77")).to_be_visible()
    check_accessibility(officer, "propose a block")
    officer.get_by_label("All our channels").check()
    officer.get_by_label("Reason").fill(
        f"Threats against the waste crews continued a week after a signed-off written warning (case {first_case.pk})."
    )
    officer.get_by_role("button", name="Send for sign-off").click()
    expect(banner(officer, "Block proposed and sent for approval to")).to_be_visible()
    check_accessibility(officer, "block awaiting sign-off")
    block = Block.objects.get(case=second_case)
    assert (block.status, block.scope) == (BlockStatus.AWAITING_SIGNOFF, BlockScope.ALL)

    # The manager approves the block in place in Decisions.
    later(timedelta(hours=1))
    menu(manager, "Decisions").click()
    expect(manager.get_by_role("heading", name="Decisions waiting for you")).to_be_visible()
    check_accessibility(manager, "decisions with a block")
    row = manager.locator(f"#signoff-{block.signoffs.get().pk}")
    row.get_by_role("button", name=re.compile(r"^Approve .*@binrage77")).click()
    expect(row).to_contain_text("Block @binrage77 on all our channels: approved.")
    check_accessibility(manager, "decisions, block approved in place")
    block.refresh_from_db()
    assert block.status == BlockStatus.ACTIVE

    # The Managing Director signs in and acknowledges it.
    later(timedelta(hours=2))
    md = browse_as(new_context, site, team.md)
    expect(md).to_have_url(f"{site.url}/decisions/")
    check_accessibility(md, "managing director's decisions")
    md.locator("#acknowledgements").get_by_role("row").filter(has_text="@binrage77").get_by_role(
        "link", name="Block on all our channels"
    ).click()
    expect(md).to_have_url(f"{site.url}/blocks/{block.pk}/")
    check_accessibility(md, "block to acknowledge")
    md.get_by_role("button", name="Acknowledge the block").click()
    expect(banner(md, "Block of @binrage77 on all our channels: acknowledged.")).to_be_visible()
    expect(md.get_by_text("Acknowledged by Martha Marsh")).to_be_visible()
    check_accessibility(md, "block acknowledged")

    # The officer reads the account's standing.
    officer.get_by_role("link", name="Back to case").click()
    expect(officer).to_have_url(f"{site.url}/cases/{second_case.pk}/")
    check_accessibility(officer, "second case, blocked")
    officer.get_by_role("link", name="The account's whole history").click()
    expect(officer.get_by_role("heading", name="@binrage77 (Gary Pike)")).to_be_visible()
    expect(officer.get_by_text("On all our channels since 18 March 2026")).to_be_visible()
    # when appeals can be heard: in the standing and in the blocks table, in the one date format
    expect(officer.get_by_role("definition").filter(has_text="18 March 2027")).to_be_visible()
    expect(officer.get_by_role("cell", name="18 March 2027")).to_be_visible()
    check_accessibility(officer, "account")
    screenshot(officer, "07-account")

    # Twelve months on: the scheduled task flags the block, an appeal comes in, the MD overturns it.
    with clock.shifted(timedelta(days=370)):
        flagged = flag_open_appeal_windows.delay().get()
        assert block.pk in flagged
        block.refresh_from_db()
        assert block.appeal_window_flagged_at is not None

        officer.get_by_role("link", name=f"Case {second_case.pk}", exact=True).click()
        expect(officer).to_have_url(f"{site.url}/cases/{second_case.pk}/")
        window_opened = officer.locator(".moj-timeline__item").filter(has_text="Appeal window opened")
        expect(window_opened).to_contain_text("The account owner may now appeal this block.")
        expect(window_opened).to_contain_text("by system")
        check_accessibility(officer, "case, appeal window opened")
        officer.get_by_role("link", name=f"Block {block.pk}", exact=True).click()
        expect(officer.get_by_role("heading", name="Block: @binrage77 on all our channels")).to_be_visible()
        expect(officer.get_by_text("18 March 2027 Window open")).to_be_visible()
        check_accessibility(officer, "block, window open")
        screenshot(officer, "08-block")

        officer.get_by_role("link", name="Log an appeal").click()
        expect(officer.get_by_text("Appeals against this block can be heard since 18 March 2027")).to_be_visible()
        check_accessibility(officer, "log an appeal")
        officer.get_by_label("How it arrived").fill("Email")
        officer.get_by_label("Grounds of the appeal").fill(
            "It has been a year. I was angry about my bin, I apologised to the crew in person and I want to "
            "follow the council's page for collection updates again."
        )
        screenshot(officer, "09-appeal-log")
        officer.get_by_role("button", name="Log the appeal").click()
        expect(banner(officer, APPEAL_SENT)).to_be_visible()
        check_accessibility(officer, "appeal under review")
        appeal = Appeal.objects.get(block=block)
        assert appeal.status == AppealStatus.UNDER_REVIEW

        menu(md, "Decisions").click()
        expect(md.get_by_role("heading", name="Appeals to decide")).to_be_visible()
        check_accessibility(md, "decisions with an appeal")
        md.locator("#appeals").get_by_role("link", name="Appeal against the block on all our channels").click()
        expect(md).to_have_url(f"{site.url}/appeals/{appeal.pk}/")
        check_accessibility(md, "decide the appeal")
        md.get_by_label("Overturn: lift the block").check()
        md.get_by_label("Reason for the decision").fill(
            "A year without incident and an apology to the crew. Lift the block; any new threat means a new case."
        )
        screenshot(md, "10-appeal-decide")
        md.get_by_role("button", name="Record the decision").click()
        expect(banner(md, "Appeal overturned: the block is lifted.")).to_be_visible()
        expect(md.get_by_role("heading", name="Decision: overturned")).to_be_visible()
        check_accessibility(md, "appeal overturned")

        menu(md, "Appeals").click()
        expect(md.get_by_role("heading", name="Appeals", exact=True)).to_be_visible()
        expect(md.get_by_role("row").filter(has_text="@binrage77")).to_contain_text("Overturned")
        check_accessibility(md, "appeals")
        screenshot(md, "11-appeal-list")

        # The block shows as lifted.
        officer.goto(f"{site.url}/blocks/{block.pk}/")
        expect(officer.locator(".govuk-summary-list__row").filter(has_text="Status")).to_contain_text("Lifted")
        expect(officer.get_by_text("The block is lifted: undo it on Facebook")).to_be_visible()
        check_accessibility(officer, "block lifted")
    block.refresh_from_db()
    assert block.status == BlockStatus.LIFTED
    assert block.appeals.get().status == AppealStatus.OVERTURNED
    assert block.signoffs.get().status == SignOffStatus.APPROVED


# --- 1b. the process right in every corner (issue 10, items 1-5) ---------------------------------


def test_misinformation_threats_clocks_and_sign_offs(site, team, later, new_context):
    misinformation = open_case(
        handle="truthseeker",
        name="Terry Seeker",
        channel=team.facebook,
        text="The council is putting poison in the new brown bins. Share before they delete this!",
        rules=["misinformation"],
        reason="A false claim spread to frighten residents.",
        by=team.colleague,
        ago=timedelta(minutes=30),
    )
    threat = open_case(
        handle="angrydave",
        name="Dave Angry",
        channel=team.x,
        text="I know where the planning officer lives. Tonight.",
        rules=["abusive", "illegal"],
        reason="A threat against a named officer.",
        by=team.colleague,
        ago=timedelta(minutes=20),
        priority=Priority.URGENT,
    )
    insult = open_case(
        handle="rudebob",
        name="Bob Rude",
        channel=team.facebook,
        text="Useless lot, the lot of you.",
        rules=["abusive"],
        reason="Insults the parking team.",
        by=team.colleague,
        ago=timedelta(minutes=10),
        area=team.parking,  # no service director
    )

    # Item 2: a misinformation case recommends the channel ban, which is the primary button.
    officer = browse_as(new_context, site, team.officer)
    officer.goto(f"{site.url}/cases/{misinformation.pk}/")
    expect(officer.locator("aside")).to_contain_text("Ban from the channel (misinformation)")
    ban = officer.get_by_role("link", name=re.compile(r"^Ban from North Herts Council"))
    expect(ban).not_to_have_class(re.compile("govuk-button--secondary"))
    expect(officer.get_by_role("link", name="Draft a warning")).to_have_class(re.compile("govuk-button--secondary"))
    check_accessibility(officer, "misinformation case")
    ban.click()
    officer.get_by_label("Reason").fill("A false claim about the brown bins, shared to frighten residents.")
    officer.get_by_role("button", name="Delete the posts and ban").click()
    expect(banner(officer, re.compile(r"Banned from North Herts Council \(Facebook\)"))).to_be_visible()
    block = Block.objects.get(case=misinformation)

    # Item 1: the challenge arrives at once and is logged with the form's default time: heard.
    later(timedelta(seconds=20))
    officer.get_by_role("link", name="Log an appeal").click()
    check_accessibility(officer, "log a challenge to a channel ban")
    officer.get_by_label("How it arrived").fill("Reply on Facebook")
    officer.get_by_role("button", name="Log the appeal").click()
    expect(banner(officer, APPEAL_SENT)).to_be_visible()
    first = Appeal.objects.get(block=block)
    assert first.status == AppealStatus.UNDER_REVIEW

    # Item 4: the Managing Director's appeal page links nowhere she cannot open; she upholds the ban.
    later(timedelta(minutes=30))
    md = browse_as(new_context, site, team.md)
    md.goto(f"{site.url}/appeals/{first.pk}/")
    expect(md.locator('a[href^="/accounts/"]')).to_have_count(0)
    expect(md.get_by_text("Reply on Facebook")).to_be_visible()
    check_accessibility(md, "decide a challenge")
    md.get_by_label("Uphold: the block stays").check()
    md.get_by_label("Reason for the decision").fill("The claim is false; the ban stays.")
    md.get_by_role("button", name="Record the decision").click()
    expect(banner(md, "Appeal upheld: the block stays.")).to_be_visible()

    # Item 1 again: a new challenge straight after the upheld one is heard too.
    later(timedelta(seconds=15))
    officer.goto(f"{site.url}/blocks/{block.pk}/appeals/new/")
    officer.get_by_role("button", name="Log the appeal").click()
    expect(banner(officer, APPEAL_SENT)).to_be_visible()
    assert Appeal.objects.filter(block=block).latest("pk").status == AppealStatus.UNDER_REVIEW

    # Item 2: an urgent threat that breaks the law: block now, and the police; item 6: the post is hidden.
    manager = browse_as(new_context, site, team.manager)
    manager.goto(f"{site.url}/cases/{threat.pk}/")
    expect(manager.locator("aside")).to_contain_text("Block immediately")
    expect(manager.locator("aside")).to_contain_text("Consider reporting it to the police")
    check_accessibility(manager, "urgent threat")
    manager.get_by_role("link", name="Block immediately").click()
    manager.get_by_label("All our channels").check()
    manager.get_by_label("Hide now").check()
    manager.get_by_label("Reason").fill("A threat against a named officer's home.")
    manager.get_by_role("button", name="Block now").click()
    expect(banner(manager, re.compile("Blocked now"))).to_be_visible()
    assert threat.posts.get().visibility == Visibility.HIDDEN

    # Item 5: the only manager's own warning, in an area with no service director: warned first.
    manager.goto(f"{site.url}/cases/{insult.pk}/warnings/new/")
    expect(manager.locator("#who-decides")).to_contain_text("Nobody else can sign this off")
    expect(manager.locator("#who-decides")).to_contain_text("Ask an administrator to give someone else")
    check_accessibility(manager, "a warning nobody else can sign off")

    # Item 3: a week later, the cases acted on say "Responded"; the one nobody touched is overdue.
    later(timedelta(days=7))
    officer.goto(f"{site.url}/cases/")
    for handle in ("@truthseeker", "@angrydave"):
        row = officer.get_by_role("row").filter(has_text=handle)
        expect(row).to_contain_text("Responded")
        expect(row).not_to_contain_text("Overdue")
    expect(officer.get_by_role("row").filter(has_text="@rudebob")).to_contain_text("Overdue by")
    check_accessibility(officer, "queue a week later")


# --- 2. keyboard only ----------------------------------------------------------------------------


def test_keyboard_only_record_hide_warn(site, page, later):
    factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    factories.ChannelFactory(platform=Platform.FACEBOOK, name="North Herts Council (Facebook)", handle="northhertsdc")
    sign_in(page, site.url, "olivia", PASSWORD)
    expect(page).to_have_url(f"{site.url}/cases/")

    tab_to(page, page.get_by_role("main").get_by_role("link", name="Record a case"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Record a case")).to_be_visible()
    channel = page.get_by_label("Channel", exact=True)
    tab_to(page, channel)
    page.keyboard.press("ArrowDown")
    expect(channel).to_have_value(re.compile(r"^\d+$"))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Account handle")).to_be_focused()
    page.keyboard.type("@BinRage77")
    tab_to(page, page.get_by_label("Post text"))
    page.keyboard.type("Bin men are lazy scum, I'll sort them out myself.")
    tab_to(page, page.get_by_label("Normal", exact=True))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    expect(page.get_by_label("High", exact=True)).to_be_checked()
    rule = page.get_by_label("Rude, abusive, harassing or threatening")
    tab_to(page, rule)
    page.keyboard.press("Space")
    expect(rule).to_be_checked()
    tab_to(page, page.get_by_label("Why it is unacceptable"))
    page.keyboard.type("Threatens the waste crews.")
    tab_to(page, page.get_by_role("button", name="Record the case"))
    page.keyboard.press("Enter")

    expect(banner(page, re.compile(r"Case \d+ recorded: @binrage77"))).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Hide this comment"))
    page.keyboard.press("Enter")
    expect(banner(page, "Post hidden.")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Draft a warning"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Draft a written warning to @binrage77")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Save and send for sign-off"))
    page.keyboard.press("Enter")
    expect(banner(page, "Warning saved and sent for sign-off")).to_be_visible()

    case = Case.objects.get(account__handle="binrage77")
    post = Post.objects.get(case=case)
    assert post.visibility == Visibility.HIDDEN
    warning = Warning.objects.get(case=case)
    assert warning.status == WarningStatus.AWAITING_SIGNOFF
    assert case.priority == Priority.HIGH


# --- 3. forms in their error state ---------------------------------------------------------------


def expect_error_summary(page: Page, errors: dict[str, str]) -> Locator:
    """The GOV.UK error summary is shown, has the focus, and links each error to its field."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    for message, target in errors.items():
        expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#{target}")
        expect(page.locator(f"#{target}")).to_be_attached()
    return summary


def test_every_page_is_accessible_with_errors(site, new_context, later):
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    manager = factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    md = factories.ManagingDirectorFactory(username="martha", first_name="Martha", last_name="Marsh", password=PASSWORD)
    channel = factories.ChannelFactory(name="North Herts Council (Facebook)", handle="northhertsdc")
    warning = factories.AwaitingSignoffWarningFactory(case__channel=channel, case__account__handle="binrage77")
    appeal = factories.UnderReviewAppealFactory(
        block__case__channel=channel, block__case__account__handle="parkingwarrior", recorded_by=officer
    )

    # Record a case with only a handle: every other error at once, and the handle kept.
    page = browse_as(new_context, site, officer)
    page.goto(f"{site.url}/cases/new/")
    page.get_by_label("Account handle").fill("@BinRage77")
    page.get_by_label("Date and time of the post").fill("")
    page.get_by_role("button", name="Record the case").click()
    expect_error_summary(
        page,
        {
            "Select the channel the post is on": "id_channel",
            "Enter the text of the post": "id_text",
            "Enter the date and time of the post": "id_posted_at",
            "Select at least one house rule that was broken": "id_rules_0",
            "Say why the post is unacceptable": "id_reason",
        },
    )
    expect(page.get_by_label("Account handle")).to_have_value("@BinRage77")
    expect(page.locator("#id_text-error")).to_have_text("Error: Enter the text of the post")
    check_accessibility(page, "record a case with errors")
    page.locator(".govuk-error-summary").get_by_role("link", name="Select at least one house rule").click()
    expect(page.locator("#id_rules_0")).to_be_focused()
    # A date in the future is refused too.
    page.get_by_label("Date and time of the post").fill("31/12/2099 10:00")
    page.get_by_role("button", name="Record the case").click()
    expect_error_summary(
        page,
        {"“31/12/2099 10:00” is more than a day in the future: dates are read day first (DD/MM/YYYY).": "id_posted_at"},
    )
    check_accessibility(page, "record a case with a future date")

    # Refuse a sign-off without a reason.
    page = browse_as(new_context, site, manager)
    signoff = warning.signoffs.get()
    page.goto(f"{site.url}/decisions/{signoff.pk}/")
    check_accessibility(page, "sign-off")
    page.get_by_label("Refuse", exact=True).check()
    page.get_by_role("button", name="Record the decision").click()
    expect_error_summary(page, {"Give a reason for refusing": "id_reason"})
    expect(page.get_by_label("Refuse", exact=True)).to_be_checked()
    check_accessibility(page, "refuse a sign-off without a reason")
    page.locator(".govuk-error-summary").get_by_role("link", name="Give a reason for refusing").click()
    expect(page.get_by_label("Reason")).to_be_focused()
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.PENDING

    # A police report with a date that does not exist.
    page.goto(f"{site.url}/cases/{warning.case_id}/police-reports/new/")
    check_accessibility(page, "police report")
    page.get_by_label("Police force").fill("Hertfordshire Constabulary")
    page.get_by_label("Police reference").fill("41/22871/26")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Record the report").click()
    expect_error_summary(page, {"The date reported must be a real date": "id_reported_on"})
    expect(page.get_by_label("Police reference")).to_have_value("41/22871/26")
    expect(page.get_by_label("Day")).to_have_value("31")
    check_accessibility(page, "police report with a bad date")
    page.locator(".govuk-error-summary").get_by_role("link", name="The date reported must be a real date").click()
    expect(page.get_by_label("Day")).to_be_focused()

    # An appeal decision without a reason.
    page = browse_as(new_context, site, md)
    page.goto(f"{site.url}/appeals/{appeal.pk}/")
    check_accessibility(page, "appeal")
    page.get_by_label("Overturn: lift the block").check()
    page.get_by_role("button", name="Record the decision").click()
    expect_error_summary(page, {"Give the reason for the decision": "id_reason"})
    expect(page.get_by_label("Overturn: lift the block")).to_be_checked()
    check_accessibility(page, "appeal decision without a reason")
    page.locator(".govuk-error-summary").get_by_role("link", name="Give the reason for the decision").click()
    expect(page.get_by_label("Reason for the decision")).to_be_focused()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UNDER_REVIEW
