"""Emails the escalation process sends (through Django's email backend)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string

from escalation import routing


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


def send(template: str, recipients: Iterable[str], context: dict) -> int:
    """Render ``escalation/email/<template>.txt`` (first line is the subject) and send it."""
    recipients = sorted(set(recipients))
    if not recipients:
        return 0
    context = {"organisation": settings.ORGANISATION_NAME, **context}
    subject, _, body = render_to_string(f"escalation/email/{template}.txt", context).strip().partition("\n")
    return send_mail(subject.strip(), body.strip() + "\n", settings.DEFAULT_FROM_EMAIL, recipients)
