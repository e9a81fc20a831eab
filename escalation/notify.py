"""Everyone hears of what waits for them (issue 12, "Notifications").

| event                                   | who is told                                                  |
|-----------------------------------------|--------------------------------------------------------------|
| sign-off requested (warning, block)     | the active people whose role may decide it (``deciders_for``) |
| appeal logged, to be heard              | the people who decide appeals and the head of the organisation |
| appeal logged, too early to be heard    | the head of the organisation (the Managing Director role)    |
| sign-off refused (appeal upheld)        | the person who asked                                          |

Never the person who asked or wrote what is asked about, never an inactive account, never a
superuser who does not hold the role (roles are read from groups and permissions, as routing does).

Each person's ``NotificationPreference`` decides how: an email for each event (the default), a daily
digest (``digest_send``, beat at 07:30), or none. Whatever they chose, a ``Notification`` row records
that they were told, how, and the outbox email that carried it. Everything is written in the
transaction of the decision, through the outbox (``moderation.outbox``), one email per person, keyed
``<event key>:user:<id>``: the same decision written twice sends one email.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse

from escalation import routing
from escalation.constants import SignOffKind
from escalation.models import (
    Block,
    Notification,
    NotificationChoice,
    NotificationDelivery,
    NotificationPreference,
    SignOff,
)
from escalation.notifications import render
from moderation import clock
from moderation.outbox import outbox_add_many
from policy.roles import holders_of


def absolute(path: str) -> str:
    """``path`` on the site's address (``SITE_URL``), for a link in an email."""
    return f"{settings.SITE_URL}{path}"


def _users(queryset, exclude: set[int]) -> list:
    """The active people of ``queryset`` but ``exclude``, with their preference (one query)."""
    return list(
        queryset.filter(is_active=True)
        .exclude(pk__in=exclude)
        .select_related("notification_preference")
        .only("pk", "email", "is_active", "notification_preference__choice")
        .order_by("pk")
    )


def _choice(user) -> str:
    try:
        return user.notification_preference.choice
    except NotificationPreference.DoesNotExist:
        return NotificationChoice.EACH


def delivery_for(choice: str, email: str) -> str:
    """How one person hears of one event: their choice, unless they have no address."""
    if choice == NotificationChoice.NONE:
        return NotificationDelivery.SKIPPED
    if not email:
        return NotificationDelivery.NO_ADDRESS
    if choice == NotificationChoice.DIGEST:
        return NotificationDelivery.DIGEST
    return NotificationDelivery.EMAIL


