"""Keyboard only, in Chromium (WCAG 2.1.1, 2.4.7, 4.1.3; issue 16): no mouse, no ``.click()``.

An officer signs in, records a case from the queue and sees it recorded; a Communications Manager
signs in and decides two sign-offs in place on /decisions/ (approve, then refuse with a reason).
At every step the focused element shows GOV.UK's focus state (the yellow focus colour as an outline,
a box-shadow or a background, on the element or, for a radio or checkbox, on its label's drawing).
After each decision the focus is on the result, the page's one live region (always there) says it,
and the section's count and the navigation's badge go down.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from escalation.constants import SignOffStatus
from escalation.models import SignOff
from moderation.constants import Platform, Priority
from moderation.models import Case
from tests import factories
from tests.e2e.conftest import check_accessibility, screenshot

PASSWORD = "a-Long-pass-2026"
FOCUS_COLOUR = "rgb(255, 221, 0)"  # GOV.UK's $govuk-focus-colour, #ffdd00

# What the browser draws for the focused element: GOV.UK's focus state is the focus colour as an
# outline (inputs, selects), a box-shadow (links, radios' and checkboxes' drawn boxes) or a
# background (links, buttons, summaries, focused text).
FOCUS_SHOWN = """
(colour) => {
  const element = document.activeElement;
  if (!element || element === document.body) return "nothing has the focus";
  const shows = (style) =>
    (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 && style.outlineColor === colour) ||
    (style.boxShadow || "").includes(colour) ||
    style.backgroundColor === colour;
  const styles = [getComputedStyle(element)];
  if (element.matches("input[type=radio], input[type=checkbox]")) {
    for (const label of element.labels) {
      styles.push(getComputedStyle(label, "::before"), getComputedStyle(label, "::after"));
    }
  }
  if (styles.some(shows)) return "";
  const style = styles[0];
  return `no visible focus on ${element.outerHTML.slice(0, 160)}: outline ${style.outlineStyle} ` +
    `${style.outlineWidth} ${style.outlineColor}, box-shadow ${style.boxShadow}, background ${style.backgroundColor}`;
}
"""


def assert_focus_visible(page: Page) -> None:
    problem = page.evaluate(FOCUS_SHOWN, FOCUS_COLOUR)
    assert not problem, problem


def tab_to(page: Page, locator: Locator, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, the focus visible at every stop."""
    target = locator.element_handle()
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("() => document.activeElement === document.body"):
            continue  # past the page's last element: the focus is in the browser's own controls
        assert_focus_visible(page)
        if page.evaluate("element => document.activeElement === element", target):
            return
    where = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of {key} never reached {locator}; the focus is on {where}")


