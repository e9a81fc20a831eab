"""Single sign-on end to end, against a real OpenID Connect provider (config/oidc.py).

The provider is django-oauth-toolkit (tests/oidc_provider) served by runserver in a process of its own
on a free 127.0.0.1 port, with its own database on the tests' PostgreSQL server, created and dropped
here. Nothing of the client is mocked: the browser's redirects are followed (our pages through Django's
test client, the provider's over HTTP), and the app exchanges the code, fetches the provider's discovery
document and keys and checks the ID token over HTTP as in production.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from config.models import IdentityProviderGroupRole, SecurityEvent, SecurityEventKind
from escalation import routing
from tests import factories
from tests.support import free_port

BASE_DIR = Path(__file__).resolve().parent.parent
CLIENT_ID = "moderation-casework"
CALLBACK = "/sign-in/sso/callback/"
User = get_user_model()


class Provider:
    def __init__(self, base_url: str, token: str, secret: str):
        self.base_url = base_url
        self.token = token
        self.client_secret = secret

    def _post(self, path: str, data: dict) -> dict:
        response = requests.post(f"{self.base_url}{path}", json=data, headers={"X-Test-Token": self.token}, timeout=10)
        response.raise_for_status()
        return response.json()

    def person(self, username: str, *, groups=(), mfa=False, **names) -> str:
        """Create or change a person at the provider; returns their subject (``sub``)."""
        data = {"username": username, "password": "provider-password", "groups": list(groups), "mfa": mfa, **names}
        return self._post("/_test/user/", data)["sub"]

    def register(self, redirect_uris: list[str]) -> None:
        self._post(
            "/_test/client/",
            {"client_id": CLIENT_ID, "client_secret": self.client_secret, "redirect_uris": redirect_uris},
        )

    def sign_in(self, authorize_url: str, username: str, password: str = "provider-password") -> str:  # noqa: S107
        """What a browser does at the provider: the authorize URL, its sign-in page, back to authorize,
        and the redirect to our callback, whose URL is returned (not followed: that is our app)."""
        browser = requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        login_url = requests.compat.urljoin(self.base_url, response.headers["Location"])
        page = browser.get(login_url, timeout=10)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        next_url = parse_qs(urlsplit(login_url).query)["next"][0]
        response = browser.post(
            login_url,
            data={"csrfmiddlewaretoken": csrf, "username": username, "password": password, "next": next_url},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:500]
        response = browser.get(requests.compat.urljoin(self.base_url, response.headers["Location"]), timeout=10,
                               allow_redirects=False)  # fmt: skip
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


@pytest.fixture(scope="session")
def identity_provider(django_db_setup, django_db_blocker):
    from django.db import connection

    db = connection.settings_dict
    name = f"{db['NAME']}_idp"[:63]
    admin = {
        "dbname": "postgres",
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in admin.items() if v}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PYTHONPATH": str(BASE_DIR),
        "OIDC_TEST_DB_NAME": name,
        "OIDC_TEST_DB_HOST": str(db.get("HOST") or ""),
        "OIDC_TEST_DB_PORT": str(db.get("PORT") or ""),
        "OIDC_TEST_DB_USER": str(db.get("USER") or ""),
        "OIDC_TEST_DB_PASSWORD": str(db.get("PASSWORD") or ""),
        "OIDC_TEST_ADMIN_TOKEN": token,
        "OIDC_TEST_RSA_KEY": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    }
    python = [sys.executable, "-m", "django"]
    subprocess.run([*python, "migrate", "--noinput", "-v0"], env=env, cwd=BASE_DIR, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*python, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base_url}/o/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test OIDC provider did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        provider = Provider(base_url, token, secret)
        provider.register([f"http://testserver{CALLBACK}"])
        yield provider
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        with psycopg.connect(**{k: v for k, v in admin.items() if v}, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sso(identity_provider, settings, db):
    """Single sign-on configured against the test provider, with a group for each of two roles."""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = identity_provider.client_secret
    settings.OIDC_PROVIDER_NAME = "Test Council ID"
    settings.OIDC_OP_DISCOVERY_URL = f"{identity_provider.base_url}/o/.well-known/openid-configuration"
    settings.OIDC_TRUST_PROVIDER_MFA = "no"
    IdentityProviderGroupRole.objects.create(
        provider_group="grp-comms-officers", role=Group.objects.get(name=routing.OFFICER)
    )
    IdentityProviderGroupRole.objects.create(
        provider_group="grp-managing-director", role=Group.objects.get(name=routing.MANAGING_DIRECTOR)
    )
    return identity_provider


def sso_callback_url(client: Client, provider: Provider, username: str, next_path: str = "") -> str:
    """Start single sign-on from our sign-in page's button and sign in at the provider."""
    start = "/sign-in/sso/" + (f"?{urlencode({'next': next_path})}" if next_path else "")
    response = client.get(start)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{provider.base_url}/o/authorize/")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]
    callback = provider.sign_in(response["Location"], username)
    assert callback.startswith(f"http://testserver{CALLBACK}?")
    return callback.removeprefix("http://testserver")