def tell(users, *, key: str, template: str, context: dict, path: str, case_id: int | None) -> list[Notification]:
    """Tell each of ``users`` of one event, each as they chose, in the caller's transaction.

    Writes one ``Notification`` per person and one outbox email per person who wants each event.
    Nothing is written again for an event already told (``key``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notifications belong inside the transaction of the decision they report")
    users = list(users)
    if not users or Notification.objects.filter(key=key).exists():
        return []
    url = absolute(path)
    subject, body = render(template, {**context, "url": url})
    now = clock.now()
    rows, emails = [], []
    for user in users:
        delivery = delivery_for(_choice(user), user.email)
        if delivery == NotificationDelivery.EMAIL:
            emails.append(
                {
                    "key": f"{key}:user:{user.pk}",
                    "kind": template,
                    "subject": subject,
                    "body": body,
                    "recipients": [user.email],
                    "case_id": case_id,
                    "users": [user.pk],
                }
            )
        rows.append(
            Notification(
                user=user,
                key=key,
                kind=template,
                case_id=case_id,
                subject=subject[:250],
                url=path,
                created_at=now,
                delivery=delivery,
            )
        )
    sent = {message.key: message for message in outbox_add_many(emails)}
    for row in rows:
        row.outbox = sent.get(f"{key}:user:{row.user_id}")
    return Notification.objects.bulk_create(rows)


# --- The events (called from escalation.services, in the decision's transaction) ----------------


def signoff_path(signoff: SignOff) -> str:
    if signoff.kind == SignOffKind.APPEAL:
        return reverse("escalation:appeal_detail", args=[signoff.appeal_id])
    return reverse("escalation:signoff_detail", args=[signoff.pk])


def subject_path(signoff: SignOff) -> str:
    """The page of what was asked about (the asker may not open the decision page, only what it decides)."""
    if signoff.kind == SignOffKind.WARNING:
        return reverse("escalation:warning_detail", args=[signoff.warning_id])
    if signoff.kind == SignOffKind.BLOCK:
        return reverse("escalation:block_detail", args=[signoff.block_id])
    return reverse("escalation:appeal_detail", args=[signoff.appeal_id])


def signoff_requested(signoff: SignOff, *, authors: set[int]) -> list[Notification]:
    """A decision waits: the people who may decide it, but ``authors`` (the asker, the drafter or
    proposer). An appeal also goes to the head of the organisation."""
    service_area_id = signoff.case.service_area_id
    deciders = routing.deciders_for(kind=signoff.kind, service_area_id=service_area_id)
    users = {user.pk: user for user in _users(deciders, authors)}
    if signoff.kind == SignOffKind.APPEAL:
        users.update({user.pk: user for user in _users(holders_of(routing.PERM_ACKNOWLEDGE_BLOCK), authors)})
    return tell(
        users.values(),
        key=f"signoff-requested:{signoff.pk}",
        template="signoff_requested",
        context={"signoff": signoff, "decided_by": routing.signoff_decided_by(signoff.kind)},
        path=signoff_path(signoff),
        case_id=signoff.case_id,
    )


def signoff_refused(signoff: SignOff) -> list[Notification]:
    """A decision refused (an appeal upheld): the person who asked, if they are still active."""
    from django.contrib.auth import get_user_model

    asker = _users(get_user_model().objects.filter(pk=signoff.requested_by_id), {signoff.decided_by_id})
    return tell(
        asker,
        key=f"signoff-refused:{signoff.pk}",
        template="signoff_refused",
        context={"signoff": signoff},
        path=subject_path(signoff),
        case_id=signoff.case_id,
    )


def appeal_logged(appeal) -> list[Notification]:
    """An appeal recorded before it can be heard: the head of the organisation, but whoever recorded it.
    (An appeal to be heard is a sign-off request, which tells them too.)"""
    heads = _users(holders_of(routing.PERM_ACKNOWLEDGE_BLOCK), {appeal.recorded_by_id})
    return tell(
        heads,
        key=f"appeal-logged:{appeal.pk}",
        template="appeal_logged",
        context={"appeal": appeal, "block": appeal.block},
        path=reverse("escalation:appeal_detail", args=[appeal.pk]),
        case_id=appeal.block.case_id,
    )


# --- The overdue chase (escalation.services.overdue_chase: set-based, many items at once) ----------

# How many overdue items one reminder email lists; the rest are "and N more" with a link to the
# decisions page, where every one of them waits.
CHASE_LISTED = 25


def people_with_choice(queryset) -> list[tuple[int, str, str]]:
    """``(pk, email, choice)`` of the active people of ``queryset``, in one query."""
    return [(user.pk, user.email, _choice(user)) for user in _users(queryset, set())]


def path_maker(name: str) -> Callable[[int], str]:
    """The path of ``name`` for any one id, reversed once (``reverse`` costs about 0.3 ms a call,
    a second for the chase's 3,246 items)."""
    marker = 987654321
    prefix, found, suffix = reverse(name, args=[marker]).partition(str(marker))
    if not found:
        raise ValueError(f"{name} does not end in its id")
    return lambda pk: f"{prefix}{pk}{suffix}"


class ChaseReminders:
    """One run of the overdue chase: each overdue item's ``Notification`` row for each person, as
    they chose (email, digest, none), and **one email per person** listing every item of the run that
    waits for them (``overdue_chase``), not one per item.

    ``add`` each item (its people, subject and page), then ``save`` once: the emails (rendered once
    per person) and every row in one statement each. The email's key is the person, the London day
    and the run's items for them (``overdue-chase:user:<id>:<day>:<hash>``): the same items written
    twice give one email, and a concurrent run, which locks other items, writes other keys.
    """

    def __init__(self, *, day: str) -> None:
        self.day = day
        self.items: list[tuple[str, str, int, str, str, int]] = []  # key, kind, case, subject, path, group
        self.groups: dict[tuple, tuple[int, dict[str, list], list[tuple[int, str]]]] = {}
        self.emailed: dict[int, list[dict]] = defaultdict(list)  # user id -> the entries of their email
        self.addresses: dict[int, str] = {}
        self._keys: dict[str, tuple[str, int]] = {}  # an item's key -> its kind and id

    def add(self, *, key: str, kind: str, pk: int, people, subject: str, path: str, case_id: int, **context):
        """One overdue item for ``people`` (``(pk, email, choice)``); returns whom it reaches:
        ``{"email": [...], "digest": [...], "off": [...], "users": [ids emailed]}``. ``context`` is for
        the email's line (a sign-off's ``decided_by``)."""
        people = tuple(people)
        found = self.groups.get(people)
        if found is None:  # each set of people once: the deciders of a kind and area, the heads
            reach, deliveries = {"email": [], "digest": [], "off": [], "users": []}, []
            for person, email, choice in people:
                delivery = delivery_for(choice, email)
                if delivery == NotificationDelivery.EMAIL:
                    reach["email"].append(email)
                    reach["users"].append(person)
                    self.addresses[person] = email
                elif delivery == NotificationDelivery.DIGEST:
                    reach["digest"].append(email)
                elif delivery == NotificationDelivery.SKIPPED:
                    reach["off"].append(email or str(person))
                deliveries.append((person, delivery))
            reach["email"] = sorted(set(reach["email"]))
            reach["digest"] = sorted(set(reach["digest"]))
            found = self.groups[people] = (len(self.groups), reach, deliveries)
        group, reach, _ = found
        self.items.append((key, kind, case_id, subject[:250], path, group))
        self._keys[key] = (kind, pk)
        entry = {"key": key, "kind": kind, "pk": pk, "case_id": case_id, "path": path, **context}
        for person in reach["users"]:
            self.emailed[person].append(entry)
        return reach

    def save(self) -> None:
        """The emails (three statements, ``outbox_add_many``) and the rows (one), the rows already
        there (a second run the same day) left as they are."""
        if not self.items:
            return
        messages, key_of = [], {}
        decisions = absolute(reverse("escalation:decision_list"))
        # the listed items whole, in two queries: what the email says of each
        shown = {entry["key"] for entries in self.emailed.values() for entry in entries[:CHASE_LISTED]}
        signoffs = SignOff.objects.select_related("case__account", "requested_by").in_bulk(
            {pk for key, (kind, pk) in self._keys.items() if key in shown and kind == "signoff_chase"}
        )
        blocks = Block.objects.select_related("account").in_bulk(
            {pk for key, (kind, pk) in self._keys.items() if key in shown and kind == "acknowledgement_chase"}
        )
        whole = {"signoff_chase": ("signoff", signoffs), "acknowledgement_chase": ("block", blocks)}
        for pk, entries in self.emailed.items():
            fingerprint = hashlib.md5(",".join(e["key"] for e in entries).encode(), usedforsecurity=False)
            key_of[pk] = f"overdue-chase:user:{pk}:{self.day}:{fingerprint.hexdigest()[:16]}"
            listed = [
                {**entry, "url": absolute(entry["path"]), whole[entry["kind"]][0]: whole[entry["kind"]][1][entry["pk"]]}
                for entry in entries[:CHASE_LISTED]
            ]
            subject, body = render(
                "overdue_chase",
                {
                    "signoffs": [entry for entry in listed if entry["kind"] == "signoff_chase"],
                    "blocks": [entry for entry in listed if entry["kind"] == "acknowledgement_chase"],
                    "signoff_count": sum(entry["kind"] == "signoff_chase" for entry in entries),
                    "block_count": sum(entry["kind"] == "acknowledgement_chase" for entry in entries),
                    "more": len(entries) - len(listed),
                    "decisions": decisions,
                },
            )
            cases = {entry["case_id"] for entry in entries}
            messages.append(
                {
                    "key": key_of[pk],
                    "kind": "overdue_chase",
                    "subject": subject,
                    "body": body,
                    "recipients": [self.addresses[pk]],
                    "case_id": cases.pop() if len(cases) == 1 else None,
                    "users": [pk],
                }
            )
        sent = {message.key: message.pk for message in outbox_add_many(messages)}
        members = [
            (group, pk, delivery) for group, _reach, deliveries in self.groups.values() for pk, delivery in deliveries
        ]
        emailed = [(pk, sent[key]) for pk, key in key_of.items() if key in sent]
        keys, kinds, cases, subjects, paths, groups = (list(column) for column in zip(*self.items, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO escalation_notification (user_id, key, kind, case_id, subject, url, created_at,
                                                     delivery, outbox_id)
                SELECT p.user_id, i.key, i.kind, i.case_id, i.subject, i.url, %(now)s, p.delivery,
                       CASE WHEN p.delivery = %(email)s THEN o.outbox_id END
                  FROM unnest(%(keys)s::text[], %(kinds)s::text[], %(cases)s::bigint[], %(subjects)s::text[],
                              %(paths)s::text[], %(groups)s::int[]) AS i(key, kind, case_id, subject, url, grp)
                  JOIN unnest(%(member_groups)s::int[], %(member_users)s::int[], %(member_deliveries)s::text[])
                       AS p(grp, user_id, delivery) ON p.grp = i.grp
                  LEFT JOIN unnest(%(emailed_users)s::int[], %(emailed_outbox)s::bigint[]) AS o(user_id, outbox_id)
                       ON o.user_id = p.user_id
                    ON CONFLICT (key, user_id) DO NOTHING
                """,
                {
                    "now": clock.now(),
                    "email": NotificationDelivery.EMAIL,
                    "keys": keys,
                    "kinds": kinds,
                    "cases": cases,
                    "subjects": subjects,
                    "paths": paths,
                    "groups": groups,
                    "member_groups": [group for group, _, _ in members],
                    "member_users": [pk for _, pk, _ in members],
                    "member_deliveries": [str(delivery) for _, _, delivery in members],
                    "emailed_users": [pk for pk, _ in emailed],
                    "emailed_outbox": [outbox_id for _, outbox_id in emailed],
                },
            )


# --- The daily digest ----------------------------------------------------------------------------


@transaction.atomic
def digest_send(*, now: datetime | None = None) -> int:
    """One email to each person who chose a digest, listing every notification that waited for them
    since their last digest. A fixed number of statements however many people and items: lock the
    waiting rows, write the emails (two), record their people (one), link the rows (one).
    Returns how many emails were written. Safe to run twice: a row in a digest is not listed again."""
    now = now or clock.now()
    waiting = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(delivery=NotificationDelivery.DIGEST, outbox__isnull=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .only("pk", "user__id", "user__email", "subject", "url", "created_at", "case_id", "key", "user_id")
        .order_by("user_id", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in waiting:
        by_user[row.user_id].append(row)
    messages = []
    for user_id, rows in by_user.items():
        items = [{"at": row.created_at, "subject": row.subject, "url": absolute(row.url)} for row in rows]
        subject, body = render("notification_digest", {"items": items, "home": absolute(reverse("home"))})
        messages.append(
            {
                "key": f"digest:user:{user_id}:{rows[0].pk}-{rows[-1].pk}",
                "kind": "notification_digest",
                "subject": subject,
                "body": body,
                "recipients": [rows[0].user.email],
                "users": [user_id],
            }
        )
    created = {message.key: message for message in outbox_add_many(messages)}
    for user_id, rows in by_user.items():
        message = created.get(f"digest:user:{user_id}:{rows[0].pk}-{rows[-1].pk}")
        for row in rows:
            row.outbox = message
    Notification.objects.bulk_update([row for row in waiting if row.outbox is not None], ["outbox"], batch_size=5000)
    return len(created)


# --- Each person's choice --------------------------------------------------------------------------


def preference_of(user: AbstractBaseUser) -> str:
    return NotificationPreference.objects.filter(user=user).values_list("choice", flat=True).first() or (
        NotificationChoice.EACH
    )


@transaction.atomic
def preference_set(*, actor: AbstractBaseUser, choice: str) -> NotificationPreference:
    """``actor`` chooses how they hear of what waits for them (their own choice only: there is no
    ``user`` argument). Raises ValidationError for a choice that is not one of ``NotificationChoice``."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in to choose your notifications.")
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
    preference.choice, preference.updated_at = choice, clock.now()
    preference.full_clean()
    preference.save(update_fields=["choice", "updated_at"])
    return preference


def recent_for(user: AbstractBaseUser, *, limit: int = 20):
    """The newest notifications of ``user``, with the email that carried each (the preferences page)."""
    return Notification.objects.filter(user=user).select_related("outbox").order_by("-created_at", "-pk")[:limit]
