"""Two-step verification, signed in through the real pages (no force_login here).

Every person proves a second factor before any page: an authenticator app (TOTP), a passkey, or a
single-use recovery code. Failures count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import mfa

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def password_step(client: Client, user) -> None:
    response = client.post(reverse("sign_in"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def code_for(device: TOTPDevice, *, step_offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += step_offset * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=mfa.APP_DEVICE_NAME, confirmed=True)


class TestRequiredBeforeAnyPage:
    @pytest.mark.parametrize(
        "path", ["/cases/", "/decisions/", "/admin/", "/admin/moderation/case/", "/imports/", "/accounts/1/"]
    )
    def test_a_password_alone_opens_nothing(self, client, manager, path):
        manager.is_staff = True
        manager.save()
        password_step(client, manager)
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_setup") + "?next=")

    def test_someone_with_an_app_is_asked_for_a_code(self, client, officer):
        enrolled(officer)
        password_step(client, officer)
        response = client.get("/cases/")
        assert response["Location"] == f"{reverse('mfa_verify')}?next=/cases/"

    def test_the_api_answers_json(self, client, manager):
        password_step(client, manager)
        response = client.get(reverse("api:case_list"))
        assert response.status_code == 403
        assert "two-step verification" in response.json()["detail"]

    def test_an_htmx_request_is_sent_to_the_second_step(self, client, manager):
        enrolled(manager)
        password_step(client, manager)
        response = client.post("/decisions/", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("mfa_verify"))

    def test_signing_out_works_half_way(self, client, officer):
        password_step(client, officer)
        response = client.post(reverse("sign_out"))
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session


class TestSetUpAnAuthenticatorApp:
    def test_scan_enter_the_code_and_keep_the_recovery_codes(self, client, officer):
        password_step(client, officer)
        page = client.get(reverse("mfa_setup")).content.decode()
        assert "Set up an authenticator app" in page
        response = client.get(reverse("mfa_setup_app") + "?next=/cases/")
        page = response.content.decode()
        assert "<svg" in page
        device = TOTPDevice.objects.get(user=officer, confirmed=False)
        key = "".join(re.findall(r"<span>([A-Z2-7]{1,4})</span>", page))
        assert bytes.fromhex(device.key) == __import__("base64").b32decode(key)

        response = client.post(reverse("mfa_setup_app"), {"code": code_for(device), "next": "/cases/"})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('mfa_recovery_codes')}?next=/cases/"
        device.refresh_from_db()
        assert device.confirmed
        page = client.get(response["Location"]).content.decode()
        codes = re.findall(r"<code>([a-z0-9]+)</code>", page)
        assert len(codes) == mfa.RECOVERY_CODE_COUNT
        assert "shown only once" in page
        # the codes are not shown again
        again = client.get(reverse("mfa_recovery_codes")).content.decode()
        assert not re.findall(r"<code>", again)
        assert f"You have {mfa.RECOVERY_CODE_COUNT} recovery codes left" in again
        assert client.get("/cases/").status_code == 200

    def test_a_wrong_code_is_refused_on_the_form(self, client, officer):
        password_step(client, officer)
        client.get(reverse("mfa_setup_app"))
        response = client.post(reverse("mfa_setup_app"), {"code": "000000"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in page
        assert "The code is not right" in page
        assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
        assert client.get("/cases/").status_code == 302

    def test_an_empty_code_says_what_to_enter(self, client, officer):
        password_step(client, officer)
        page = client.post(reverse("mfa_setup_app"), {"code": "  "}).content.decode()
        assert "Enter the 6-digit code your authenticator app shows" in page

    def test_someone_already_enrolled_cannot_add_an_app_without_the_second_step(self, client, officer):
        enrolled(officer)
        password_step(client, officer)
        response = client.get(reverse("mfa_setup_app"))
        assert response["Location"].startswith(reverse("mfa_verify"))
        assert TOTPDevice.objects.filter(user=officer).count() == 1


class TestSecondStep:
    def test_the_app_code_signs_in_and_goes_where_they_were_going(self, client, officer):
        device = enrolled(officer)
        password_step(client, officer)
        response = client.post(reverse("mfa_verify"), {"code": code_for(device), "next": "/cases/"})
        assert response.status_code == 302
        assert response["Location"] == "/cases/"
        assert client.get("/cases/").status_code == 200

    def test_a_code_is_accepted_once(self, client, officer):
        device = enrolled(officer)
        code = code_for(device)
        password_step(client, officer)
        assert client.post(reverse("mfa_verify"), {"code": code}).status_code == 302
        other = Client()
        password_step(other, officer)
        response = other.post(reverse("mfa_verify"), {"code": code})
        assert response.status_code == 200
        assert "The code is not right" in response.content.decode()

    def test_next_never_leaves_the_site(self, client, officer):
        device = enrolled(officer)
        password_step(client, officer)
        response = client.post(reverse("mfa_verify"), {"code": code_for(device), "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_a_recovery_code_works_once(self, client, officer):
        enrolled(officer)
        [code, *_] = mfa.recovery_codes_renew(user=officer)
        password_step(client, officer)
        response = client.post(reverse("mfa_verify"), {"code": code.upper()})
        assert response.status_code == 302
        other = Client()
        password_step(other, officer)
        assert other.post(reverse("mfa_verify"), {"code": code}).status_code == 200
        device = StaticDevice.objects.get(user=officer)
        assert device.token_set.count() == mfa.RECOVERY_CODE_COUNT - 1

    def test_new_recovery_codes_replace_the_old(self, client, officer):
        device = enrolled(officer)
        old = mfa.recovery_codes_renew(user=officer)
        password_step(client, officer)
        client.post(reverse("mfa_verify"), {"code": code_for(device)})
        client.post(reverse("mfa_recovery_codes"))
        page = client.get(reverse("mfa_recovery_codes")).content.decode()
        new = re.findall(r"<code>([a-z0-9]+)</code>", page)
        assert len(new) == mfa.RECOVERY_CODE_COUNT
        assert not set(old) & set(new)
        assert set(StaticDevice.objects.get(user=officer).token_set.values_list("token", flat=True)) == set(new)

    def test_five_wrong_codes_lock_the_person_out_and_end_the_session(self, client, officer, settings):
        enrolled(officer)
        password_step(client, officer)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post(reverse("mfa_verify"), {"code": "123456"}).status_code == 200
        response = client.post(reverse("mfa_verify"), {"code": "123456"})
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        # and the password is refused from that address while the lock lasts
        response = client.post(reverse("sign_in"), {"username": officer.username, "password": PASSWORD})
        assert response.status_code == 429

    def test_removing_the_device_ends_the_sessions_it_verified(
        self, client, officer, django_capture_on_commit_callbacks
    ):
        device = enrolled(officer)
        password_step(client, officer)
        client.post(reverse("mfa_verify"), {"code": code_for(device)})
        assert client.get("/cases/").status_code == 200
        key = client.session.session_key
        with django_capture_on_commit_callbacks(execute=True):
            device.delete()
        assert not Session.objects.filter(session_key=key).exists()
        assert client.get("/cases/").status_code == 302


class TestPasskeys:
    def test_the_set_up_page_offers_a_passkey_with_scripts_from_files(self, client, officer):
        password_step(client, officer)
        page = client.get(reverse("mfa_setup")).content.decode()
        assert 'id="passkey-registration-placeholder"' in page
        assert 'id="otp_webauthn_config"' in page  # JSON data, not code
        assert re.search(r'<script type="module" src="/static/django_otp_webauthn/otp_webauthn_register[^"]*"', page)

    def test_registration_can_begin_for_someone_not_yet_enrolled(self, client, officer):
        password_step(client, officer)
        response = client.post(reverse("otp_webauthn:credential-registration-begin"))
        assert response.status_code == 200
        assert response.json()["rp"]["id"] == "localhost"

    def test_passkey_added_needs_a_passkey(self, client, officer):
        password_step(client, officer)
        response = client.get(reverse("mfa_passkey_added"))
        assert response["Location"] == reverse("mfa_setup")
