"""End-to-end tests: Playwright drives Debian's Chromium against pytest-django's live server.

`make test` runs them when /usr/bin/chromium is present and says loudly when it is not; CI
installs Chromium first and fails rather than skip (CI=true).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterable
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the live server and Playwright share the thread

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "tests/e2e/" in str(item.fspath)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    if e2e and not Path(CHROMIUM).exists():
        message = (
            f"CHROMIUM NOT FOUND at {CHROMIUM}: {len(e2e)} end-to-end browser tests are NOT run. "
            "Install it with `apt-get install -y chromium` (CI does)."
        )
        if os.environ.get("CI"):
            raise pytest.UsageError(message)
        warnings.warn(message, stacklevel=1)
        print(f"\n{'!' * 100}\n{message}\n{'!' * 100}")
        for item in e2e:
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-GB",
        "timezone_id": "Europe/London",
    }


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving the static files (CSS, JavaScript) from their finders.

    pytest-django looks for "django.contrib.staticfiles" by name in INSTALLED_APPS; ours is
    ``config.apps.StaticFilesConfig``, so it would fall back to STATIC_ROOT (never collected in
    tests) and every page would load without GOV.UK Frontend's CSS and JavaScript.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.static_handler = StaticFilesHandler
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(transactional_db, live_server):
    """The live server (its data is committed, then flushed after the test: see tests/conftest.py)."""
    return live_server


@pytest.fixture(autouse=True)
def content_security_policy_holds(request):
    """Every browser context of a test: axe-core injected as the DevTools do (the page's CSP allows
    no inline script, and is not bypassed), and any CSP violation in the console fails the test."""
    if "browser" not in request.fixturenames and not {"page", "new_context", "context"} & set(request.fixturenames):
        yield
        return
    browser = request.getfixturevalue("browser")
    violations: list[str] = []
    original = browser.new_context

    def new_context(*args, **kwargs):
        context = original(*args, **kwargs)
        context.add_init_script(path=str(AXE))

        def on_console(message):
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                violations.append(f"{message.type}: {message.text}")

        context.on("console", on_console)
        return context

    browser.new_context = new_context
    try:
        yield
    finally:
        browser.new_context = original
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


# WCAG 2.0, 2.1 and 2.2, levels A and AA: what the Public Sector Bodies Accessibility Regulations ask.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def check_accessibility(page, name: str, *, fixed_elsewhere: Iterable[str] = ()) -> None:
    """Run axe-core (injected into every context) on the page with the WCAG 2.0/2.1/2.2 A and AA rules
    (``AXE_TAGS``): any violation fails, whatever its impact (minor and moderate ones too).

    Exceptions:

    * none for the GOV.UK back link. axe's ``region`` rule ("all content in landmarks"), which finds the
      back link GOV.UK places above ``<main>``, is a best-practice rule, not a WCAG one: it is not among
      ``AXE_TAGS``, so it is not run and nothing is excused for it. Any other finding fails the test.
    * ``fixed_elsewhere``: axe rule ids a caller names for one page state, for a fault that is fixed on
      another branch; each caller lists them in one named table with the branch that fixes them, so
      the exception is as narrow as one rule on one page and easy to remove.
    """
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    skipped = set(fixed_elsewhere)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["id"] not in skipped
    ]
    assert not bad, f"accessibility violations on {name}:\n" + "\n".join(bad)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def second_step_only_where_tested(request, settings):
    """The casework journeys sign in with a password; tests marked ``mfa`` (and the deploy smoke test,
    in production) go through two-step verification in the browser."""
    if request.node.get_closest_marker("mfa") is None:
        settings.MFA_REQUIRED = False


def current_code(key_hex: str | None = None, *, username: str | None = None) -> str:
    """The code an authenticator app shows now, for a key (hex) or a user's confirmed app.

    A code is accepted once: when the user's app was used in this 30-second step, wait for the next.
    """
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if username is not None:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        while totp.t() <= device.last_t:
            time.sleep(0.5)
            totp.time = time.time()
        return f"{totp.token():0{device.digits}d}"
    totp = TOTP(bytes.fromhex(key_hex))
    return f"{totp.token():06d}"


def sign_in(page, base_url: str, username: str, password: str) -> None:
    """The sign-in page, then the second step when it is asked for (a code from the user's app)."""
    page.goto(f"{base_url}/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/mfa/verify/" in page.url:
        page.get_by_label("Code").fill(current_code(username=username))
        page.get_by_role("button", name="Continue").click()
