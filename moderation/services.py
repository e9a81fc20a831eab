"""Every write about what happened: recording cases, moderating posts, assigning and closing.

Services are keyword-only, run in one transaction, check the actor's permission, validate, and
write exactly one timeline event per state change. They raise ``PermissionDenied`` for the wrong
role and ``ValidationError`` (``code="conflict"`` for the wrong state) for everything else; a
refused call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from escalation import routing
from moderation import clock
from moderation.constants import CaseOutcome, CaseStatus, EventKind, PostKind, Priority, Visibility
from moderation.deadlines import due_after
from moderation.events import record_event
from moderation.models import (
    Case,
    Channel,
    Evidence,
    HouseRule,
    Post,
    ServiceArea,
    SocialAccount,
    normalise_handle,
)


def require_perm(actor: AbstractBaseUser, perm: str, action: str) -> None:
    """Refuse ``action`` unless ``actor`` is active and holds ``perm``."""
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise PermissionDenied(f"Your role does not allow you to {action}.")


def conflict(message: str) -> ValidationError:
    return ValidationError(message, code="conflict")


def clean_text(value: str) -> str:
    """PostgreSQL refuses NUL characters in text: drop them at the edge."""
    return value.replace("\x00", "")


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
    case = Case(
        account=account,
        channel=posts[0].channel,
        reason=reason,
        service_area=service_area,
        priority=priority,
        recorded_by=actor,
        recorded_at=now,
        response_due_at=due_after(now, settings.CASE_RESPONSE_WORKING_DAYS),
    )
    case.full_clean(exclude=["rules"])
    case.save()
    case.rules.set(rules)
    new_posts = _create_posts(account, [d for d, p in found if p is None], now, case=case)
    for post in existing:  # known to us (e.g. ingested) but in no case yet
        post.case = case
        post.save(update_fields=["case"])
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
    post.save(update_fields=["visibility", "visibility_changed_at", "visibility_changed_by"])
    record_event(
        case=post.case_id,
        kind=VISIBILITY_EVENTS[visibility],
        actor=actor,
        subject=post,
        before={"visibility": before},
        after={"visibility": visibility},
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
    if assignee is not None and not (assignee.is_active and assignee.has_perm(routing.PERM_RECORD_CASE)):
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
    evidence.save()
    record_event(
        case=case,
        kind=EventKind.EVIDENCE_ADDED,
        actor=actor,
        subject=evidence,
        after={"file": evidence.file.name if evidence.file else "", "url": url},
        note=evidence.description,
    )
    return evidence
