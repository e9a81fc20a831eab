"""Every write about what happened: recording cases, moderating posts, assigning and closing.

Services are keyword-only, run in one transaction, check the actor's permission, validate, and
write exactly one timeline event per state change. They raise ``PermissionDenied`` for the wrong
role and ``ValidationError`` (``code="conflict"`` for the wrong state) for everything else; a
refused call changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, connection, transaction

from moderation import clock, flags, intake, safeguarding
from moderation.constants import CaseOutcome, CaseStatus, EventKind, Platform, PostKind, Priority, Visibility
from moderation.deadlines import due_after
from moderation.events import record_event
from moderation.models import (
    Case,
    Channel,
    CsvImport,
    Evidence,
    HouseRule,
    Integration,
    Post,
    PostTextRevision,
    ServiceArea,
    SocialAccount,
    normalise_handle,
)
from policy import roles as routing
from policy import services as policy

logger = logging.getLogger(__name__)


def require_perm(actor: AbstractBaseUser, perm: str, action: str) -> None:
    """Refuse ``action`` unless ``actor`` is active and holds ``perm``."""
    if actor is None or not actor.is_active or not routing.holds(actor, perm):
        raise PermissionDenied(f"Your role does not allow you to {action}.")


def conflict(message: str) -> ValidationError:
    return ValidationError(message, code="conflict")


def clean_text(value: str) -> str:
    """Text as PostgreSQL can store it: NUL and control characters dropped, a lone surrogate
    replaced (``intake.free_text``, the boundary every way in shares)."""
    return intake.free_text(value)


@dataclass(frozen=True)
class PostData:
    """One post as the recorder saw it."""

    channel: Channel
    posted_at: datetime
    text: str = ""
    url: str = ""
    external_id: str = ""
    kind: str = PostKind.COMMENT


@dataclass
class RecordResult:
    case: Case
    created: bool
    existing_posts: list[Post] = field(default_factory=list)


def account_get_or_create(*, platform: str, handle: str, display_name: str = "") -> SocialAccount:
    """The account for ``platform`` + ``handle`` (normalised), created when first seen."""
    normalised = normalise_handle(clean_text(handle))
    if not normalised:
        raise ValidationError({"handle": "Enter the account's handle."})
    account, created = SocialAccount.objects.get_or_create(
        platform=platform, handle=normalised, defaults={"display_name": clean_text(display_name)[:200]}
    )
    if not created and display_name and not account.display_name:
        account.display_name = clean_text(display_name)[:200]
        account.save(update_fields=["display_name"])
    return account


def _clean_post(data: PostData) -> PostData:
    """The post as it is stored and looked up: no NUL characters, id and address without spaces."""
    return replace(
        data,
        text=clean_text(data.text),
        url=clean_text(data.url).strip(),
        external_id=clean_text(data.external_id).strip(),
    )


def _find_post(data: PostData) -> Post | None:
    if data.external_id:
        return Post.objects.select_for_update().filter(channel=data.channel, external_id=data.external_id).first()
    if data.url:
        return Post.objects.select_for_update().filter(channel=data.channel, url=data.url, external_id="").first()
    return None


REPORTED_BY_MAX = 200


@transaction.atomic
def case_record(
    *,
    actor: AbstractBaseUser,
    platform: str,
    handle: str,
    display_name: str = "",
    posts: list[PostData],
    rules: list[HouseRule],
    reason: str,
    service_area: ServiceArea | None = None,
    priority: int = Priority.NORMAL,
    reported_by: str = "",
) -> RecordResult:
    """Record an incident: the account, its post(s), the house rules broken and why.

    A post already recorded (same channel and platform id, or same URL) leads to its existing
    case: new posts are added to that case and nothing else changes. Otherwise a new case is
    opened with a working-day response deadline. Raises PermissionDenied, ValidationError.
    """
    require_perm(actor, routing.PERM_RECORD_CASE, "record a case")
    errors: dict[str, str] = {}
    reason = clean_text(reason).strip()
    posts = [_clean_post(p) for p in posts]
    if not posts:
        errors["posts"] = "Record at least one post."
    if not rules:
        errors["rules"] = "Select at least one house rule that was broken."
    if not reason:
        errors["reason"] = "Say why the post is unacceptable."
    reported_by = clean_text(reported_by or "").strip()
    if len(reported_by) > REPORTED_BY_MAX:
        errors["reported_by"] = f"Who reported it must be {REPORTED_BY_MAX} characters or fewer."
    channels = {p.channel.platform for p in posts}
    if len(channels) > 1 or (posts and platform not in channels):
        errors["posts"] = "All the posts of a case must be on channels of the account's platform."
    if any(not (p.text or p.url or p.external_id) for p in posts):
        errors["posts"] = "Give each post its text, its address or its platform id."
    if errors:
        raise ValidationError(errors)

    found = [(data, _find_post(data)) for data in posts]
    existing = [post for _, post in found if post is not None]
    linked_case = next((post.case for post in existing if post.case_id is not None), None)
    now = clock.now()

    if linked_case is not None:
        case = Case.objects.select_for_update().select_related("account").get(pk=linked_case.pk)
        new_posts = _create_posts(case.account, [d for d, p in found if p is None], now, case=case)
        orphans = [p for p in existing if p.case_id is None]
        for post in orphans:
            post.case = case
            post.save(update_fields=["case"])
        flags.flags_confirm(posts=[*new_posts, *existing])
        if new_posts or orphans:
            record_event(
                case=case,
                kind=EventKind.POSTS_ADDED,
                actor=actor,
                subject=case,
                after={"posts": [p.pk for p in [*new_posts, *orphans]]},
                note=f"{len(new_posts) + len(orphans)} post(s) added when the same post was recorded again.",
            )
        return RecordResult(case=case, created=False, existing_posts=existing)

    account = account_get_or_create(platform=platform, handle=handle, display_name=display_name)
    version = policy.current()
    case = Case(
        account=account,
        channel=posts[0].channel,
        reason=reason,
        reported_by=reported_by,
        service_area=service_area,
        priority=priority,
        recorded_by=actor,
        recorded_at=now,
        response_due_at=due_after(now, version.first_response_working_days, urgent=priority == Priority.URGENT),
        policy_version=version if version.pk else None,
    )
    case.full_clean(exclude=["rules"])
    case.save()
    case.rules.set(rules)
    new_posts = _create_posts(account, [d for d, p in found if p is None], now, case=case)
    for post in existing:  # known to us (e.g. ingested) but in no case yet
        post.case = case
        post.save(update_fields=["case"])
    flags.flags_confirm(posts=[*new_posts, *existing])  # a person decided: the flags were right
    record_event(
        case=case,
        kind=EventKind.CASE_RECORDED,
        actor=actor,
        subject=case,
        after={
            "account": str(account),
            "rules": [r.code for r in rules],
            "posts": [p.pk for p in [*new_posts, *existing]],
            "response_due_at": case.response_due_at.isoformat(),
        },
        note=reason,
    )
    marked_by = safeguarding.safeguarding_rules(rules)
    if marked_by:  # a house rule marked safeguarding: the case is one from the start, its leads alerted
        safeguarding.safeguarding_mark(
            actor=actor,
            case=case,
            reason="Recorded under a house rule marked safeguarding: " + "; ".join(r.title for r in marked_by) + ".",
            now=now,
        )
    return RecordResult(case=case, created=True, existing_posts=existing)


def _create_posts(account: SocialAccount, items: list[PostData], now: datetime, case: Case | None = None) -> list[Post]:
    created = []
    for data in items:
        post = Post(
            channel=data.channel,
            account=account,
            case=case,
            external_id=clean_text(data.external_id).strip(),
            url=data.url.strip(),
            text=clean_text(data.text),
            kind=data.kind,
            posted_at=data.posted_at,
            created_at=now,
        )
        post.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                post.save()
        except IntegrityError as error:  # recorded by someone else a moment ago
            raise conflict(
                "That post was recorded by someone else a moment ago; record it again to open its case."
            ) from error
        created.append(post)
    return created


@transaction.atomic
def post_text_edit(*, post: Post, text: str, integration: Integration | None = None) -> str:
    """The platform reports that ``post`` now reads ``text``. Every version of the text is kept.

    A post in no case takes the new text and keeps the old one as a ``replaced`` revision; the
    automatic flags look at the new text (flags the old one raised stay for a person). A post in
    a case keeps the text staff recorded and the new one is kept beside it as ``not_applied``
    (nothing goes on the case's timeline) — unless the post was deleted, whose text stays as the
    deletion left it. Returns "updated", "kept", "ignored" or "exists" (the text is already known:
    a replayed edit changes nothing). Raises nothing for an unknown text: it is stored as sent.
    """
    post = Post.objects.select_for_update().get(pk=post.pk)
    text = clean_text(text)
    if post.text == text:
        return "exists"
    now = clock.now()
    if post.case_id is not None:
        if post.visibility == Visibility.DELETED:
            return "ignored"
        if post.text_revisions.filter(kind=PostTextRevision.Kind.NOT_APPLIED, text=text).exists():
            return "exists"
        revision = PostTextRevision(
            post=post, text=text, kind=PostTextRevision.Kind.NOT_APPLIED, received_at=now, reported_by=integration
        )
        revision.full_clean()
        revision.save()
        return "kept"
    revision = PostTextRevision(
        post=post, text=post.text, kind=PostTextRevision.Kind.REPLACED, received_at=now, reported_by=integration
    )
    revision.full_clean()
    revision.save()
    post.text = text
    post.save(update_fields=["text"])
    flags.flags_evaluate(posts=[post])
    return "updated"


# Allowed visibility moves: a deleted post is gone from the platform and stays deleted.
VISIBILITY_MOVES = {
    Visibility.VISIBLE: {Visibility.HIDDEN, Visibility.DELETED},
    Visibility.HIDDEN: {Visibility.RESTORED, Visibility.DELETED},
    Visibility.RESTORED: {Visibility.HIDDEN, Visibility.DELETED},
    Visibility.DELETED: set(),
}
VISIBILITY_EVENTS = {
    Visibility.HIDDEN: EventKind.POST_HIDDEN,
    Visibility.DELETED: EventKind.POST_DELETED,
    Visibility.RESTORED: EventKind.POST_RESTORED,
}


@transaction.atomic
def post_set_visibility(*, actor: AbstractBaseUser, post: Post, visibility: str, note: str = "") -> Post:
    """Hide, delete or restore a post on a case, stamping who and when.

    Already in that state: returns quietly. Raises PermissionDenied, ValidationError(conflict).
    """
    require_perm(actor, routing.PERM_MODERATE_POST, "hide, delete or restore posts")
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.visibility == visibility:
        return post
    if visibility not in VISIBILITY_EVENTS:
        raise ValidationError(f"“{visibility}” is not a visibility a post can be moved to.")
    if visibility not in VISIBILITY_MOVES[post.visibility]:
        raise conflict(f"This post is {post.get_visibility_display().lower()}; it cannot be {visibility} now.")
    if post.case_id is None:
        raise conflict("Record a case for this post before moderating it.")
    before = post.visibility
    post.visibility = visibility
    post.visibility_changed_at = clock.now()
    post.visibility_changed_by = actor
    after = {"visibility": visibility}
    # deleted for personal information: keep the fact and the category, not the data
    categories = []
    if visibility == Visibility.DELETED:
        categories = flags.personal_data_categories(post)
        categories += [rule.title for rule in post.case.rules.all() if rule.redact_on_delete]
    if categories:
        post.text = flags.redacted_text(categories)
        post.text_revisions.update(text=post.text)  # every earlier or unapplied version goes too
        after["redacted"] = categories
    post.save(update_fields=["visibility", "visibility_changed_at", "visibility_changed_by", "text"])
    record_event(
        case=post.case_id,
        kind=VISIBILITY_EVENTS[visibility],
        actor=actor,
        subject=post,
        before={"visibility": before},
        after=after,
        note=clean_text(note),
    )
    return post


@transaction.atomic
def case_assign(*, actor: AbstractBaseUser, case: Case, assignee: AbstractBaseUser | None) -> Case:
    """Give the case to ``assignee`` (or nobody). Raises PermissionDenied, ValidationError."""
    require_perm(actor, routing.PERM_MANAGE_CASE, "assign cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    if assignee is not None and not (assignee.is_active and routing.holds(assignee, routing.PERM_RECORD_CASE)):
        raise ValidationError({"assignee": f"{assignee} is not an active member of the communications team."})
    before = str(case.assignee) if case.assignee else ""
    case.assignee = assignee
    case.save(update_fields=["assignee"])
    record_event(
        case=case,
        kind=EventKind.CASE_ASSIGNED,
        actor=actor,
        subject=case,
        before={"assignee": before},
        after={"assignee": str(assignee) if assignee else ""},
    )
    return case


@transaction.atomic
def case_close(*, actor: AbstractBaseUser, case: Case, outcome: str, note: str = "") -> Case:
    """Close an open case with its outcome. Raises PermissionDenied, ValidationError(conflict)."""
    require_perm(actor, routing.PERM_MANAGE_CASE, "close cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if outcome not in CaseOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome of the case."})
    if case.status == CaseStatus.CLOSED:
        if case.outcome == outcome:
            return case
        raise conflict(f"This case is already closed ({case.get_outcome_display().lower()}).")
    pending = case.signoffs.filter(status="pending").exists()
    if pending:
        raise conflict("This case has a sign-off waiting for a decision; it cannot be closed yet.")
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.closed_at = clock.now()
    case.full_clean(exclude=["rules"])
    case.save(update_fields=["status", "outcome", "closed_at"])
    record_event(
        case=case,
        kind=EventKind.CASE_CLOSED,
        actor=actor,
        subject=case,
        before={"status": CaseStatus.OPEN},
        after={"status": CaseStatus.CLOSED, "outcome": outcome},
        note=clean_text(note),
    )
    return case


@transaction.atomic
def case_reopen(*, actor: AbstractBaseUser, case: Case, note: str) -> Case:
    """Reopen a closed case (a reason is required). Raises PermissionDenied, ValidationError."""
    require_perm(actor, routing.PERM_MANAGE_CASE, "reopen cases")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.OPEN:
        return case
    if not clean_text(note).strip():
        raise ValidationError({"note": "Say why the case is reopened."})
    before = {"status": case.status, "outcome": case.outcome}
    case.status, case.outcome, case.closed_at = CaseStatus.OPEN, "", None
    case.save(update_fields=["status", "outcome", "closed_at"])
    record_event(
        case=case,
        kind=EventKind.CASE_REOPENED,
        actor=actor,
        subject=case,
        before=before,
        after={"status": CaseStatus.OPEN},
        note=clean_text(note),
    )
    return case


MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def sniff_evidence_type(file: UploadedFile) -> str | None:
    """The evidence type the file's first bytes show (the browser's word is not trusted), or None."""
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


@transaction.atomic
def evidence_add(
    *, actor: AbstractBaseUser, case: Case, file: UploadedFile | None = None, url: str = "", description: str = ""
) -> Evidence:
    """Attach a screenshot/PDF (≤ 10 MB) or a link to a case. Raises PermissionDenied, ValidationError."""
    require_perm(actor, routing.PERM_RECORD_CASE, "add evidence")
    if file is None and not url:
        raise ValidationError("Attach a file or give a link.")
    if file is not None:
        if file.size > MAX_EVIDENCE_BYTES:
            raise ValidationError({"file": "The file must be 10 MB or smaller."})
        if sniff_evidence_type(file) not in EVIDENCE_TYPES:
            raise ValidationError({"file": "The file must be an image (PNG, JPEG, GIF, WebP) or a PDF."})
    evidence = Evidence(
        case=case, file=file or "", url=url, description=clean_text(description), added_by=actor, added_at=clock.now()
    )
    evidence.full_clean()
    try:
        # a savepoint: when the file store fails, the caller's transaction (a case being recorded) goes on
        with transaction.atomic():
            evidence.save()  # the file is written to the storage here
    except DatabaseError:
        raise
    except STORAGE_ERRORS as error:
        logger.warning("evidence for case %s not stored: the file storage failed: %r", case.pk, error)
        raise EvidenceNotStored(EVIDENCE_NOT_STORED) from error
    record_event(
        case=case,
        kind=EventKind.EVIDENCE_ADDED,
        actor=actor,
        subject=evidence,
        after={"file": evidence.file.name if evidence.file else "", "url": url},
        note=evidence.description,
    )
    return evidence


class EvidenceNotStored(Exception):
    """The file store did not take an evidence file (unreachable, refusing): nothing was recorded of it."""


EVIDENCE_NOT_STORED = (
    "The evidence file could not be stored: the file store is not answering. Nothing was lost but the "
    "file: add it again in a few minutes."
)


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What a storage backend raises when its store fails: OSError (a disk), botocore's (an S3 bucket)."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover (django-storages[s3] is a dependency)
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


STORAGE_ERRORS = _storage_errors()


# --- Integrations and the ingest API ----------------------------------------------------------

TOKEN_PREFIX = "mc_"  # noqa: S105 — a marker, not a secret


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for ``token`` (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def integration_create(
    *, actor: AbstractBaseUser | None, name: str, channels: list[Channel]
) -> tuple[Integration, str]:
    """Create an integration allowed to post to ``channels``; returns it and its token.

    The token is returned once and only its hash is kept. Raises ValidationError (blank or taken name).
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    integration = Integration(
        name=clean_text(name).strip(),
        token_hash=token_hash(token),
        token_prefix=token[:10],
        created_by=actor,
        created_at=clock.now(),
    )
    integration.full_clean()
    integration.save()
    integration.channels.set(channels)
    return integration, token