def sign_in_by_keyboard(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/sign-in/")
    expect(page.get_by_label("Username")).to_be_focused()  # the page puts the focus there (autofocus)
    assert_focus_visible(page)
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def live_region(page: Page) -> Locator:
    return page.locator("#app-live-region")


def decisions_badge(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Decisions"))


def test_an_officer_records_a_case_by_keyboard(site, new_context):
    factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor", password=PASSWORD)
    factories.ChannelFactory(platform=Platform.FACEBOOK, name="North Herts Council (Facebook)", handle="northhertsdc")
    page = new_context().new_page()
    sign_in_by_keyboard(page, site.url, "olivia")
    expect(page).to_have_url(f"{site.url}/cases/")

    # from the queue
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Record a case"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Record a case")).to_be_visible()

    channel = page.get_by_label("Channel", exact=True)
    tab_to(page, channel)
    page.keyboard.press("ArrowDown")
    expect(channel).to_have_value(re.compile(r"^\d+$"))
    page.keyboard.press("Tab")
    expect(page.get_by_label("Account handle")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("@BinRage77")
    tab_to(page, page.get_by_label("Post text"))
    page.keyboard.type("Bin men are lazy scum, I'll sort them out myself.")
    tab_to(page, page.get_by_label("Normal", exact=True))
    page.keyboard.press("ArrowRight")
    assert_focus_visible(page)
    expect(page.get_by_label("High", exact=True)).to_be_checked()
    rule = page.get_by_label("Rude, abusive, harassing or threatening")
    tab_to(page, rule)
    page.keyboard.press("Space")
    expect(rule).to_be_checked()
    reason = page.get_by_label("Why it is unacceptable")
    tab_to(page, reason)
    page.keyboard.type("Threatens the waste crews.")
    # back to the rule with Shift+Tab, and forward again: the focus shows both ways
    tab_to(page, rule, backwards=True)
    tab_to(page, reason)
    tab_to(page, page.get_by_role("button", name="Record the case"))
    page.keyboard.press("Enter")

    # the success banner is announced: GOV.UK's module focuses a banner with role="alert"
    success = page.locator(".govuk-notification-banner--success")
    expect(success).to_contain_text(re.compile(r"Case \d+ recorded: @binrage77"))
    expect(success).to_have_attribute("role", "alert")
    expect(success).to_be_focused()
    assert_focus_visible(page)
    case = Case.objects.get(account__handle="binrage77")
    assert case.priority == Priority.HIGH
    assert list(case.rules.values_list("code", flat=True))


def test_a_manager_decides_sign_offs_in_place_by_keyboard(site, new_context):
    officer = factories.OfficerFactory(username="olivia", first_name="Olivia", last_name="Okafor")
    factories.ManagerFactory(username="maya", first_name="Maya", last_name="Mistry", password=PASSWORD)
    first, second = (
        factories.AwaitingSignoffWarningFactory(drafted_by=officer, case__account__handle=handle).signoffs.get()
        for handle in ("binrage77", "parkingwarrior")
    )
    page = new_context().new_page()
    sign_in_by_keyboard(page, site.url, "maya")
    expect(page).to_have_url(f"{site.url}/decisions/")
    expect(live_region(page)).to_have_count(1)
    expect(live_region(page)).to_have_attribute("role", "status")
    expect(live_region(page)).to_have_text("")
    expect(decisions_badge(page)).to_have_text(re.compile(r"Decisions\s+2"))
    expect(page.locator("#signoffs-count")).to_have_text("(2)")

    # Approve the first, in place
    row = page.locator(f"#signoff-{first.pk}")
    tab_to(page, row.get_by_role("button", name=re.compile(r"^Approve")))
    page.keyboard.press("Enter")
    result = page.locator(f"#signoff-{first.pk}-result")
    expect(result).to_contain_text("@binrage77: signed off")
    expect(result).to_be_focused()
    assert_focus_visible(page)
    expect(live_region(page)).to_have_text(result.inner_text())
    expect(page.locator("#signoffs-count")).to_have_text("(1)")
    expect(decisions_badge(page)).to_have_text(re.compile(r"Decisions\s+1"))
    announced_first = live_region(page).inner_text()

    # Refuse the second with a reason: open "Refuse" (a details summary) with Space, type, Enter
    row = page.locator(f"#signoff-{second.pk}")
    tab_to(page, row.locator("summary"))
    page.keyboard.press("Space")
    reason = row.get_by_label("Reason for refusing")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("Too harsh: soften the second paragraph.")
    tab_to(page, row.get_by_role("button", name="Refuse", exact=True))
    page.keyboard.press("Enter")
    result = page.locator(f"#signoff-{second.pk}-result")
    expect(result).to_contain_text("@parkingwarrior: refused and returned to the officer")
    expect(result).to_be_focused()
    assert_focus_visible(page)
    expect(live_region(page)).to_have_text(result.inner_text())
    assert live_region(page).inner_text() != announced_first
    expect(page.locator("#signoffs-count")).to_have_text("(0)")
    expect(decisions_badge(page)).to_have_text(re.compile(r"^\s*Decisions\s*$"))  # no badge when nothing waits
    expect(live_region(page)).to_have_count(1)
    check_accessibility(page, "decisions after two decisions by keyboard")
    screenshot(page, "keyboard-decisions-in-place")  # the focus on the second result

    # the keyboard carries on from the result
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    expect(page.get_by_role("link", name=f"See the decision on sign-off {second.pk}")).to_be_focused()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SignOffStatus.APPROVED
    assert second.status == SignOffStatus.REFUSED
    assert SignOff.objects.filter(status=SignOffStatus.PENDING).count() == 0


def test_the_managing_director_acknowledges_a_block_in_place_by_keyboard(site, new_context):
    factories.ManagingDirectorFactory(username="martha", first_name="Martha", last_name="Marsh", password=PASSWORD)
    blocks = [factories.ActiveBlockFactory() for _ in range(2)]
    page = new_context().new_page()
    sign_in_by_keyboard(page, site.url, "martha")
    expect(page).to_have_url(f"{site.url}/decisions/")
    expect(page.locator("#acknowledge-count")).to_have_text("(2)")
    expect(decisions_badge(page)).to_have_text(re.compile(r"Decisions\s+2"))
    expect(live_region(page)).to_have_text("")

    row = page.locator(f"#block-{blocks[1].pk}")
    tab_to(page, row.get_by_role("button", name=re.compile(r"^Acknowledge")))
    page.keyboard.press("Space")
    result = page.locator(f"#block-{blocks[1].pk}-result")
    expect(result).to_contain_text(f"Block of @{blocks[1].account.handle}")
    expect(result).to_contain_text("acknowledged.")
    expect(result).to_be_focused()
    assert_focus_visible(page)
    expect(live_region(page)).to_have_text(result.inner_text())
    expect(page.locator("#acknowledge-count")).to_have_text("(1)")
    expect(decisions_badge(page)).to_have_text(re.compile(r"Decisions\s+1"))
    check_accessibility(page, "decisions after an acknowledgement by keyboard")
    # the other block is still there, one Shift+Tab stop at a time
    tab_to(
        page,
        page.locator(f"#block-{blocks[0].pk}").get_by_role("button", name=re.compile(r"^Acknowledge")),
        backwards=True,
    )
    for block in blocks:
        block.refresh_from_db()
    assert blocks[1].md_acknowledged_at is not None
    assert blocks[0].md_acknowledged_at is None