def sso_sign_in(client: Client, provider: Provider, username: str, next_path: str = ""):
    return client.get(sso_callback_url(client, provider, username, next_path))


def signed_in_as(client: Client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


class TestSignInPage:
    def test_no_button_unless_configured(self, client, db, settings):
        settings.OIDC_RP_CLIENT_ID = ""
        page = client.get("/sign-in/").content.decode()
        assert "Sign in with" not in page
        assert client.get("/sign-in/sso/").status_code == 404
        assert client.get(f"{CALLBACK}?code=x&state=y").status_code == 404

    def test_the_button_sits_above_the_password_form(self, client, db, settings):
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_PROVIDER_NAME = "Microsoft"
        page = client.get("/sign-in/?next=/decisions/").content.decode()
        assert "Sign in with Microsoft" in page
        assert 'href="/sign-in/sso/?next=/decisions/"' in page
        assert page.index("Sign in with Microsoft") < page.index('name="password"')


@pytest.mark.django_db
class TestSingleSignOn:
    def test_first_sign_in_creates_the_person_with_their_mapped_roles(self, client, sso):
        subject = sso.person(
            "alice", groups=["grp-comms-officers", "grp-unrelated"], email="alice@council.example",
            given_name="Alice", family_name="Adams",
        )  # fmt: skip
        response = sso_sign_in(client, sso, "alice", next_path="/cases/")
        assert response.status_code == 302
        assert response["Location"] == "/cases/"
        user = signed_in_as(client)
        assert user is not None
        assert user.username == subject  # the stable subject, never the email
        assert (user.email, user.first_name, user.last_name) == ("alice@council.example", "Alice", "Adams")
        assert roles(user) == {routing.OFFICER}
        assert user.is_staff
        assert not user.is_superuser
        assert not user.has_usable_password()  # cannot sign in with a password
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.SIGNED_IN, subject_id=user.pk).exists()
        # our second step still follows by default: the provider's sign-in is one factor to us
        response = client.get("/cases/")
        assert response.status_code == 302
        assert response["Location"].startswith("/mfa/")

    def test_a_second_sign_in_is_the_same_person_whatever_their_email(self, client, sso):
        sso.person("bob", groups=["grp-comms-officers"], email="bob@council.example")
        sso_sign_in(client, sso, "bob")
        first = signed_in_as(client)
        sso.person("bob", groups=["grp-comms-officers"], email="robert@council.example")
        other = Client()
        sso_sign_in(other, sso, "bob")
        assert signed_in_as(other) == first
        first.refresh_from_db()
        assert first.email == "robert@council.example"
        assert User.objects.filter(username=first.username).count() == 1

    @pytest.mark.django_db(transaction=True)  # commits as in production: sessions end on commit
    def test_roles_removed_at_the_provider_are_taken_away_at_the_next_sign_in(self, sso):
        sso.person("carol", groups=["grp-comms-officers", "grp-managing-director"])
        laptop = Client()
        sso_sign_in(laptop, sso, "carol")
        user = signed_in_as(laptop)
        assert roles(user) == {routing.OFFICER, routing.MANAGING_DIRECTOR}

        sso.person("carol", groups=["grp-managing-director"])
        phone = Client()
        sso_sign_in(phone, sso, "carol")
        assert signed_in_as(phone) == user
        assert roles(user) == {routing.MANAGING_DIRECTOR}
        # the session that held the removed role has ended (config.sessions); the new one stands
        assert signed_in_as(laptop) is None
        assert Session.objects.filter(session_key=phone.session.session_key).exists()
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_REMOVED, subject_id=user.pk).exists()
        user.refresh_from_db()
        assert user.is_staff  # the Managing Director keeps the admin (appeal review)

    def test_mapping_changed_in_the_admin_applies_at_the_next_sign_in(self, client, sso):
        sso.person("dan", groups=["grp-comms-officers"])
        sso_sign_in(client, sso, "dan")
        user = signed_in_as(client)
        IdentityProviderGroupRole.objects.create(
            provider_group="grp-comms-officers", role=Group.objects.get(name=routing.MANAGER)
        )
        sso_sign_in(Client(), sso, "dan")
        assert roles(user) == {routing.OFFICER, routing.MANAGER}

    @pytest.mark.django_db(transaction=True)  # commits as in production: sessions end on commit
    def test_the_safeguarding_lead_role_is_granted_and_taken_away_by_a_group(self, sso):
        """The lead role (``moderation.lead_safeguarding``) maps like the others: given with its
        permission, beside another role or alone (a lead alone works in the workspace: no admin), and
        taken away when the provider group goes."""
        IdentityProviderGroupRole.objects.create(
            provider_group="grp-safeguarding-leads", role=Group.objects.get(name=routing.SAFEGUARDING_LEAD)
        )
        sso.person("gill", groups=["grp-comms-officers", "grp-safeguarding-leads"])
        laptop = Client()
        sso_sign_in(laptop, sso, "gill")
        user = signed_in_as(laptop)
        assert roles(user) == {routing.OFFICER, routing.SAFEGUARDING_LEAD}
        user = User.objects.get(pk=user.pk)  # permissions read afresh
        assert routing.is_safeguarding_lead(user)
        assert user.is_staff

        sso.person("hal", groups=["grp-safeguarding-leads"])
        lead_only = Client()
        sso_sign_in(lead_only, sso, "hal")
        hal = signed_in_as(lead_only)
        assert roles(hal) == {routing.SAFEGUARDING_LEAD}
        assert routing.is_safeguarding_lead(hal)
        assert not hal.is_staff

        sso.person("gill", groups=["grp-comms-officers"])
        phone = Client()
        sso_sign_in(phone, sso, "gill")
        user = User.objects.get(pk=user.pk)
        assert roles(user) == {routing.OFFICER}
        assert not routing.is_safeguarding_lead(user)
        assert signed_in_as(laptop) is None  # the session that held the lead role has ended

    def test_someone_whose_groups_map_to_no_role_is_refused_with_a_page(self, client, sso):
        sso.person("eve", groups=["grp-unrelated"])
        before = User.objects.count()
        response = sso_sign_in(client, sso, "eve")
        assert response.status_code == 403
        assert "You do not have access to Moderation Casework" in response.content.decode()
        assert signed_in_as(client) is None
        assert User.objects.count() == before

    @pytest.mark.django_db(transaction=True)
    def test_a_person_left_with_no_role_is_refused_and_loses_their_roles_and_sessions(self, sso):
        sso.person("fay", groups=["grp-comms-officers"])
        laptop = Client()
        sso_sign_in(laptop, sso, "fay")
        user = signed_in_as(laptop)
        sso.person("fay", groups=[])
        other = Client()
        response = sso_sign_in(other, sso, "fay")
        assert response.status_code == 403
        assert signed_in_as(other) is None
        assert roles(user) == set()
        assert signed_in_as(laptop) is None

    def test_an_account_switched_off_here_is_refused(self, client, sso):
        sso.person("joy", groups=["grp-comms-officers"])
        sso_sign_in(client, sso, "joy")
        user = signed_in_as(client)
        User.objects.filter(pk=user.pk).update(is_active=False)
        other = Client()
        response = sso_sign_in(other, sso, "joy")
        assert response.status_code == 403
        assert "switched off" in response.content.decode()
        assert signed_in_as(other) is None
        assert roles(user) == {routing.OFFICER}  # left as they were

    def test_a_wrong_state_is_refused(self, client, sso):
        sso.person("gus", groups=["grp-comms-officers"])
        callback = sso_callback_url(client, sso, "gus")
        forged = re.sub(r"state=[^&]+", "state=forged-state", callback)
        response = client.get(forged)
        assert response.status_code == 400
        assert "Sign-in did not finish" in response.content.decode()
        assert signed_in_as(client) is None
        # a callback in a browser that never started a sign-in
        response = Client().get(callback)
        assert response.status_code == 400
        assert not User.objects.filter(username__startswith="subject-").exists()

    def test_a_callback_is_used_once(self, client, sso):
        sso.person("hal", groups=["grp-comms-officers"])
        callback = sso_callback_url(client, sso, "hal")
        assert client.get(callback).status_code == 302
        client.logout()
        response = client.get(callback)
        assert response.status_code == 400
        assert signed_in_as(client) is None

    def test_a_wrong_nonce_is_refused(self, client, sso):
        sso.person("ivy", groups=["grp-comms-officers"])
        callback = sso_callback_url(client, sso, "ivy")
        state = parse_qs(urlsplit(callback).query)["state"][0]
        session = client.session
        states = session["oidc_states"]
        states[state]["nonce"] = "not-the-nonce-the-provider-signed"
        session["oidc_states"] = states
        session.save()
        response = client.get(callback)
        assert response.status_code == 400
        assert "Sign-in did not finish" in response.content.decode()
        assert signed_in_as(client) is None
        assert not User.objects.filter(username__startswith="subject-").exists()

    def test_an_id_token_from_another_issuer_is_refused(self, client, sso, settings):
        settings.OIDC_OP_ISSUER = "https://login.microsoftonline.com/another-tenant/v2.0"
        sso.person("ian", groups=["grp-comms-officers"])
        response = sso_sign_in(client, sso, "ian")
        assert response.status_code == 400
        assert signed_in_as(client) is None

    def test_too_many_groups_to_list_is_refused_saying_so(self, client, sso):
        sso.person("ike", groups=["grp-comms-officers", "_overage"])
        response = sso_sign_in(client, sso, "ike")
        assert response.status_code == 403
        assert "too many groups" in response.content.decode()
        assert signed_in_as(client) is None

    def test_the_provider_refusing_is_a_page_not_an_error(self, client, sso):
        response = client.get("/sign-in/sso/")
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        response = client.get(f"{CALLBACK}?error=access_denied&state={state}")
        assert response.status_code == 403
        assert "did not complete the sign-in" in response.content.decode()

    def test_an_account_with_a_password_is_never_taken_over(self, client, sso):
        subject = sso.person("jim", groups=["grp-comms-officers"])
        local = factories.OfficerFactory(username=subject)
        local.set_password("a-long-local-password")
        local.save()
        response = sso_sign_in(client, sso, "jim")
        assert response.status_code == 403
        assert "signs in with a password" in response.content.decode()
        assert signed_in_as(client) is None

    def test_refusals_lock_nobody_out(self, sso, settings):
        """Refused sign-ins carry no username: django-axes must not count them against the address
        everyone at the council shares."""
        sso.person("kim", groups=["grp-unrelated"])
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            assert sso_sign_in(Client(), sso, "kim").status_code == 403
        sso.person("lee", groups=["grp-comms-officers"])
        client = Client()
        assert sso_sign_in(client, sso, "lee").status_code == 302
        assert signed_in_as(client) is not None


