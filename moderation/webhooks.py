"""Meta webhooks (Facebook Pages ``feed``, Instagram ``comments``): signature check, parsing, applying.

The view (``moderation.api.meta``) checks the signature and hands the parsed payload to a Celery
task, which calls ``meta_events_apply``. Comments become posts through ``services.posts_ingest``
under the integration named ``META_INTEGRATION_NAME`` (created when first needed); edits and
visibility changes touch only posts that belong to no case — a post in a case keeps what staff
recorded, and the change is logged. Everything else is acknowledged and ignored. Each event is
applied in its own transaction and a replay changes nothing.

Channels: an entry's id (the Page id or the Instagram account id) names the active channel of
that platform whose ``platform_page_id`` (set in the admin) is that id, else whose ``handle`` is
that id or whose ``url`` contains it as a whole number
(``https://www.facebook.com/profile.php?id=<id>``), by ``intake.channel_resolve``. An unknown id
is logged and ignored, and remembered (``unmatched_pages``) so the admin's channel list says so.

Bad input costs only its own event: a text or name holding what cannot be stored is repaired
(``intake.free_text``), an id holding it is refused (``intake.identifier_problem``), and any
other failure of one event is logged and counted ``failed`` while the rest are applied — Meta has
been answered 200 already and will not send them again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from moderation import clock, intake, services
from moderation.constants import Platform, PostKind, Visibility
from moderation.models import Channel, Integration, MetaDelivery, Post
from moderation.services import VISIBILITY_MOVES, IngestStatus

logger = logging.getLogger("moderation.webhooks")

META_INTEGRATION_NAME = "Meta webhooks"
SIGNATURE_PREFIX = "sha256="

# object → the platform its entries belong to
OBJECT_PLATFORMS = {"page": Platform.FACEBOOK, "instagram": Platform.INSTAGRAM}
ADD, EDIT, HIDE, REMOVE, UNHIDE = "add", "edited", "hide", "remove", "unhide"
FACEBOOK_VERBS = {"add": ADD, "edited": EDIT, "edit": EDIT, "hide": HIDE, "remove": REMOVE, "unhide": UNHIDE}
VISIBILITY_OF = {HIDE: Visibility.HIDDEN, REMOVE: Visibility.DELETED, UNHIDE: Visibility.RESTORED}


def signature_valid(*, body: bytes, header: str | None, secret: str) -> bool:
    """``header`` is ``sha256=<hex of HMAC-SHA256(body, secret)>``; False without a secret."""
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def verify_token_valid(*, given: str | None, expected: str) -> bool:
    """The subscription handshake's ``hub.verify_token``; False when no token is configured."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class MetaEvent:
    """One comment event we handle, as plain data."""

    platform: str
    account_id: str  # the entry's id: our Page or Instagram account
    action: str  # ADD, EDIT, HIDE, REMOVE, UNHIDE
    external_id: str
    text: str | None = None  # None: the event does not say (an edit then changes nothing)
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    in_reply_to: str = ""
    kind: str = PostKind.COMMENT
    posted_at: datetime | None = None


def _word(words: dict[str, str], value) -> str | None:
    """``words[value]`` when ``value`` is one of its words (any JSON value may arrive), else None."""
    return words.get(value) if isinstance(value, str) else None


def _str(value) -> str:
    """An id or handle as sent (checked by ``_problem`` before it is used)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _text(value) -> str | None:
    """A message or name, repaired for storing; None when the event does not give one."""
    return intake.free_text(value) if isinstance(value, str) else None


def _problem(event: MetaEvent) -> str | None:
    """Why one of the event's ids cannot be used (a lone surrogate, a control character), or None."""
    for name in ("account_id", "external_id", "author_id", "author_handle", "in_reply_to"):
        problem = intake.identifier_problem(getattr(event, name))
        if problem:
            return f"{name}: {problem}"
    return None


def _epoch(value) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if 1970 <= moment.year <= 9998 else None


