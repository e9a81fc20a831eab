"""The transactional outbox: every email the app sends is first a row (``OutboxMessage``) written in
the transaction of the decision that calls for it, then delivered by a worker.

- **Written with the decision.** ``outbox_add`` is called inside the deciding service's transaction:
  the row exists if and only if the decision committed. It is idempotent on ``key``.
- **Delivered twice over.** On commit, a delivery task is queued for the row; if the broker is down
  that is logged and nothing else happens (the request never fails because of it). The beat task
  ``moderation.tasks.deliver_outbox`` (every minute) delivers every row that is due, so a lost task,
  a dead worker or an unreachable Redis only delays an email.
- **Retried with backoff.** A failed attempt records the error and the time of the next
  (``OUTBOX_RETRY_BASE_SECONDS`` doubling, at most ``OUTBOX_RETRY_MAX_SECONDS``); after
  ``OUTBOX_MAX_ATTEMPTS`` the row is *failed* and waits for an administrator's *Retry now*.
- **Sent once.** A delivery claims the row with ``SELECT … FOR UPDATE SKIP LOCKED`` (a second worker
  skips it), marks it sent and runs its ``on_sent`` hook (e.g. the timeline event "Managing Director
  told") in a savepoint, then talks to the SMTP server, then commits. If the server refuses, the
  savepoint is rolled back and the failure is recorded instead. A worker killed while talking to the
  server rolls the whole transaction back: the server never got the end of the message, so nothing
  was sent and the row is tried again.

  The one window left is between the server's "250 accepted" and PostgreSQL's COMMIT (one round
  trip): a crash exactly there leaves the row pending and the email is sent again. We choose
  *at least once* there, because a notice the Managing Director never gets is worse than a second
  copy, and every attempt carries the row's own ``Message-ID`` (and ``X-Outbox-Key``), so mail
  systems and people can recognise the copy. The other choice (commit "sending" before talking to
  the server, never resend an uncertain row) would make a crash anywhere in the conversation lose
  the email.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils.module_loading import import_string

from moderation import clock
from moderation.models import OutboxMessage, OutboxStatus
from moderation.services import conflict
from policy import dates

logger = logging.getLogger(__name__)

PERM_RETRY = "moderation.retry_outboxmessage"


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return make_msgid(idstring="outbox", domain=domain)


def outbox_add(
    *,
    key: str,
    kind: str,
    subject: str,
    body: str,
    recipients: list[str],
    case_id: int | None = None,
    on_sent: str = "",
    users: list[int] | None = None,
) -> OutboxMessage:
    """Write an email to send once the caller's transaction commits. Call it inside that transaction.

    A row with the same ``key`` already there is returned as it is (nothing is queued twice). A row
    with no recipients is written too: it is "sent" to nobody, so its ``on_sent`` hook still runs.
    ``users``: the ids of the people the addresses belong to (recorded with the row).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_add belongs inside the transaction of the decision it reports")
    now = clock.now()
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "message_id": _message_id(),
            "kind": kind,
            "subject": subject[:250],
            "body": body,
            "from_email": settings.DEFAULT_FROM_EMAIL,
            "recipients": sorted(set(recipients)),
            "case_id": case_id,
            "on_sent": on_sent,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if created:
        if users:
            message.recipient_users.set(users)
        pk = message.pk
        transaction.on_commit(lambda: enqueue(pk), robust=True)
    return message


def outbox_add_many(messages: list[dict]) -> list[OutboxMessage]:
    """``outbox_add`` for many emails in three statements (set-based services such as the chase).

    Each dict holds ``key``, ``kind``, ``subject``, ``body``, ``recipients`` and optionally
    ``case_id``, ``on_sent`` and ``users`` (the recipients' user ids).
    Keys already in the outbox are left as they are; the new rows are
    returned, and each is queued for delivery once the caller's transaction commits.
    """
    if not messages:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_add_many belongs inside the transaction of the decisions it reports")
    now = clock.now()
    known = set(OutboxMessage.objects.filter(key__in=[m["key"] for m in messages]).values_list("key", flat=True))
    rows, seen = [], set()
    for message in messages:
        if message["key"] in known or message["key"] in seen:
            continue
        seen.add(message["key"])
        rows.append(
            OutboxMessage(
                key=message["key"],
                message_id=_message_id(),
                kind=message["kind"],
                subject=message["subject"][:250],
                body=message["body"],
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipients=sorted(set(message["recipients"])),
                case_id=message.get("case_id"),
                on_sent=message.get("on_sent", ""),
                created_at=now,
                next_attempt_at=now,
            )
        )
    created = OutboxMessage.objects.bulk_create(rows)
    users = {m["key"]: m.get("users") or [] for m in messages}
    through = OutboxMessage.recipient_users.through
    through.objects.bulk_create(
        [through(outboxmessage_id=row.pk, user_id=user) for row in created for user in users[row.key]]
    )
    ids = [row.pk for row in created]

    def enqueue_all() -> None:
        for pk in ids:
            if not enqueue(pk):
                break  # the broker is down: the sweep sends the rest, no point trying each

    transaction.on_commit(enqueue_all, robust=True)
    return created