@transaction.atomic
def integration_revoke(*, actor: AbstractBaseUser | None, integration: Integration) -> Integration:
    """Revoke the integration's token for good, stamping who and when. Already revoked: returns quietly."""
    integration = Integration.objects.select_for_update().get(pk=integration.pk)
    if not integration.is_active:
        return integration
    integration.is_active = False
    integration.revoked_at = clock.now()
    integration.revoked_by = actor
    integration.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    return integration


MAX_INGEST_ITEMS = 1000


class IngestStatus(StrEnum):
    CREATED = "created"  # stored now
    EXISTS = "exists"  # already stored (same channel and external id): nothing changed
    INVALID = "invalid"  # refused, with field errors; nothing stored for this item
    SKIPPED = "skipped"  # valid, but not stored because the atomic batch had an invalid item


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item of an ingest batch; ``index`` is its position in the batch."""

    index: int
    status: IngestStatus
    id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Item:
    index: int
    channel: Channel
    external_id: str
    handle: str
    author_platform_id: str
    author_display_name: str
    text: str
    url: str
    kind: str
    posted_at: datetime
    in_reply_to: str


_url_validator = URLValidator(schemes=["http", "https"])


def _string(
    item: dict, key: str, errors: dict, *, required: bool = False, max_length: int | None = None, free: bool = False
) -> str:
    """The field as a string. ``free`` text is repaired (``intake.free_text``); anything else is an
    identifier, trimmed, and refused when it holds what cannot be stored (``intake.identifier_problem``)."""
    value = item.get(key)
    if value is None:
        value = ""
    elif isinstance(value, bool) or not isinstance(value, str | int):
        errors[key] = ["Must be a string."]
        return ""
    value = str(value)
    if free:
        value = intake.free_text(value)
    else:
        value = value.strip()
        problem = intake.identifier_problem(value)
        if problem:
            errors[key] = [problem]
            return ""
    if required and not value.strip():
        errors[key] = ["This field is required."]
    elif max_length is not None and len(value) > max_length:
        errors[key] = [f"At most {max_length} characters."]
    return value


def _channel_of(item: dict, integration: Integration, channels: list[Channel], allowed: set[int]) -> Channel | dict:
    """The channel the item names (``channel``: id or handle; ``platform`` when channels share a
    handle), by ``intake.channel_resolve``; or the errors to report, by field."""
    platform = None
    given = item.get("platform")
    if given not in (None, ""):
        readable = isinstance(given, str) and not intake.identifier_problem(given)
        platform = intake.platform_of(given) if readable else None
        if platform is None:
            return {"platform": [f"Must be one of: {', '.join(Platform.values)}."]}
    try:
        return intake.channel_resolve(
            item.get("channel"),
            channels=channels,
            platform=platform,
            allowed=allowed,
            choose='say which with the post\'s "platform" field',
        )
    except intake.ChannelRefused as refused:
        if refused.code == "not_allowed":
            return {"channel": [f"The integration “{integration.name}” may not send posts for this channel."]}
        return {"channel": [str(refused)]}


def _validate_item(
    index: int,
    item,
    *,
    channel: Channel | str | dict[str, list[str]],
    parse_time: Callable[[object, dict], datetime | None] | None = None,
) -> _Item | dict[str, list[str]]:
    """An item checked field by field: ``_Item``, or the errors by field. ``channel`` is already
    resolved (or the error to report, or the errors by field); ``parse_time`` reads ``posted_at``
    (ISO 8601 by default, by the rule every way in shares)."""
    if not isinstance(item, dict):
        return {"non_field_errors": ["Each post must be a JSON object."]}
    errors: dict[str, list[str]] = {}
    if isinstance(channel, str):
        errors["channel"] = [channel]
    elif isinstance(channel, dict):
        errors.update(channel)
    external_id = _string(item, "external_id", errors, required=True, max_length=200).strip()
    handle = normalise_handle(_string(item, "author_handle", errors, required=True, max_length=200))
    if "author_handle" not in errors:
        if not handle:
            errors["author_handle"] = ["This field is required."]
        elif len(handle) > 120:
            errors["author_handle"] = ["At most 120 characters."]
    author_platform_id = _string(item, "author_platform_id", errors, max_length=120).strip()
    author_display_name = _string(item, "author_display_name", errors, max_length=200, free=True).strip()
    text = _string(item, "text", errors, free=True)
    url = _string(item, "url", errors, max_length=500).strip()
    if url and "url" not in errors:
        try:
            _url_validator(url)
        except ValidationError:
            errors["url"] = ["Enter a valid http or https URL."]
    kind = item.get("kind") or PostKind.COMMENT
    if kind not in PostKind.values:
        errors["kind"] = [f"Must be one of: {', '.join(PostKind.values)}."]
    in_reply_to = _string(item, "in_reply_to", errors, max_length=200).strip()
    posted_at = (parse_time or _posted_at)(item.get("posted_at"), errors)
    if errors:
        return errors
    return _Item(
        index=index,
        channel=channel,
        external_id=external_id,
        handle=handle,
        author_platform_id=author_platform_id,
        author_display_name=author_display_name,
        text=text,
        url=url,
        kind=kind,
        posted_at=posted_at,
        in_reply_to=in_reply_to,
    )


def _posted_at(value, errors: dict) -> datetime | None:
    """ISO 8601, by the rule every way in shares (``intake.posted_at_parse``): Europe/London when no
    zone is given, a time the clocks skipped refused, at most a day ahead."""
    if value is None or value == "":
        errors["posted_at"] = ["This field is required."]
        return None
    if not isinstance(value, str):
        errors["posted_at"] = ["Give the time the post was made, in ISO 8601 (2025-03-01T14:05:00Z)."]
        return None
    try:
        return intake.posted_at_parse(value, now=clock.now())
    except ValueError as error:
        errors["posted_at"] = [str(error)]
        return None


def _accounts_for(items: list[_Item]) -> dict[tuple[str, str], SocialAccount]:
    """Every author of ``items``, created when first seen: three queries whatever the number."""
    wanted: dict[tuple[str, str], _Item] = {}
    for item in items:
        wanted.setdefault((item.channel.platform, item.handle), item)
    now = clock.now()
    SocialAccount.objects.bulk_create(
        [
            SocialAccount(
                platform=platform,
                handle=handle,
                display_name=item.author_display_name,
                platform_user_id=item.author_platform_id,
                first_seen_at=now,
            )
            for (platform, handle), item in sorted(wanted.items(), key=lambda pair: pair[0])
        ],  # in key order, as every writer does, so two concurrent batches cannot deadlock
        ignore_conflicts=True,
    )
    found = SocialAccount.objects.filter(platform__in={p for p, _ in wanted}, handle__in={h for _, h in wanted}).only(
        "id", "platform", "handle", "display_name", "platform_user_id"
    )
    accounts = {(a.platform, a.handle): a for a in found if (a.platform, a.handle) in wanted}
    # fill in what an earlier sighting did not know (never overwrite what staff may rely on)
    stale = []
    for key, account in accounts.items():
        item = wanted[key]
        changed = False
        if item.author_display_name and not account.display_name:
            account.display_name, changed = item.author_display_name, True
        if item.author_platform_id and not account.platform_user_id:
            account.platform_user_id, changed = item.author_platform_id, True
        if changed:
            stale.append(account)
    if stale:
        SocialAccount.objects.bulk_update(stale, ["display_name", "platform_user_id"])
    return accounts


_POST_COLUMNS = (
    "channel_id",
    "account_id",
    "external_id",
    "url",
    "text",
    "kind",
    "posted_at",
    "visibility",
    "in_reply_to",
    "ingested_by_id",
    "imported_from_id",
    "created_at",
)


def _insert_posts(
    items: list[_Item], accounts: dict, integration: Integration | None, csv_import: CsvImport | None
) -> dict[tuple[int, str], int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the ids of the posts this statement created."""
    if not items:
        return {}
    now = clock.now()
    row = "(" + ", ".join(["%s"] * len(_POST_COLUMNS)) + ")"
    params: list = []
    # in key order, as every writer does, so two concurrent batches cannot deadlock on the unique index
    for item in sorted(items, key=lambda i: (i.channel.pk, i.external_id)):
        params += [
            item.channel.pk,
            accounts[(item.channel.platform, item.handle)].pk,
            item.external_id,
            item.url,
            item.text,
            item.kind,
            item.posted_at,
            Visibility.VISIBLE,
            item.in_reply_to,
            integration.pk if integration else None,
            csv_import.pk if csv_import else None,
            now,
        ]
    table = connection.ops.quote_name(Post._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _POST_COLUMNS)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(items))} "  # noqa: S608 — fixed names
        "ON CONFLICT DO NOTHING RETURNING id, channel_id, external_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(channel_id, external_id): pk for pk, channel_id, external_id in cursor.fetchall()}


