"""Emails the escalation process sends. Each is written to the outbox (``moderation.outbox``) in
the transaction of the decision that calls for it and delivered by a worker, retried until sent."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.template.loader import render_to_string

from escalation import routing
from moderation.constants import EventKind
from moderation.events import record_event
from moderation.models import OutboxMessage
from moderation.outbox import outbox_add
from policy import services as policy
from policy.titles import titles


def emails_of_role_holders(perm: str) -> list[str]:
    """Email addresses of active users whose role carries ``perm`` (superusers not included)."""
    app_label, codename = perm.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    users = (
        get_user_model()
        .objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True)
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def managing_director_emails() -> list[str]:
    return emails_of_role_holders(routing.PERM_ACKNOWLEDGE_BLOCK)


def managing_directors() -> tuple[list[str], list[int]]:
    """The Managing Directors' addresses and user ids (the outbox row records both)."""
    app_label, codename = routing.PERM_ACKNOWLEDGE_BLOCK.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    rows = (
        get_user_model()
        .objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission), is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
        .distinct()
    )
    rows = sorted(set(rows))
    return sorted({email for _, email in rows}), [pk for pk, _ in rows]


def render(template: str, context: dict) -> tuple[str, str]:
    """``escalation/email/<template>.txt`` rendered: (subject, body); its first line is the subject."""
    version = policy.current()
    context = {
        "organisation": version.organisation_name,
        "appeals_offered": version.appeals,
        "titles": titles(),
        **context,
    }
    subject, _, body = render_to_string(f"escalation/email/{template}.txt", context).strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue(
    template: str,
    recipients: Iterable[str],
    context: dict,
    *,
    key: str,
    case_id: int | None = None,
    on_sent: str = "",
    users: list[int] | None = None,
) -> OutboxMessage | None:
    """Write the email to the outbox, in the caller's transaction; sent once that commits.

    Nothing is written for nobody unless ``on_sent`` must still run (it records who was told).
    """
    recipients = sorted(set(recipients))
    if not recipients and not on_sent:
        return None
    subject, body = render(template, context)
    return outbox_add(
        key=key,
        kind=template,
        subject=subject,
        body=body,
        recipients=recipients,
        case_id=case_id,
        on_sent=on_sent,
        users=users,
    )


# --- The Managing Director's notices: stamped and on the timeline when they are sent -------------


def block_notice_queue(block) -> OutboxMessage:
    """In the transaction that starts ``block``: the notice to the Managing Director(s)."""
    emails, users = managing_directors()
    return queue(
        "block_notice",
        emails,
        {"block": block},
        key=f"block-notice:{block.pk}",
        users=users,
        case_id=block.case_id,
        on_sent="escalation.notifications.block_notice_sent",
    )


def _stamp_md_told(model, message: OutboxMessage, *, sent_note: str, unsent_note: str) -> None:
    """In the sending transaction: the block or police report says when the MD was told, once, and
    its case's timeline says so."""
    subject = model.objects.select_for_update(of=("self",)).get(pk=int(message.key.rpartition(":")[2]))
    if subject.md_notified_at is not None:
        return
    subject.md_notified_at = message.sent_at
    subject.save(update_fields=["md_notified_at"])
    record_event(
        case=subject.case_id,
        kind=EventKind.MD_NOTIFIED,
        actor=None,
        subject=subject,
        after={"recipients": message.recipients},
        note=sent_note if message.recipients else unsent_note,
    )


def block_notice_sent(message: OutboxMessage) -> None:
    """Outbox hook: the block says when the MD was told."""
    from escalation.models import Block

    _stamp_md_told(
        Block,
        message,
        sent_note="",
        unsent_note=f"No {titles().head} has an email address: tell them another way.",
    )


def police_report_queue(report) -> OutboxMessage:
    """In the transaction that records ``report``: the notice to the Managing Director(s)."""
    emails, users = managing_directors()
    return queue(
        "police_report",
        emails,
        {"report": report},
        key=f"police-report:{report.pk}",
        users=users,
        case_id=report.case_id,
        on_sent="escalation.notifications.police_report_sent",
    )


def police_report_sent(message: OutboxMessage) -> None:
    """Outbox hook: the police report says when the MD was told."""
    from escalation.models import PoliceReport

    _stamp_md_told(
        PoliceReport,
        message,
        sent_note="Police report shared.",
        unsent_note=f"No {titles().head} has an email address.",
    )