def enqueue(message_id: int) -> bool:
    """Queue the delivery task; never raises (the beat sweep delivers what could not be queued)."""
    from moderation.tasks import deliver_outbox_message

    try:
        # one try, no publish retries: a request never waits on a broker that is down (the sweep is there)
        deliver_outbox_message.apply_async((message_id,), retry=False)
    except Exception:  # the broker is unreachable: the sweep will deliver it
        logger.warning("outbox message %s not queued (broker unreachable?); the sweep will send it", message_id)
        return False
    return True


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _send(message: OutboxMessage) -> None:
    if not message.recipients:
        return
    if settings.NOTIFY_API_KEY:
        _send_through_notify(message)
        return
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email,
        to=message.recipients,
        headers={"Message-ID": message.message_id, "X-Outbox-Key": message.key},
        connection=get_connection(timeout=settings.OUTBOX_SMTP_TIMEOUT),
    )
    email.send(fail_silently=False)


def _send_through_notify(message: OutboxMessage) -> None:
    """GOV.UK Notify: one request per address, through the one generic template (``NOTIFY_TEMPLATE_ID``,
    whose subject is ``((subject))`` and body ``((body))``). A refusal or an unreachable Notify raises,
    so the row stays unsent and is tried again; ``reference`` is the row's key, for Notify's records."""
    from notifications_python_client.notifications import NotificationsAPIClient

    client = NotificationsAPIClient(
        settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL, timeout=settings.OUTBOX_SMTP_TIMEOUT
    )
    for address in message.recipients:
        client.send_email_notification(
            email_address=address,
            template_id=settings.NOTIFY_TEMPLATE_ID,
            personalisation={"subject": message.subject, "body": message.body},
            reference=message.key,
        )


def outbox_deliver(*, message_id: int, force: bool = False) -> str:
    """Try to send one message now, if it is pending and due (``force``: due or not).

    Returns what happened: "sent", "failed" (this attempt failed; tried again later, or gave up),
    "busy" (another worker holds it) or "nothing to do" (already sent, failed for good, or not due).
    """
    now = clock.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            exists = OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING).exists()
            return "busy" if exists else "nothing to do"
        if not force and message.next_attempt_at > now:
            return "nothing to do"
        message.attempts += 1
        message.last_attempt_at = now
        try:
            with transaction.atomic():
                message.status, message.sent_at = OutboxStatus.SENT, now
                message.save(update_fields=["status", "sent_at", "attempts", "last_attempt_at"])
                if message.on_sent:
                    import_string(message.on_sent)(message)
                _send(message)  # last: the commit follows the server's acceptance at once
        except Exception as error:
            message.status, message.sent_at = OutboxStatus.PENDING, None
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
            message.save(
                update_fields=["status", "sent_at", "attempts", "last_attempt_at", "last_error", "next_attempt_at"]
            )
            logger.warning(
                "outbox message %s (%s), attempt %s failed: %s", message.pk, message.key, message.attempts, error
            )
            return "failed"
        return "sent"


def outbox_deliver_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """The sweep (beat, every minute): try every pending message that is due, oldest first."""
    now = now or clock.now()
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    for pk in ids:
        outcome = outbox_deliver(message_id=pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@transaction.atomic
def outbox_retry_now(*, actor: AbstractBaseUser, message: OutboxMessage) -> OutboxMessage:
    """An administrator asks for a pending or failed message to be tried again at once."""
    # an operational permission, not a casework one: Django's has_perm, so a superuser holds it
    if actor is None or not actor.is_active or not actor.has_perm(PERM_RETRY):
        raise PermissionDenied("Your role does not allow you to retry outgoing emails.")
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.status == OutboxStatus.SENT:
        raise conflict(f"This email was sent on {dates.say_datetime(message.sent_at)}; it is not sent again.")
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = clock.now()
    message.save(update_fields=["status", "next_attempt_at"])
    logger.info("outbox message %s (%s): retry asked by %s", message.pk, message.key, actor)
    pk = message.pk
    transaction.on_commit(lambda: enqueue(pk), robust=True)
    return message