def _store(
    items: list[_Item],
    integration: Integration | None = None,
    *,
    csv_import: CsvImport | None = None,
    accounts: dict[tuple[str, str], SocialAccount] | None = None,
) -> list[ItemResult]:
    """Store the valid, de-duplicated items; say per item whether it is new or already known.

    The posts come from ``integration`` (the API, webhooks) or from ``csv_import``; ``accounts``
    are their authors when the caller has already made them (``_accounts_for``)."""
    if accounts is None:
        accounts = _accounts_for(items)
    created = _insert_posts(items, accounts, integration, csv_import)
    missing = [(i.channel.pk, i.external_id) for i in items if (i.channel.pk, i.external_id) not in created]
    existing: dict[tuple[int, str], int] = {}
    if missing:
        rows = Post.objects.filter(
            channel_id__in={c for c, _ in missing}, external_id__in={e for _, e in missing}
        ).values_list("channel_id", "external_id", "id")
        existing = {(c, e): pk for c, e, pk in rows}
    results = []
    for item in items:
        key = (item.channel.pk, item.external_id)
        if key in created:
            results.append(ItemResult(index=item.index, status=IngestStatus.CREATED, id=created[key]))
        else:
            results.append(ItemResult(index=item.index, status=IngestStatus.EXISTS, id=existing.get(key)))
    return results


