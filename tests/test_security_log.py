"""The security log: what is recorded, by whom and from where, and that PostgreSQL keeps it append-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from config.models import SecurityEvent, SecurityEventKind
from escalation import routing
from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def software_passkey(options: dict, *, origin: str) -> dict:
    """What a browser sends back after ``navigator.credentials.create(options)``: a new P-256 key pair,
    attestation "none", user present and verified."""
    import base64
    import hashlib
    import json
    import os

    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64url(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    cose_key = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    credential_id = os.urandom(16)
    auth_data = (
        hashlib.sha256(options["rp"]["id"].encode()).digest()
        + bytes([0x45])  # user present, user verified, attested credential data
        + (0).to_bytes(4, "big")
        + bytes(16)  # AAGUID
        + len(credential_id).to_bytes(2, "big")
        + credential_id
        + cose_key
    )
    client_data = json.dumps(
        {"type": "webauthn.create", "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
    ).encode()
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    return {
        "id": b64url(credential_id),
        "rawId": b64url(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(client_data),
            "attestationObject": b64url(attestation),
            "transports": ["internal"],
        },
        "clientExtensionResults": {},
        "authenticatorAttachment": "platform",
    }


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

    def test_an_authenticator_app_set_up(self, client, officer):
        client.post(reverse("sign_in"), {"username": officer.username, "password": PASSWORD})
        client.get(reverse("mfa_setup_app"))
        device = TOTPDevice.objects.get(user=officer, confirmed=False)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        assert client.post(reverse("mfa_setup_app"), {"code": f"{totp.token():06d}"}).status_code == 302
        added = SecurityEvent.objects.get(kind=SecurityEventKind.DEVICE_ADDED)
        assert (added.subject_id, added.actor_id, added.detail) == (officer.pk, officer.pk, {"device": "app"})

    def test_a_passkey_set_up(self, client, officer, settings):
        """Through the library's real registration views, with a software authenticator."""
        client.post(reverse("sign_in"), {"username": officer.username, "password": PASSWORD})
        options = client.post(reverse("otp_webauthn:credential-registration-begin")).json()
        response = client.post(
            reverse("otp_webauthn:credential-registration-complete"),
            software_passkey(options, origin=settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert WebAuthnCredential.objects.filter(user=officer, pk=response.json()["id"]).exists()
        added = SecurityEvent.objects.get(kind=SecurityEventKind.DEVICE_ADDED)
        assert (added.subject_id, added.actor_id, added.detail) == (officer.pk, officer.pk, {"device": "passkey"})

    def test_a_permission_given_to_a_person_or_a_role_names_who_did_it(self, client, officer):
        superuser = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
        client.force_login(superuser)
        export = Permission.objects.get(codename="view_securityevent")
        page = client.get(reverse("admin:auth_user_change", args=[officer.pk]))
        form = page.context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
        data.update(
            {
                "username": officer.username,
                "groups": list(officer.groups.values_list("pk", flat=True)),
                "user_permissions": [export.pk],
                "date_joined_0": timezone.localtime(officer.date_joined).strftime("%Y-%m-%d"),
                "date_joined_1": timezone.localtime(officer.date_joined).strftime("%H:%M:%S"),
                "is_active": "on",
            }
        )
        response = client.post(reverse("admin:auth_user_change", args=[officer.pk]), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        given = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSION_CHANGED, subject_id=officer.pk)
        assert (given.actor_id, given.detail) == (superuser.pk, {"change": "add"})

        role = Group.objects.get(name=routing.OFFICER)
        role.permissions.remove(Permission.objects.get(codename="channel_ban"))
        taken = SecurityEvent.objects.get(
            kind=SecurityEventKind.PERMISSION_CHANGED, detail__role=role.name, detail__change="remove"
        )
        assert taken.detail["permissions"] == [Permission.objects.get(codename="channel_ban").pk]
        assert taken.actor_label == "system"  # outside a request

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
