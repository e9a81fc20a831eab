"""Sign-in and session rules a council's security officer checks (ASVS V6, V7, V3).

Throttled sign-in that does not reveal whether a username exists, idle and absolute session limits,
sessions ended when a role or an account changes, NCSC password rules, and the headers every page
carries (a Content-Security-Policy with no unsafe-inline; scripts allowed by the page's nonce).
"""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from config.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from escalation import routing
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(client, username: str, password: str, path: str = "/sign-in/"):
    return client.post(path, {"username": username, "password": password})


class TestThrottling:
    @pytest.mark.parametrize("path", ["/sign-in/", "/admin/login/"])
    def test_five_failures_lock_the_username_from_that_address(self, client, officer, path, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = sign_in(client, officer.username, "wrong password", path)
            assert response.status_code == 200  # the form again, with its error
        response = sign_in(client, officer.username, "wrong password", path)
        assert response.status_code == 429
        # the right password is refused too while the lock lasts
        response = sign_in(client, officer.username, PASSWORD, path)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert "Wait 15 minutes" in response.content.decode()

    def test_the_lockout_says_the_same_whether_the_user_exists(self, client, officer, settings):
        pages = []
        for username in (officer.username, "nobody-by-this-name"):
            browser = Client()
            for _ in range(settings.AXES_FAILURE_LIMIT):
                response = sign_in(browser, username, "wrong password")
            page = re.sub(r'(value|nonce|"X-CSRFToken"): ?"[^"]*"|(value|nonce)="[^"]*"', "", response.content.decode())
            pages.append((response.status_code, page))
        assert pages[0][0] == pages[1][0]
        import difflib

        assert pages[0][1] == pages[1][1], "\n".join(
            difflib.unified_diff(pages[0][1].splitlines(), pages[1][1].splitlines(), lineterm="")
        )
        assert officer.username not in pages[0][1]

    def test_a_failure_never_says_which_part_was_wrong(self, client, officer):
        known = sign_in(client, officer.username, "wrong password").content.decode()
        unknown = sign_in(client, "nobody-by-this-name", "wrong password").content.decode()
        message = "Enter a correct username and password"
        assert message in known
        assert message in unknown

    def test_another_address_is_not_locked_out(self, officer, settings):
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(attacker, officer.username, "wrong password")
        colleague = Client(REMOTE_ADDR="198.51.100.7")
        assert sign_in(colleague, officer.username, PASSWORD).status_code == 302


def _page(response) -> str:
    return re.sub(r'(value|nonce|"X-CSRFToken"): ?"[^"]*"|(value|nonce)="[^"]*"', "", response.content.decode())


class TestPasswordSpraying:
    """One password tried against many usernames from one address: each username stays under its own
    limit, so the address is locked out (``AXES_IP_FAILURE_LIMIT``, config/lockout.py)."""

    def spray(self, client, count: int, *, start: int = 0):
        return [sign_in(client, f"guess{i}", "Winter2026!").status_code for i in range(start, start + count)]

    def test_many_usernames_from_one_address_lock_the_address(self, officer, settings):
        assert settings.AXES_IP_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
        sprayer = Client(REMOTE_ADDR="203.0.113.50")
        assert set(self.spray(sprayer, settings.AXES_IP_FAILURE_LIMIT - 1)) == {200}
        assert self.spray(sprayer, 1, start=1000) == [429]
        # every username from that address is refused now, a real one with its right password too
        response = sign_in(sprayer, officer.username, PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in sprayer.session
        assert sign_in(sprayer, officer.username, PASSWORD, "/admin/login/").status_code == 429
        # another address is not
        assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), officer.username, PASSWORD).status_code == 302

    def test_one_known_password_does_not_wipe_the_addresss_count(self, officer, settings):
        sprayer = Client(REMOTE_ADDR="203.0.113.51")
        self.spray(sprayer, settings.AXES_IP_FAILURE_LIMIT - 1)
        assert sign_in(sprayer, officer.username, PASSWORD).status_code == 302
        sprayer.post(reverse("sign_out"))
        assert self.spray(Client(REMOTE_ADDR="203.0.113.51"), 1, start=1000) == [429]

    def test_the_lockout_says_the_same_whether_the_user_exists(self, officer, settings):
        pages = []
        for address, username in (("203.0.113.60", officer.username), ("203.0.113.61", "nobody-by-this-name")):
            sprayer = Client(REMOTE_ADDR=address)
            self.spray(sprayer, settings.AXES_IP_FAILURE_LIMIT)
            response = sign_in(sprayer, username, "wrong password")
            pages.append((response.status_code, _page(response)))
        # and the same page as the lockout of one username
        browser = Client(REMOTE_ADDR="203.0.113.62")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = sign_in(browser, officer.username, "wrong password")
        pages.append((response.status_code, _page(response)))
        assert {status for status, _ in pages} == {429}
        assert pages[0][1] == pages[1][1] == pages[2][1]
        assert officer.username not in pages[0][1]