class _AtomicBatchRefused(Exception):
    def __init__(self, results: list[ItemResult]):
        self.results = results


def _store_one_by_one(items: list[_Item], integration: Integration, *, atomic: bool) -> list[ItemResult]:
    """The slow path, when the set-based statement failed: each item in its own savepoint.

    With ``atomic``, one refused item rolls the others back (they are reported ``skipped``).
    """
    try:
        with transaction.atomic():
            results = _store_each(items, integration)
            if atomic and any(r.status == IngestStatus.INVALID for r in results):
                raise _AtomicBatchRefused(results)
    except _AtomicBatchRefused as refused:
        return [
            r if r.status == IngestStatus.INVALID else ItemResult(index=r.index, status=IngestStatus.SKIPPED)
            for r in refused.results
        ]
    return results


def _store_each(items: list[_Item], integration: Integration) -> list[ItemResult]:
    results = []
    for item in items:
        try:
            with transaction.atomic():
                results.extend(_store([item], integration))
        except DatabaseError as error:
            results.append(
                ItemResult(
                    index=item.index,
                    status=IngestStatus.INVALID,
                    errors={"non_field_errors": [f"The database refused this post ({type(error).__name__})."]},
                )
            )
    return results


@transaction.atomic
def posts_ingest(*, integration: Integration, items: list[dict], atomic: bool = False) -> list[ItemResult]:
    """Store posts sent by an integration; one ``ItemResult`` per item, in the batch's order.

    Each item names a channel the integration may post to (id or handle, and ``platform`` when
    channels share the handle: ``intake.channel_resolve``), the post's external id,
    its author (handle required; platform id and display name optional), text, URL, kind, posted
    time (ISO 8601) and optionally the external id it replies to. Idempotent on (channel, external
    id): a post already stored — or repeated in the batch — is reported ``exists`` and not changed.
    Invalid items are reported with field errors and the valid ones stored; with ``atomic=True``
    one invalid item means nothing is stored (the valid ones are reported ``skipped``).
    Ingested posts belong to no case and write no timeline event: they become casework when a
    person records a case (``case_record`` finds them by channel and external id). Authors are
    created as accounts when first seen. A handful of queries for the whole batch.
    Raises ValidationError when the batch is empty or larger than ``MAX_INGEST_ITEMS``.
    """
    if not items:
        raise ValidationError("Send at least one post.")
    if len(items) > MAX_INGEST_ITEMS:
        raise ValidationError(f"Send at most {MAX_INGEST_ITEMS} posts per request (this one had {len(items)}).")
    channels = list(Channel.objects.all())
    allowed = set(integration.channels.values_list("pk", flat=True))
    results: dict[int, ItemResult] = {}
    valid: list[_Item] = []
    first_of: dict[tuple[int, str], int] = {}
    repeats: list[tuple[int, tuple[int, str]]] = []
    for index, raw in enumerate(items):
        channel = _channel_of(raw, integration, channels, allowed) if isinstance(raw, dict) else ""
        checked = _validate_item(index, raw, channel=channel)
        if isinstance(checked, dict):
            results[index] = ItemResult(index=index, status=IngestStatus.INVALID, errors=checked)
            continue
        key = (checked.channel.pk, checked.external_id)
        if key in first_of:
            repeats.append((index, key))
            continue
        first_of[key] = index
        valid.append(checked)
    if atomic and results:
        for item in valid:
            results[item.index] = ItemResult(index=item.index, status=IngestStatus.SKIPPED)
        for index, _ in repeats:
            results[index] = ItemResult(index=index, status=IngestStatus.SKIPPED)
        return [results[i] for i in range(len(items))]
    if valid:
        try:
            with transaction.atomic():
                stored = _store(valid, integration)
        except DatabaseError:
            stored = _store_one_by_one(valid, integration, atomic=atomic)
        for result in stored:
            results[result.index] = result
        created = [r.id for r in stored if r.status == IngestStatus.CREATED]
        if created:  # automatic flags for a person to look at; they change nothing else
            flags.flags_evaluate(
                posts=list(Post.objects.filter(pk__in=created).only("id", "account_id", "text", "posted_at"))
            )
    for index, key in repeats:
        first = results[first_of[key]]
        status = IngestStatus.INVALID if first.status == IngestStatus.INVALID else IngestStatus.EXISTS
        results[index] = replace(first, index=index, status=status)
    return [results[i] for i in range(len(items))]