def _facebook_event(account_id: str, value: dict, entry_time: datetime | None) -> MetaEvent | None:
    if value.get("item") != "comment":
        return None
    action = _word(FACEBOOK_VERBS, value.get("verb"))
    external_id = _str(value.get("comment_id"))
    if action is None or not external_id:
        return None
    author = value.get("from") if isinstance(value.get("from"), dict) else {}
    parent_id = _str(value.get("parent_id"))
    post_id = _str(value.get("post_id"))
    is_reply = bool(parent_id) and parent_id != post_id
    author_id = _str(author.get("id"))
    return MetaEvent(
        platform=Platform.FACEBOOK,
        account_id=account_id,
        action=action,
        external_id=external_id,
        text=_text(value.get("message")),
        author_id=author_id,
        # Page webhooks give no username: the page-scoped user id is the only stable handle
        author_handle=author_id,
        author_name=(_text(author.get("name")) or "").strip(),
        in_reply_to=parent_id or post_id,
        kind=PostKind.REPLY if is_reply else PostKind.COMMENT,
        posted_at=_epoch(value.get("created_time")) or entry_time,
    )


def _instagram_event(account_id: str, value: dict, entry_time: datetime | None) -> MetaEvent | None:
    external_id = _str(value.get("id"))
    if not external_id:
        return None
    author = value.get("from") if isinstance(value.get("from"), dict) else {}
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    parent_id = _str(value.get("parent_id"))
    return MetaEvent(
        platform=Platform.INSTAGRAM,
        account_id=account_id,
        action=ADD,
        external_id=external_id,
        text=_text(value.get("text")),
        author_id=_str(author.get("id")),
        author_handle=_str(author.get("username")),
        author_name=(_text(author.get("username")) or "").strip(),
        in_reply_to=parent_id or _str(media.get("id")),
        kind=PostKind.REPLY if parent_id else PostKind.COMMENT,
        posted_at=entry_time,
    )


def meta_events_parse(payload) -> tuple[list[MetaEvent], int]:
    """The comment events of a webhook payload we handle, and how many changes we ignore."""
    events: list[MetaEvent] = []
    ignored = 0
    if not isinstance(payload, dict):
        return events, 0
    platform = _word(OBJECT_PLATFORMS, payload.get("object"))
    entries = payload.get("entry") if isinstance(payload.get("entry"), list) else []
    for entry in entries:
        if not isinstance(entry, dict):
            ignored += 1
            continue
        changes = entry.get("changes") if isinstance(entry.get("changes"), list) else []
        account_id = _str(entry.get("id"))
        entry_time = _epoch(entry.get("time"))
        for change in changes:
            event = None
            if platform and account_id and isinstance(change, dict) and isinstance(change.get("value"), dict):
                field = change.get("field")
                try:
                    if platform == Platform.FACEBOOK and field == "feed":
                        event = _facebook_event(account_id, change["value"], entry_time)
                    elif platform == Platform.INSTAGRAM and field == "comments":
                        event = _instagram_event(account_id, change["value"], entry_time)
                except Exception:  # a change we cannot read costs only itself
                    logger.exception("meta webhook change on %s could not be read", intake.safe_for_log(account_id))
                    event = None
            if event is None:
                ignored += 1
            else:
                events.append(event)
    return events, ignored


def _channel_for(platform: str, account_id: str, channels: list[Channel]) -> Channel | None:
    """The active channel the entry's id names (its platform page id, its handle, or a number in its
    URL), or None (logged, and remembered for the admin)."""
    try:
        return intake.channel_resolve(
            account_id,
            channels=channels,
            platform=platform,
            by_page_id=True,
            by_url_id=True,
            by_pk=False,
            choose="fix their URLs",
        )
    except intake.ChannelRefused as refused:
        logger.warning(
            "meta webhook for %s account %s ignored: %s", platform, intake.safe_for_log(account_id), refused
        )
        _remember_unmatched(platform, account_id, str(refused))
        return None


UNMATCHED_KEY = "meta-webhook:unmatched"
UNMATCHED_KEPT = 50  # ids remembered at most (the most recent)
UNMATCHED_FOR = 30 * 24 * 3600  # seconds


def _remember_unmatched(platform: str, account_id: str, reason: str) -> None:
    """Best effort (the cache, shared by the worker and the web): events for an id no channel holds."""
    try:
        found = cache.get(UNMATCHED_KEY) or {}
        key = f"{platform}:{account_id}"
        entry = found.get(key) or {"platform": platform, "page_id": account_id, "events": 0}
        entry.update(events=entry["events"] + 1, last=clock.now().isoformat(), reason=reason)
        found[key] = entry
        if len(found) > UNMATCHED_KEPT:
            found = dict(sorted(found.items(), key=lambda item: item[1]["last"])[-UNMATCHED_KEPT:])
        cache.set(UNMATCHED_KEY, found, timeout=UNMATCHED_FOR)
    except Exception:  # noqa: BLE001 — any cache backend's error; the event is logged anyway
        logger.warning("meta webhook: unmatched page id not remembered", exc_info=True)