@pytest.mark.django_db
class TestProviderMFA:
    def test_trusted_amr_mfa_is_the_second_step(self, client, sso, settings):
        settings.OIDC_TRUST_PROVIDER_MFA = "amr"
        sso.person("max", groups=["grp-comms-officers"], mfa=True)
        sso_sign_in(client, sso, "max")
        user = signed_in_as(client)
        assert client.get("/cases/").status_code == 200
        assert SecurityEvent.objects.filter(
            kind=SecurityEventKind.SECOND_STEP_PASSED, subject_id=user.pk, detail__device="identity provider"
        ).exists()
        # it is no device they set up: with our own step needed, they are asked to set one up
        from django_otp import user_has_device

        assert not user_has_device(user)

    def test_a_password_only_sign_in_at_the_provider_still_takes_our_second_step(self, client, sso, settings):
        settings.OIDC_TRUST_PROVIDER_MFA = "amr"
        sso.person("ned", groups=["grp-comms-officers"], mfa=False)
        sso_sign_in(client, sso, "ned")
        response = client.get("/cases/")
        assert response.status_code == 302
        assert response["Location"].startswith("/mfa/")

    def test_always_trusts_a_provider_that_enforces_mfa_itself(self, client, sso, settings):
        settings.OIDC_TRUST_PROVIDER_MFA = "always"
        sso.person("pat", groups=["grp-comms-officers"], mfa=False)
        sso_sign_in(client, sso, "pat")
        assert client.get("/cases/").status_code == 200

    def test_not_trusted_by_default(self, client, sso):
        sso.person("ola", groups=["grp-comms-officers"], mfa=True)
        sso_sign_in(client, sso, "ola")
        response = client.get("/cases/")
        assert response.status_code == 302
        assert response["Location"].startswith("/mfa/")


class TestAdmin:
    def test_only_superusers_edit_the_group_mapping(self, client, db):
        url = "/admin/config_security/identityprovidergrouprole/"
        staff = factories.ManagerFactory(username="staff.manager", is_staff=True)
        client.force_login(staff)
        assert client.get(url).status_code in (302, 403)
        admin = User.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
        client.force_login(admin)
        assert client.get(url).status_code == 200
        add = client.get(f"{url}add/").content.decode()
        for role in routing.GRANTABLE_ROLES:  # the safeguarding lead role too
            assert role in add
