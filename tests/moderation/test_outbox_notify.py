"""GOV.UK Notify (moderation/outbox.py): with ``NOTIFY_API_KEY`` set, the outbox sends through Notify's
API with ``notifications-python-client``. Tested against a small local HTTP server that answers as
Notify's documented API does (POST /v2/notifications/email, a JWT signed with the key's secret): a
real HTTP round trip. A 5xx leaves the row unsent, to be tried again."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from moderation import outbox
from moderation.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
TEMPLATE_ID = str(uuid.uuid4())


class FakeNotify(BaseHTTPRequestHandler):
    """Notify's v2 email endpoint: checks the bearer JWT as Notify does, records each request, answers
    201 with the documented body, or ``fail_with`` (a status) when set."""

    received: list[dict] = []
    fail_with: int | None = None

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        try:
            valid = scheme == "Bearer" and get_token_issuer(token) == SERVICE_ID and decode_jwt_token(token, SECRET)
        except Exception:
            valid = False
        if not valid:
            return self._answer(
                403, {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token"}]}
            )
        if self.path != "/v2/notifications/email":
            return self._answer(404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "Not found"}]})
        type(self).received.append(body)
        if type(self).fail_with:
            status = type(self).fail_with
            return self._answer(status, {"status_code": status, "errors": [{"error": "Exception", "message": "down"}]})
        notification_id = str(uuid.uuid4())
        self._answer(
            201,
            {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {
                    "subject": body["personalisation"]["subject"],
                    "body": body["personalisation"]["body"],
                    "from_email": "moderation@notifications.service.gov.uk",
                },
                "uri": f"/v2/notifications/{notification_id}",
                "template": {"id": body["template_id"], "version": 1, "uri": f"/v2/template/{body['template_id']}"},
            },
        )

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def notify_server(settings):
    FakeNotify.received, FakeNotify.fail_with = [], None
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFY_API_KEY = f"moderation_test-{SERVICE_ID}-{SECRET}"
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_port}"
    yield FakeNotify
    server.shutdown()
    server.server_close()


def write(key: str = "n:1", recipients=("maya@example.org", "mark@example.org")) -> OutboxMessage:
    with transaction.atomic():
        return outbox.outbox_add(
            key=key,
            kind="signoff_requested",
            subject="Waiting for you",
            body="Open it: http://x/1/",
            recipients=list(recipients),
        )


def test_with_a_key_each_address_goes_through_notify_and_not_django_mail(notify_server, mailoutbox):
    message = write()

    assert outbox.outbox_deliver(message_id=message.pk) == "sent"

    assert mailoutbox == []
    assert notify_server.received == [
        {
            "email_address": address,
            "template_id": TEMPLATE_ID,
            "personalisation": {"subject": "Waiting for you", "body": "Open it: http://x/1/"},
            "reference": "n:1",
        }
        for address in ("mark@example.org", "maya@example.org")
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 1, "")


def test_a_5xx_from_notify_leaves_the_row_unsent_and_it_is_tried_again(notify_server, mailoutbox):
    message = write(recipients=["maya@example.org"])
    notify_server.fail_with = 500

    assert outbox.outbox_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.sent_at is None
    assert "500" in message.last_error
    assert message.next_attempt_at > message.last_attempt_at
    assert len(notify_server.received) == 1

    notify_server.fail_with = None
    assert outbox.outbox_deliver(message_id=message.pk, force=True) == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)
    assert len(notify_server.received) == 2
    assert mailoutbox == []


def test_a_wrong_key_is_refused_by_notify_and_recorded(notify_server, settings):
    settings.NOTIFY_API_KEY = f"moderation_test-{SERVICE_ID}-{uuid.uuid4()}"
    message = write(recipients=["maya@example.org"])

    assert outbox.outbox_deliver(message_id=message.pk) == "failed"

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert "403" in message.last_error
    assert notify_server.received == []


def test_without_a_key_django_mail_sends_it(settings, mailoutbox):
    settings.NOTIFY_API_KEY = ""
    message = write(recipients=["maya@example.org"])
    assert outbox.outbox_deliver(message_id=message.pk) == "sent"
    [email] = mailoutbox
    assert email.to == ["maya@example.org"]


def test_a_row_notify_keeps_refusing_fails_and_shows_in_the_admin_with_its_people(notify_server, settings, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from tests import factories

    settings.OUTBOX_MAX_ATTEMPTS = 1
    notify_server.fail_with = 503
    manager = factories.ManagerFactory(first_name="Maya", last_name="Manager")
    with transaction.atomic():
        message = outbox.outbox_add(
            key="n:9",
            kind="signoff_requested",
            subject="Waiting for you",
            body="B",
            recipients=[manager.email],
            users=[manager.pk],
        )
    assert outbox.outbox_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(root)
    page = client.get(reverse("admin:moderation_outboxmessage_changelist") + "?status__exact=failed").content.decode()
    assert "Waiting for you" in page
    assert "503" in page
    detail = client.get(reverse("admin:moderation_outboxmessage_change", args=[message.pk])).content.decode()
    assert "Maya Manager" in detail