def unmatched_pages() -> list[dict]:
    """The page ids events arrived for with no channel to hold them, newest first: ``platform``,
    ``page_id``, ``events``, ``last`` (ISO time), ``reason``. An id a channel now holds (by its
    platform page id) is left out."""
    try:
        found = cache.get(UNMATCHED_KEY) or {}
    except Exception:  # noqa: BLE001 — any cache backend's error: nothing to say
        logger.warning("meta webhook: unmatched page ids not read", exc_info=True)
        return []
    held = set(
        Channel.objects.filter(is_active=True)
        .exclude(platform_page_id="")
        .values_list("platform", "platform_page_id")
    )
    entries = [e for e in found.values() if (e["platform"], e["page_id"]) not in held]
    return sorted(entries, key=lambda e: e["last"], reverse=True)


def meta_integration() -> Integration:
    """The integration Meta's posts are stored under, created (with a token nobody is shown) when missing."""
    integration = Integration.objects.filter(name=META_INTEGRATION_NAME).first()
    if integration is not None:
        return integration
    try:
        with transaction.atomic():
            integration, _token = services.integration_create(actor=None, name=META_INTEGRATION_NAME, channels=[])
    except (ValidationError, DatabaseError):  # created by a concurrent task a moment ago
        integration = Integration.objects.get(name=META_INTEGRATION_NAME)
    return integration


def _ingest(event: MetaEvent, channel: Channel, integration: Integration) -> str:
    if not event.author_handle:
        logger.info("meta comment %s on channel %s has no author; ignored", event.external_id, channel.pk)
        return "invalid"
    item = {
        "channel": channel.pk,
        "external_id": event.external_id,
        "author_handle": event.author_handle,
        "author_platform_id": event.author_id,
        "author_display_name": event.author_name,
        "text": event.text or "",
        "kind": event.kind,
        "posted_at": (event.posted_at or clock.now()).isoformat(),
        "in_reply_to": event.in_reply_to,
    }
    (result,) = services.posts_ingest(integration=integration, items=[item])
    if result.status == IngestStatus.INVALID:
        logger.warning(
            "meta comment %s on channel %s refused: %s",
            intake.safe_for_log(event.external_id),
            channel.pk,
            sorted(result.errors),
        )
        return "invalid"
    return "created" if result.status == IngestStatus.CREATED else "exists"


@transaction.atomic
def meta_post_edit(*, channel: Channel, event: MetaEvent, integration: Integration) -> str:
    """An edited comment (``services.post_text_edit``): every version of the text is kept. A known
    post outside any case takes the new text, which the automatic flags look at again (a comment
    edited into abuse is flagged); a post in a case keeps its recorded text with the new one beside
    it; an unknown one is ingested."""
    post = Post.objects.select_for_update().filter(channel=channel, external_id=event.external_id).first()
    if post is None:
        return _ingest(event, channel, integration)
    if event.text is None:
        return "exists"
    outcome = services.post_text_edit(post=post, text=event.text, integration=integration)
    if outcome == "kept":
        logger.info("meta edit of post %s kept beside its text: it is in case %s", post.pk, post.case_id)
    return outcome


@transaction.atomic
def meta_post_set_visibility(*, channel: Channel, event: MetaEvent) -> str:
    """Hidden, removed or unhidden on the platform: a known post outside any case follows (system change)."""
    post = Post.objects.select_for_update().filter(channel=channel, external_id=event.external_id).first()
    if post is None:
        return "ignored"
    visibility = VISIBILITY_OF[event.action]
    if post.case_id is not None:
        logger.info("meta %s of post %s not applied: it is in case %s", event.action, post.pk, post.case_id)
        return "ignored"
    if post.visibility == visibility:
        return "exists"
    if visibility == Visibility.RESTORED and post.visibility != Visibility.HIDDEN:
        return "exists"  # unhide of a post we never saw hidden: it is visible already
    if visibility not in VISIBILITY_MOVES[post.visibility]:
        logger.info("meta %s of post %s ignored: it is %s", event.action, post.pk, post.visibility)
        return "ignored"
    post.visibility = visibility
    post.visibility_changed_at = clock.now()
    post.visibility_changed_by = None
    post.save(update_fields=["visibility", "visibility_changed_at", "visibility_changed_by"])
    return "updated"


