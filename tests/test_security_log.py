"""The security log: what is recorded, by whom and from where, and that PostgreSQL keeps it append-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.models import SecurityEvent, SecurityEventKind
from escalation import routing
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True))


class TestWhatIsRecorded:
    def test_a_sign_in_its_failure_and_the_sign_out(self, client, officer):
        client.post(reverse("sign_in"), {"username": officer.username, "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
        client.post(
            reverse("sign_in"), {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="198.51.100.4"
        )
        client.post(reverse("sign_out"), REMOTE_ADDR="198.51.100.4")
        failed, signed_in, signed_out = SecurityEvent.objects.filter(
            kind__in=[SecurityEventKind.SIGN_IN_FAILED, SecurityEventKind.SIGNED_IN, SecurityEventKind.SIGNED_OUT]
        ).order_by("id")
        assert failed.kind == SecurityEventKind.SIGN_IN_FAILED
        assert failed.detail == {"username": officer.username}
        assert failed.ip_address == "198.51.100.4"
        assert (signed_in.kind, signed_in.subject_id, signed_in.actor_id) == ("signed_in", officer.pk, officer.pk)
        assert signed_out.kind == SecurityEventKind.SIGNED_OUT
        assert not any(PASSWORD in str(e.detail) or "wrong" in str(e.detail) for e in SecurityEvent.objects.all())

    def test_a_lockout(self, client, officer, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("sign_in"), {"username": officer.username, "password": "wrong"})
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT).count() == 1

    def test_the_second_step(self, client, officer):
        device = TOTPDevice.objects.create(user=officer, name="Authenticator app", confirmed=True)
        client.post(reverse("sign_in"), {"username": officer.username, "password": PASSWORD})
        client.post(reverse("mfa_verify"), {"code": "000000"})
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        import time

        time.sleep(1.1)  # django-otp waits a second after a wrong code
        client.post(reverse("mfa_verify"), {"code": f"{totp.token():06d}"})
        assert SecurityEventKind.SECOND_STEP_FAILED in kinds()
        assert SecurityEventKind.SECOND_STEP_PASSED in kinds()

    def test_roles_given_and_taken_away_name_who_did_it(self, client, officer, manager):
        superuser = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        client.force_login(superuser)
        page = client.get(reverse("admin:auth_user_change", args=[officer.pk]))
        assert page.status_code == 200
        form = page.context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
        data.update(
            {
                "username": officer.username,
                "groups": [Group.objects.get(name=routing.MANAGER).pk],
                "user_permissions": [],
                "date_joined_0": timezone.localtime(officer.date_joined).strftime("%Y-%m-%d"),
                "date_joined_1": timezone.localtime(officer.date_joined).strftime("%H:%M:%S"),
                "is_active": "on",
            }
        )
        response = client.post(reverse("admin:auth_user_change", args=[officer.pk]), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        removed = SecurityEvent.objects.get(kind=SecurityEventKind.ROLE_REMOVED)
        added = (
            SecurityEvent.objects.filter(kind=SecurityEventKind.ROLE_ADDED, subject_id=officer.pk).order_by("id").last()
        )
        assert removed.detail == {"roles": [routing.OFFICER]}
        assert added.detail == {"roles": [routing.MANAGER]}
        assert removed.actor_id == superuser.pk
        admin_change = SecurityEvent.objects.get(kind=SecurityEventKind.ADMIN_CHANGE)
        assert admin_change.detail["object"] == "auth.user"
        assert admin_change.actor_id == superuser.pk

    def test_an_account_switched_off_outside_any_request_is_recorded_as_the_system(self, officer):
        officer.is_active = False
        officer.save()
        event = (
            SecurityEvent.objects.filter(kind=SecurityEventKind.ACCOUNT_CHANGED, subject_id=officer.pk)
            .order_by("id")
            .last()
        )
        assert event.detail == {"changed": {"is_active": False}}
        assert (event.actor_id, event.actor_label) == (None, "system")

    def test_only_administrators_read_it_in_the_admin(self, client, manager):
        manager.is_staff = True
        manager.save()
        client.force_login(manager)
        assert client.get(reverse("admin:config_security_securityevent_changelist")).status_code == 403
        superuser = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        client.force_login(superuser)
        assert client.get(reverse("admin:config_security_securityevent_changelist")).status_code == 200


class TestAppendOnly:
    @pytest.fixture
    def event(self, officer):
        return SecurityEvent.objects.create(kind=SecurityEventKind.SIGNED_IN, subject_id=officer.pk)

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE config_security_securityevent SET kind = 'signed_out'",
            "UPDATE config_security_securityevent SET at = now() - interval '1 year'",
            "DELETE FROM config_security_securityevent",
            "TRUNCATE config_security_securityevent",
        ],
        ids=["update", "back-date", "delete", "truncate"],
    )
    def test_the_database_refuses_changes(self, event, sql):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        event.refresh_from_db()
        assert event.kind == SecurityEventKind.SIGNED_IN

    def test_a_forged_time_is_replaced_by_the_databases(self):
        forged = timezone.now() - timedelta(days=400)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO config_security_securityevent (at, kind, actor_label, subject_label, detail) "
                "VALUES (%s, 'signed_in', '', '', '{}') RETURNING at",
                [forged],
            )
            (stored,) = cursor.fetchone()
        assert abs((stored - timezone.now()).total_seconds()) < 60
