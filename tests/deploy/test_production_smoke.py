"""The deploy smoke test: the production build, served as production serves it.

Builds nothing itself (``make test-deploy`` builds the front end first), then:
1. ``collectstatic`` with ``config.settings.production`` into a fresh folder (the manifest storage
   refuses a missing file, so a template linking one is a 500 on every page);
2. a fresh database on the PostgreSQL server in ``DATABASE_URL``, migrated with the production
   settings, with the demo users and cases loaded;
3. gunicorn on 127.0.0.1 with the production settings, as a TLS proxy would reach it
   (``X-Forwarded-Proto: https``);
4. each role signs in through the real sign-in page and loads its landing page and one case over
   HTTP: 200, the security headers, and every stylesheet, script and icon the page links.

Run by ``.ci/run`` (``make test-deploy``); needs ``DATABASE_URL`` and ``REDIS_URL``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlparse

import psycopg
import pytest
from django_otp.oath import TOTP

from tests.support import free_port

pytestmark = [pytest.mark.deploy]

ROOT = Path(__file__).resolve().parents[2]
HOST = "moderation.example.gov.uk"
# gunicorn connects as this role (config/dbroles.py), as production does; the test's owner migrates
APP_ROLE = "moderation_smoke_app"

# Headers every HTML page must carry in production, and the value each must have (None: present).
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": None,
    "content-security-policy": None,
}
GUNICORN_WORKERS = 2
# How long gunicorn's workers may take to load and answer their first request: on a loaded machine
# (two cores shared by several test runs) the first /sign-in/ has taken more than 30 seconds.
STARTUP_DEADLINE = 120
# Each request once the workers answer: generous for a busy machine, short enough to fail a hang.
REQUEST_TIMEOUT = 30


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        pytest.fail("The deploy smoke test needs DATABASE_URL and REDIS_URL (make test-deploy, as .ci/run runs it).")
    base = urlparse(os.environ["DATABASE_URL"])
    name = f"moderation_smoke_{os.getpid()}"
    admin = {"host": base.hostname, "port": base.port or 5432, "user": base.username, "dbname": "postgres"}
    if base.password:
        admin["password"] = base.password
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    work = tmp_path_factory.mktemp("production")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": base._replace(path=f"/{name}").geturl(),
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "MEDIA_ROOT": str(work / "media"),
        "DEMO_PASSWORDS_PATH": str(work / "passwords.json"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    yield env, work
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict, *args: str, **overrides: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, **overrides},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def production(server_env):
    """collectstatic + migrate with the production settings, demo data, then gunicorn."""
    env, work = server_env
    _manage(env, "collectstatic", "--noinput")
    assert (work / "static" / "staticfiles.json").exists()
    # as production: the owner migrates and creates the application's role, which owns nothing
    _manage(env, "migrate", "--noinput")
    _manage(env, "db_app_role", APP_ROLE, "--create")
    # the demo data is a local-run command (it refuses DEBUG off): load it with the local settings
    _manage(env, "seed_demo", DJANGO_SETTINGS_MODULE="config.settings.local", DJANGO_DEBUG="true")
    passwords = json.loads(Path(env["DEMO_PASSWORDS_PATH"]).read_text())
    owner_url = urlparse(env["DATABASE_URL"])
    app_env = {
        **env,
        "DATABASE_URL": owner_url._replace(netloc=f"{APP_ROLE}@{owner_url.hostname}:{owner_url.port or 5432}").geturl(),
    }

    port = free_port()
    log = (work / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=app_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_answering(port, process, work / "gunicorn.log")
        yield {"port": port, "passwords": passwords, "env": env, "app_env": app_env, "log": work / "gunicorn.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    """Wait until every gunicorn worker answers an HTTP request, not only until the port is open: a
    worker accepts connections before Django has loaded, and its first page can take long.

    Each round asks ``/sign-in/`` on as many connections at once as there are workers (a busy
    sync worker leaves the next request to another), and is done when every one got a response, of
    any status (a 500 is an answer: the tests report it). Fails after ``STARTUP_DEADLINE`` seconds,
    or at once if gunicorn exits."""
    deadline = time.monotonic() + STARTUP_DEADLINE

    def ask(_) -> int | str:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=max(1.0, deadline - time.monotonic()))
        try:
            conn.request("GET", "/sign-in/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            return conn.getresponse().status
        except OSError as error:  # refused before the port opens; a timeout at the deadline
            return repr(error)
        finally:
            conn.close()

    with ThreadPoolExecutor(GUNICORN_WORKERS) as pool:
        while True:
            answers = list(pool.map(ask, range(GUNICORN_WORKERS)))
            if all(isinstance(answer, int) for answer in answers):
                return
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited ({process.returncode}):\n" + log.read_text())
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within {STARTUP_DEADLINE} s ({answers}):\n" + log.read_text())
            time.sleep(0.5)


class Browser:
    """A minimal HTTPS-behind-a-proxy client: keeps cookies itself (they are Secure, we speak HTTP)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def request(self, method: str, path: str, body: dict | None = None, referer: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "deploy-smoke-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = referer or f"https://{HOST}{path}"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        conn.close()
        return response, content.decode("utf-8", "replace")

    def get(self, path: str, follow: bool = True):
        response, text = self.request("GET", path)
        hops = 0
        while follow and response.status in (301, 302, 303) and hops < 5:
            location = urlparse(urljoin(f"https://{HOST}{path}", response.headers["Location"]))
            assert location.netloc == HOST, f"redirected off the site to {location.geturl()}"
            path = location.path + (f"?{location.query}" if location.query else "")
            response, text = self.request("GET", path)
            hops += 1
        return response, text, path

    def sign_in(self, username: str, password: str):
        response, page, _ = self.get("/sign-in/")
        assert response.status == 200, page[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        response, text = self.request(
            "POST", "/sign-in/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        assert response.status == 302, f"sign-in as {username} answered {response.status}:\n{text[:2000]}"
        return response


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "img" and attrs.get("src"):
            self.urls.append(attrs["src"])


def _assert_secure_page(response, text: str, what: str) -> None:
    assert response.status == 200, f"{what} answered {response.status}:\n{text[:3000]}"
    assert "unsafe-inline" not in response.headers.get("content-security-policy", ""), what
    for header, expected in SECURITY_HEADERS.items():
        value = response.headers.get(header)
        assert value is not None, f"{what} has no {header} header"
        if expected is not None:
            assert value == expected, f"{what}: {header} is {value!r}, expected {expected!r}"
    assert "no-store" in (response.headers.get("Cache-Control") or "") or what.startswith("the sign-in"), (
        f"{what} may be cached: {response.headers.get('Cache-Control')!r}"
    )


def _assert_assets_served(browser: Browser, page: str, what: str) -> None:
    parser = _Assets()
    parser.feed(page)
    static = [url for url in parser.urls if url.startswith("/static/")]
    assert static, f"{what} links no static files"
    for url in static:
        response, _ = browser.request("GET", url)
        assert response.status == 200, f"{what} links {url}, which answers {response.status}"
        # hashed names, cached for ever by WhiteNoise
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} is not a hashed (manifest) name"


def _case_for(env: dict, username: str) -> int:
    """A case the user's role may open: any for the team and the MD, one of their areas' for a director."""
    dsn = env["DATABASE_URL"]
    with psycopg.connect(dsn) as conn:
        if username == "sam":
            row = conn.execute(
                """SELECT c.id FROM moderation_case c
                   JOIN moderation_servicearea_directors d ON d.servicearea_id = c.service_area_id
                   JOIN auth_user u ON u.id = d.user_id WHERE u.username = %s ORDER BY c.id LIMIT 1""",
                [username],
            ).fetchone()
        else:
            row = conn.execute("SELECT id FROM moderation_case ORDER BY id LIMIT 1").fetchone()
    assert row, f"the demo data has no case {username} may open"
    return row[0]


# The landing page each role is sent to after signing in, and the case page it may open.
ROLES = [
    ("olivia", "/cases/", "/cases/{id}/"),
    ("maya", "/decisions/", "/cases/{id}/"),
    ("sam", "/decisions/", "/cases/{id}/"),
    ("martha", "/decisions/", "/cases/{id}/"),
    ("admin", "/admin/", "/admin/moderation/case/{id}/change/"),
]


def test_every_page_of_the_sign_in_is_served_with_its_assets(production):
    browser = Browser(production["port"])
    response, page, _ = browser.get("/sign-in/")
    _assert_secure_page(response, page, "the sign-in page")
    _assert_assets_served(browser, page, "the sign-in page")
    # a proxy speaking plain HTTP is sent to HTTPS
    conn = http.client.HTTPConnection("127.0.0.1", production["port"], timeout=REQUEST_TIMEOUT)
    conn.request("GET", "/sign-in/", headers={"Host": HOST})
    plain = conn.getresponse()
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{HOST}/sign-in/"
    # browsers ask for /favicon.ico whatever the page links: no 404 for it
    response, _ = browser.request("GET", "/favicon.ico")
    assert response.status in (200, 301, 302)


@pytest.mark.parametrize(("username", "landing", "case_path"), ROLES, ids=[r[0] for r in ROLES])
def test_each_role_signs_in_and_opens_its_landing_page_and_a_case(production, username, landing, case_path):
    browser = Browser(production["port"])
    browser.sign_in(username, production["passwords"][username])
    session_cookies = [c for c in browser.set_cookie_headers if "session" in c.split("=", 1)[0]]
    assert session_cookies, "signing in set no session cookie"
    for cookie in browser.set_cookie_headers:
        name = cookie.split("=", 1)[0]
        assert name.startswith("__Host-"), f"{name}: production cookies carry the __Host- prefix"
        assert "domain=" not in cookie.lower(), cookie
        assert "path=/" in cookie.lower(), cookie
    for cookie in session_cookies:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie

    # production requires two-step verification: the first sign-in sets up an authenticator app
    response, page, path = browser.get("/")
    assert path == "/mfa/?next=/", f"{username} was not asked to set up two-step verification: {path}"
    _assert_secure_page(response, page, f"{username}'s two-step set-up")
    response, page, path = browser.get("/mfa/app/?next=/")
    _assert_secure_page(response, page, f"{username}'s authenticator app set-up")
    _assert_assets_served(browser, page, "the authenticator app set-up")
    key = "".join(re.findall(r"<span>([A-Z2-7]{1,4})</span>", page))
    code = f"{TOTP(base64.b32decode(key)).token():06d}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response, text = browser.request(
        "POST",
        "/mfa/app/",
        {"csrfmiddlewaretoken": token, "code": code, "next": "/"},
        referer=f"https://{HOST}/mfa/app/",
    )
    assert response.status == 302, text[:2000]
    response, page, path = browser.get(response.headers["Location"])
    _assert_secure_page(response, page, f"{username}'s recovery codes")
    assert len(re.findall(r"<code>", page)) == 10

    response, page, path = browser.get("/")
    assert path == landing, f"{username} landed on {path}, expected {landing}"
    _assert_secure_page(response, page, f"{username}'s landing page {path}")
    _assert_assets_served(browser, page, f"{username}'s landing page")

    case = case_path.format(id=_case_for(production["env"], username))
    response, page, path = browser.get(case)
    assert path == case, f"{username} was redirected from {case} to {path}"
    _assert_secure_page(response, page, f"{username}'s case page {case}")
    _assert_assets_served(browser, page, f"{username}'s case page")

    # signing out works in production too
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response, _ = browser.request(
        "POST", "/sign-out/" if username != "admin" else "/admin/logout/", {"csrfmiddlewaretoken": token}
    )
    assert response.status in (200, 302)
    response, _, path = browser.get(landing)
    assert "sign-in" in path or "login" in path, f"after signing out {landing} still opened as {path}"


def test_the_server_runs_as_a_role_that_owns_nothing(production):
    with psycopg.connect(production["app_env"]["DATABASE_URL"]) as conn:
        user, owns = conn.execute(
            "SELECT current_user, (SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = current_user)"
        ).fetchone()
        assert (user, owns) == (APP_ROLE, 0)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE moderation_caseevent DISABLE TRIGGER USER")


def test_uploaded_files_are_not_served_from_media(production):
    """Evidence is read only through the case page's reader check (``/cases/N/evidence/M/``): nothing
    in production serves ``MEDIA_ROOT`` at ``/media/`` (no route; WhiteNoise serves the static files only)."""
    secret = f"evidence-{secrets.token_hex(8)}"
    stored = Path(production["env"]["MEDIA_ROOT"]) / "evidence" / "2026" / "12" / "screenshot.png"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(secret)
    browser = Browser(production["port"])
    for path in ("/media/evidence/2026/12/screenshot.png", "/static/../media/evidence/2026/12/screenshot.png"):
        response, text = browser.request("GET", path)
        assert response.status != 200, path
        assert secret not in text, path
        response, text, _ = browser.get(path)
        assert secret not in text, path


def test_the_server_logged_no_error(production):
    """Runs last in this module: nothing on the way was a 5xx."""
    log = production["log"].read_text()
    statuses = re.findall(r'" (\d{3}) ', log)
    assert statuses, "gunicorn logged no requests"
    assert not [s for s in statuses if s.startswith("5")], log[-5000:]