class TestSessionLimits:
    def _age(self, client, *, signed_in_ago: int, seen_ago: int):
        session = client.session
        now = int(time.time())
        session[SIGNED_IN_AT] = now - signed_in_ago
        session[LAST_SEEN_AT] = now - seen_ago
        session.save()

    def test_signing_in_stamps_the_session(self, client, officer):
        assert sign_in(client, officer.username, PASSWORD).status_code == 302
        assert abs(client.session[SIGNED_IN_AT] - time.time()) < 5

    def test_thirty_idle_minutes_sign_a_person_out(self, client, officer):
        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        self._age(client, signed_in_ago=3600, seen_ago=31 * 60)
        response = client.get(reverse("moderation:case_list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("sign_in"))
        assert "next=/cases/" in response["Location"]
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in page

    def test_activity_keeps_a_session_alive(self, client, officer):
        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        self._age(client, signed_in_ago=3600, seen_ago=29 * 60)
        assert client.get(reverse("moderation:case_list")).status_code == 200
        assert time.time() - client.session[LAST_SEEN_AT] < 5

    def test_twelve_hours_end_a_session_however_busy(self, client, officer):
        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        self._age(client, signed_in_ago=12 * 3600 + 1, seen_ago=10)
        response = client.get(reverse("moderation:case_list"))
        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_the_policy_sets_the_limits_and_a_new_version_applies_at_once(self, client, officer):
        from policy import services as policy

        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        policy.revise(reason="Shared offices: a shorter idle limit.", session_idle_minutes=10, session_absolute_hours=8)
        self._age(client, signed_in_ago=3600, seen_ago=11 * 60)
        response = client.get(reverse("moderation:case_list"))
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "signed out after 10 minutes without activity" in page

        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        self._age(client, signed_in_ago=8 * 3600 + 1, seen_ago=10)
        assert client.get(reverse("moderation:case_list")).status_code == 302

    def test_a_policy_may_not_set_limits_out_of_range(self):
        from django.core.exceptions import ValidationError

        from policy import services as policy

        with pytest.raises(ValidationError):
            policy.revise(reason="Never sign anyone out.", session_idle_minutes=10_000)

    def test_an_htmx_request_is_sent_to_sign_in_rather_than_swapped(self, client, officer):
        client.force_login(officer)
        client.get(reverse("moderation:case_list"))
        self._age(client, signed_in_ago=3600, seen_ago=31 * 60)
        response = client.post(reverse("escalation:decision_list"), headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("sign_in"))

    def test_the_api_answers_an_expired_session_as_signed_out(self, client, manager):
        client.force_login(manager)
        client.get(reverse("api:case_list"))
        self._age(client, signed_in_ago=3600, seen_ago=31 * 60)
        response = client.get(reverse("api:case_list"))
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith("application/json")


class TestSessionsEndWhenAccessChanges:
    def _signed_in(self, user) -> Client:
        browser = Client()
        browser.force_login(user)
        assert browser.get("/").status_code == 302
        return browser

    def _is_signed_in(self, browser: Client, user) -> bool:
        return Session.objects.filter(session_key=browser.session.session_key).exists() and (
            browser.session.get("_auth_user_id") == str(user.pk)
        )

    def test_removing_a_role_signs_the_person_out_everywhere(self, officer, django_capture_on_commit_callbacks):
        phone, laptop = self._signed_in(officer), self._signed_in(officer)
        other = factories.OfficerFactory(username="still.here")
        colleague = self._signed_in(other)
        with django_capture_on_commit_callbacks(execute=True):
            officer.groups.remove(Group.objects.get(name=routing.OFFICER))
        assert not self._is_signed_in(phone, officer)
        assert not self._is_signed_in(laptop, officer)
        assert self._is_signed_in(colleague, other)
        assert phone.get(reverse("moderation:case_list")).status_code == 302

    def test_removing_people_from_a_role_signs_them_out(self, officer, django_capture_on_commit_callbacks):
        browser = self._signed_in(officer)
        with django_capture_on_commit_callbacks(execute=True):
            Group.objects.get(name=routing.OFFICER).user_set.remove(officer)
        assert not self._is_signed_in(browser, officer)

    @pytest.mark.parametrize("flag", ["is_active", "is_staff", "is_superuser"])
    def test_switching_off_an_account_flag_signs_the_person_out(
        self, officer, flag, django_capture_on_commit_callbacks
    ):
        setattr(officer, flag, True)
        officer.save()
        browser = self._signed_in(officer)
        with django_capture_on_commit_callbacks(execute=True):
            setattr(officer, flag, False)
            officer.save()
        assert not self._is_signed_in(browser, officer)

    def test_adding_a_role_keeps_the_session(self, officer, django_capture_on_commit_callbacks):
        browser = self._signed_in(officer)
        with django_capture_on_commit_callbacks(execute=True):
            officer.groups.add(Group.objects.get(name=routing.MANAGER))
            officer.first_name = "Renamed"
            officer.save()
        assert self._is_signed_in(browser, officer)


class TestPasswords:
    @pytest.mark.parametrize(
        "password",
        ["short1!", "password1234", "123456789012"],
        ids=["too short", "breached", "numbers only"],
    )
    def test_weak_passwords_are_refused(self, password):
        with pytest.raises(ValidationError):
            validate_password(password)

    def test_a_long_passphrase_needs_no_symbols_or_capitals(self):
        validate_password("harbour lantern otter cinema")


class TestHeaders:
    def test_every_page_carries_a_csp_without_unsafe_inline(self, client, officer):
        for path, user in (("/sign-in/", None), ("/cases/", officer), ("/admin/", None), ("/api/docs/", None)):
            if user:
                client.force_login(user)
            response = client.get(path)
            policy = response.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in policy, path
            assert "unsafe-inline" not in policy, path
            assert "unsafe-eval" not in policy, path
            assert "frame-ancestors 'none'" in policy, path
            assert response.headers.get("Permissions-Policy"), path

    def test_each_inline_script_carries_the_page_nonce(self, client, officer):
        client.force_login(officer)
        response = client.get(reverse("moderation:case_list"))
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        page = response.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
        assert inline, "the page has its inline scripts"
        assert all(f'nonce="{nonce}"' in attrs for attrs in inline), inline
        assert "<style" not in page
        assert not re.search(r"\son[a-z]+=", page), "an inline event handler"
        # another request, another nonce
        again = client.get(reverse("moderation:case_list")).headers["Content-Security-Policy"]
        assert nonce not in again

    def test_signed_in_pages_are_never_stored(self, client, officer):
        client.force_login(officer)
        response = client.get(reverse("moderation:case_list"))
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_the_api_docs_load_their_script_from_a_url(self, client):
        response = client.get("/api/docs/")
        assert response.status_code == 200
        page = response.content.decode()
        assert not re.findall(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page), "an inline script on the API docs"