def meta_events_apply(*, payload) -> dict[str, int]:
    """Apply a webhook payload; counts per outcome (created, exists, updated, ignored, invalid, failed).

    Idempotent: a replay finds every post already stored and changes nothing.
    """
    events, ignored = meta_events_parse(payload)
    counts: Counter[str] = Counter({"ignored": ignored})
    if not events:
        return dict(counts)
    integration = meta_integration()
    if not integration.is_active:
        logger.warning("meta webhook events ignored: the integration %r is revoked", integration.name)
        counts["ignored"] += len(events)
        return dict(counts)
    channels = list(Channel.objects.filter(is_active=True, platform__in=OBJECT_PLATFORMS.values()))
    allowed = set(integration.channels.values_list("pk", flat=True))
    for event in events:
        problem = _problem(event)
        if problem:
            logger.warning("meta %s of %s refused: %s", event.action, intake.safe_for_log(event.external_id), problem)
            counts["invalid"] += 1
            continue
        channel = _channel_for(event.platform, event.account_id, channels)
        if channel is None:
            counts["ignored"] += 1
            continue
        if event.author_id and event.author_id == event.account_id:
            counts["ignored"] += 1  # our own page's comments are not moderation material
            continue
        if channel.pk not in allowed:
            integration.channels.add(channel)  # it may post to every active Facebook/Instagram channel
            allowed.add(channel.pk)
        try:
            if event.action == ADD:
                with transaction.atomic():
                    outcome = _ingest(event, channel, integration)
            elif event.action == EDIT:
                outcome = meta_post_edit(channel=channel, event=event, integration=integration)
            else:
                outcome = meta_post_set_visibility(channel=channel, event=event)
        except (ValidationError, DatabaseError) as error:
            logger.warning(
                "meta %s of %s on channel %s failed: %s",
                event.action,
                intake.safe_for_log(event.external_id),
                channel.pk,
                type(error).__name__,
            )
            outcome = "failed"
        except Exception:  # a fault in one event must not lose the others of a delivery Meta will not resend
            logger.exception(
                "meta %s of %s on channel %s failed", event.action, intake.safe_for_log(event.external_id), channel.pk
            )
            outcome = "failed"
        counts[outcome] += 1
    logger.info("meta webhook applied: %s", dict(counts))
    return dict(counts)


# a delivery not applied this long after it arrived was lost by the broker: the catch-up applies it
DELIVERY_CATCH_UP_AFTER = timedelta(minutes=2)
DELIVERY_KEPT_AFTER_APPLIED = timedelta(days=7)
DELIVERY_CATCH_UP_BATCH = 200


def meta_delivery_receive(*, body: bytes) -> MetaDelivery:
    """Keep a signature-checked delivery (its body, which parsed to a JSON object) before it is
    answered; the caller queues it once this commits."""
    return MetaDelivery.objects.create(body=body)


def meta_delivery_apply(delivery_id: int) -> dict[str, int] | None:
    """Apply a kept delivery once it is not yet applied; None when it was. Two at once (the task and
    the catch-up) are harmless: applying a payload again changes nothing (``meta_events_apply``)."""
    delivery = MetaDelivery.objects.filter(pk=delivery_id, applied_at__isnull=True).only("body").first()
    if delivery is None:
        return None
    counts = meta_events_apply(payload=intake.json_load(bytes(delivery.body)))
    MetaDelivery.objects.filter(pk=delivery.pk, applied_at__isnull=True).update(applied_at=clock.now(), outcome=counts)
    return counts


def meta_deliveries_catch_up(*, now: datetime | None = None, after: timedelta = DELIVERY_CATCH_UP_AFTER) -> int:
    """Apply the deliveries still waiting ``after`` their arrival (at most a batch a run), and delete
    those applied more than a week ago. Returns how many were applied."""
    now = now or clock.now()
    waiting = list(
        MetaDelivery.objects.filter(applied_at__isnull=True, received_at__lte=now - after)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:DELIVERY_CATCH_UP_BATCH]
    )
    applied = sum(1 for pk in waiting if meta_delivery_apply(pk) is not None)
    if waiting:
        logger.warning("meta webhook: %s of %s waiting deliveries applied by the catch-up", applied, len(waiting))
    MetaDelivery.objects.filter(applied_at__lte=now - DELIVERY_KEPT_AFTER_APPLIED).delete()
    return applied
