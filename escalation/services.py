"""Every write about what was decided: warnings, blocks, sign-offs, acknowledgements, appeals.

Same contract as ``moderation.services``: keyword-only, one transaction, the actor's permission
checked, rows locked before a move, an illegal move refused with ``ValidationError(code="conflict")``
naming the current state, a repeated move returning quietly, exactly one timeline event per state
change. Emails are written to the outbox (``moderation.outbox``) in the deciding transaction and
delivered by a worker once it commits, retried until sent.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from escalation import notify, routing
from escalation.constants import (
    APPEAL_TRANSITIONS,
    BLOCK_TRANSITIONS,
    WARNING_TRANSITIONS,
    AppealStatus,
    BlockKind,
    BlockScope,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from escalation.models import Appeal, Block, PoliceReport, SignOff, Warning
from escalation.windows import appeal_wait_months, may_be_heard, to_the_minute
from moderation import clock
from moderation.constants import CaseStatus, EventKind, Visibility
from moderation.deadlines import due_after, office_hours
from moderation.events import actor_label, record_event, record_system_events
from moderation.models import Case, Channel, Post, SocialAccount
from moderation.outbox import outbox_deliver
from moderation.services import clean_text, conflict, post_set_visibility, require_perm
from policy import dates
from policy import services as policy
from policy.titles import titles


def _check_move(obj, table: dict[str, set[str]], target: str, noun: str) -> None:
    if target not in table[obj.status]:
        raise conflict(f"This {noun} is {obj.get_status_display().lower()}; that cannot be done now.")


def add_calendar_months(moment: datetime, months: int) -> datetime:
    """``moment`` + ``months`` calendar months, on the London wall clock (29 Feb → 28 Feb)."""
    local = timezone.localtime(moment)
    shifted = (local.replace(tzinfo=None) + relativedelta(months=months)).replace(tzinfo=local.tzinfo)
    return shifted.astimezone(UTC)


def _open_case(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise conflict(f"Case {case.pk} is closed; reopen it first.")
    return case


def _refuse_under_safeguarding(case: Case, action: str) -> None:
    """The ordinary ladder waits on a safeguarding case until a lead has recorded their decision
    (Cafcass: "Where safeguarding concerns are present, our ... child protection policies will be
    followed"). ``case`` is the row locked by ``_open_case``."""
    if case.safeguarding_awaits_lead:
        raise conflict(
            f"This is a safeguarding case: you cannot {action} until a safeguarding lead has recorded their decision."
        )


# --- Written warnings ------------------------------------------------------------------------


def warning_default_text(case: Case) -> str:
    """The warning message from the policy's template (``PolicyVersion.warning_template``)."""
    version = policy.current()
    first_post = case.posts.order_by("posted_at").first()
    removed = first_post is not None and first_post.visibility in (Visibility.HIDDEN, Visibility.DELETED)
    context = {
        "name": case.account.display_name or f"@{case.account.handle}",
        "action": ("hidden" if first_post.visibility == Visibility.HIDDEN else "removed") if removed else "noted",
        "post_kind": first_post.get_kind_display().lower() if first_post else "post",
        "channel": case.channel.name,
        "rules": "; ".join(r.title.lower() for r in case.rules.all()),
        "policy_url": version.policy_url,
        "organisation": version.organisation_name,
    }
    # a plain-text message: placeholders only (the policy refuses template tags), nothing escaped
    return version.message("warning_template", **context)


def _validate_warning_text(text: str) -> str:
    text = clean_text(text).strip()
    if not text:
        raise ValidationError({"text": "Write the warning."})
    policy_url = policy.current().policy_url
    if policy_url not in text:
        raise ValidationError({"text": f"The warning must link to our policy: {policy_url}"})
    return text


@transaction.atomic
def warning_draft(*, actor: AbstractBaseUser, case: Case, text: str | None = None) -> Warning:
    """Draft a written warning on an open case, from the template unless ``text`` is given.

    Refused while the case has another warning in progress. Raises PermissionDenied, ValidationError.
    """
    require_perm(actor, routing.PERM_DRAFT_WARNING, "draft warnings")
    case = _open_case(case)
    _refuse_under_safeguarding(case, "draft a warning")
    live = case.warnings.filter(
        status__in=[WarningStatus.DRAFT, WarningStatus.AWAITING_SIGNOFF, WarningStatus.APPROVED]
    ).first()
    if live is not None:
        raise conflict(f"This case already has a warning in progress ({live.get_status_display().lower()}).")
    warning = Warning(
        case=case,
        text=_validate_warning_text(text if text is not None else warning_default_text(case)),
        drafted_by=actor,
        drafted_at=clock.now(),
    )
    warning.full_clean()
    warning.save()
    record_event(case=case, kind=EventKind.WARNING_DRAFTED, actor=actor, subject=warning, after={"text": warning.text})
    return warning


@transaction.atomic
def warning_revise(*, actor: AbstractBaseUser, warning: Warning, text: str) -> Warning:
    """Change the text of a draft warning (e.g. after a refused sign-off)."""
    require_perm(actor, routing.PERM_DRAFT_WARNING, "revise warnings")
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status != WarningStatus.DRAFT:
        raise conflict(f"This warning is {warning.get_status_display().lower()}; only a draft can be revised.")
    text = _validate_warning_text(text)
    if text == warning.text:
        return warning
    before = warning.text
    warning.text = text
    warning.save(update_fields=["text"])
    record_event(
        case=warning.case_id,
        kind=EventKind.WARNING_REVISED,
        actor=actor,
        subject=warning,
        before={"text": before},
        after={"text": text},
    )
    return warning


@transaction.atomic
def warning_submit(*, actor: AbstractBaseUser, warning: Warning) -> SignOff:
    """Send a draft warning for sign-off by the Communications Manager or the case's Service Director."""
    require_perm(actor, routing.PERM_DRAFT_WARNING, "send warnings for sign-off")
    if not routing.warnings_need_signoff():
        raise ValidationError("Under our policy a written warning needs no sign-off: send it, then record it as sent.")
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status == WarningStatus.AWAITING_SIGNOFF:
        return warning.signoffs.get(status=SignOffStatus.PENDING)
    _check_move(warning, WARNING_TRANSITIONS, WarningStatus.AWAITING_SIGNOFF, "warning")
    _refuse_under_safeguarding(_open_case(warning.case), "send a warning for sign-off")
    _validate_warning_text(warning.text)
    now = clock.now()
    warning.status = WarningStatus.AWAITING_SIGNOFF
    warning.save(update_fields=["status"])
    signoff = _request_signoff(SignOffKind.WARNING, case_id=warning.case_id, actor=actor, now=now, warning=warning)
    record_event(
        case=warning.case_id,
        kind=EventKind.WARNING_SUBMITTED,
        actor=actor,
        subject=warning,
        before={"status": WarningStatus.DRAFT},
        after={"status": warning.status, "signoff": signoff.pk},
        note=f"To be signed off by the {routing.signoff_decided_by(SignOffKind.WARNING)}.",
    )
    return signoff


@transaction.atomic
def warning_mark_sent(*, actor: AbstractBaseUser, warning: Warning) -> Warning:
    """Record that the signed-off warning was sent to the account. Where the policy asks for no
    sign-off (Cafcass), a draft is sent as it stands."""
    require_perm(actor, routing.PERM_DRAFT_WARNING, "send warnings")
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status == WarningStatus.SENT:
        return warning
    before = warning.status
    if before == WarningStatus.DRAFT and not routing.warnings_need_signoff():
        _refuse_under_safeguarding(_open_case(warning.case), "send a warning")
        _validate_warning_text(warning.text)
    else:
        _check_move(warning, WARNING_TRANSITIONS, WarningStatus.SENT, "warning")
        _refuse_under_safeguarding(Case.objects.select_for_update().get(pk=warning.case_id), "send a warning")
    warning.status, warning.sent_by, warning.sent_at = WarningStatus.SENT, actor, clock.now()
    warning.save(update_fields=["status", "sent_by", "sent_at"])
    record_event(
        case=warning.case_id,
        kind=EventKind.WARNING_SENT,
        actor=actor,
        subject=warning,
        before={"status": before},
        after={"status": WarningStatus.SENT},
        note="" if before == WarningStatus.APPROVED else "Sent without sign-off, as our policy allows.",
    )
    return warning


@transaction.atomic
def warning_withdraw(*, actor: AbstractBaseUser, warning: Warning, reason: str) -> Warning:
    """Withdraw a draft or signed-off warning that will not be sent (a reason is required)."""
    require_perm(actor, routing.PERM_DRAFT_WARNING, "withdraw warnings")
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status == WarningStatus.WITHDRAWN:
        return warning
    _check_move(warning, WARNING_TRANSITIONS, WarningStatus.WITHDRAWN, "warning")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the warning is withdrawn."})
    before = warning.status
    warning.status, warning.withdrawn_at = WarningStatus.WITHDRAWN, clock.now()
    warning.save(update_fields=["status", "withdrawn_at"])
    record_event(
        case=warning.case_id,
        kind=EventKind.WARNING_WITHDRAWN,
        actor=actor,
        subject=warning,
        before={"status": before},
        after={"status": WarningStatus.WITHDRAWN},
        note=clean_text(reason),
    )
    return warning


# --- Sign-off ----------------------------------------------------------------------------------


def _request_signoff(kind: str, *, case_id: int, actor: AbstractBaseUser, now: datetime, **subject) -> SignOff:
    """Ask for a decision, due the policy's sign-off target (working days) from now; its deciders are told."""
    signoff = SignOff.objects.create(
        kind=kind,
        case_id=case_id,
        requested_by=actor,
        requested_at=now,
        due_at=due_after(now, policy.current().signoff_due_working_days),
        **subject,
    )
    notify.signoff_requested(signoff, authors=signoff_authors(signoff))
    return signoff


def signoff_authors(signoff: SignOff) -> set[int]:
    """Who may not decide a sign-off: whoever asked, and the author of the warning or block."""
    authors = {signoff.requested_by_id}
    if signoff.warning is not None:
        authors.add(signoff.warning.drafted_by_id)
    if signoff.block is not None:
        authors.add(signoff.block.proposed_by_id)
    return authors


def _lock_pending_signoff(*, actor: AbstractBaseUser, signoff: SignOff, approve: bool, reason: str) -> SignOff:
    """Lock the sign-off and check that ``actor`` may decide it now. Changes nothing.

    Order of refusals: wrong role, own request (the asker, or the author of what is asked
    about), already decided ("Already decided by …"), missing reason.
    """
    signoff = (
        SignOff.objects.select_for_update(of=("self",))
        # not decided_by: after waiting on the lock PostgreSQL re-reads this row but not the joined user
        .select_related("case", "requested_by", "warning", "block", "appeal")
        .get(pk=signoff.pk)
    )
    if not routing.can_decide_signoff(actor, kind=signoff.kind, service_area_id=signoff.case.service_area_id):
        raise PermissionDenied(
            f"This decision is for the {routing.signoff_decided_by(signoff.kind)}; your role cannot make it."
        )
    if actor.pk in signoff_authors(signoff):
        raise PermissionDenied("You asked for this decision, so someone else must make it.")
    if signoff.status != SignOffStatus.PENDING:
        when = dates.say_datetime(signoff.decided_at)
        raise conflict(
            f"Already decided by {actor_label(signoff.decided_by)} on {when}: {signoff.get_status_display().lower()}."
        )
    if not approve and not reason.strip():
        raise ValidationError({"reason": "Give a reason for refusing."})
    return signoff


def _stamp_decision(signoff: SignOff, *, actor: AbstractBaseUser, approve: bool, reason: str, now: datetime) -> None:
    signoff.status = SignOffStatus.APPROVED if approve else SignOffStatus.REFUSED
    signoff.decided_by, signoff.decided_at, signoff.reason = actor, now, clean_text(reason).strip()
    signoff.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if not approve:
        notify.signoff_refused(signoff)


@transaction.atomic
def signoff_decide(*, actor: AbstractBaseUser, signoff: SignOff, approve: bool, reason: str = "") -> SignOff:
    """Approve or refuse a pending warning or block sign-off.

    Warning: approved, or returned to its drafter as a draft with the reason. Block: active (the
    Managing Director is emailed) or refused. Raises PermissionDenied (own request, wrong role) and
    ValidationError (already decided — "Already decided by …" —, refusal without reason).
    Appeals are decided with ``appeal_decide``.
    """
    signoff = _lock_pending_signoff(actor=actor, signoff=signoff, approve=approve, reason=reason)
    if signoff.kind == SignOffKind.APPEAL:
        raise ValidationError("Appeals are decided as upheld or overturned; use the appeal decision.")
    if approve:  # refusing stops the ladder, so it stays open; approving waits for the safeguarding lead
        noun = "a warning" if signoff.kind == SignOffKind.WARNING else "a block"
        _refuse_under_safeguarding(Case.objects.select_for_update().get(pk=signoff.case_id), f"approve {noun}")
    now = clock.now()
    _stamp_decision(signoff, actor=actor, approve=approve, reason=reason, now=now)
    if signoff.kind == SignOffKind.WARNING:
        warning = Warning.objects.select_for_update().get(pk=signoff.warning_id)
        target = WarningStatus.APPROVED if approve else WarningStatus.DRAFT
        _check_move(warning, WARNING_TRANSITIONS, target, "warning")
        warning.status = target
        warning.save(update_fields=["status"])
        record_event(
            case=signoff.case_id,
            kind=EventKind.WARNING_APPROVED if approve else EventKind.WARNING_REFUSED,
            actor=actor,
            subject=warning,
            before={"status": WarningStatus.AWAITING_SIGNOFF},
            after={"status": target, "signoff": signoff.pk},
            note=signoff.reason,
        )
    else:
        block = Block.objects.select_for_update().get(pk=signoff.block_id)
        if approve:
            _check_move(block, BLOCK_TRANSITIONS, BlockStatus.ACTIVE, "block")
            _activate(block, now)
        else:
            _check_move(block, BLOCK_TRANSITIONS, BlockStatus.REFUSED, "block")
            block.status = BlockStatus.REFUSED
            block.save(update_fields=["status"])
        record_event(
            case=signoff.case_id,
            kind=EventKind.BLOCK_APPROVED if approve else EventKind.BLOCK_REFUSED,
            actor=actor,
            subject=block,
            before={"status": BlockStatus.AWAITING_SIGNOFF},
            after=_block_state(block),
            note=signoff.reason,
        )
    return signoff


# --- Blocks ------------------------------------------------------------------------------------


def _block_state(block: Block) -> dict:
    return {
        "status": block.status,
        "scope": block.scope,
        "channel": block.channel_id,
        "started_at": block.started_at.isoformat() if block.started_at else None,
        "appeal_opens_at": block.appeal_opens_at.isoformat() if block.appeal_opens_at else None,
    }


def _activate(block: Block, now: datetime) -> None:
    block.status = BlockStatus.ACTIVE
    block.started_at = now
    block.appeal_opens_at = add_calendar_months(now, appeal_wait_months(block.case, block.kind))
    block.save(update_fields=["status", "started_at", "appeal_opens_at"])
    from escalation import notifications

    if policy.current().head_informed_of_blocks:
        notifications.block_notice_queue(block)


def _resolve_scope(case: Case, scope: str, channel: Channel | None) -> Channel | None:
    if scope not in BlockScope.values:
        raise ValidationError({"scope": "Choose one channel or all channels."})
    if scope == BlockScope.ALL:
        return None
    channel = channel or case.channel
    if channel.platform != case.account.platform:
        raise ValidationError({"channel": "The channel must be on the account's platform."})
    return channel


def _refuse_if_already_blocked(case: Case, scope: str, channel: Channel | None) -> None:
    live = Block.objects.filter(
        account_id=case.account_id, status__in=[BlockStatus.AWAITING_SIGNOFF, BlockStatus.ACTIVE]
    )
    everywhere = live.filter(scope=BlockScope.ALL).first()
    if everywhere is not None:
        raise conflict(f"This account already has a block on all channels ({everywhere.get_status_display().lower()}).")
    if scope == BlockScope.CHANNEL:
        here = live.filter(scope=BlockScope.CHANNEL, channel=channel).first()
        if here is not None:
            raise conflict(f"This account already has a block on {channel} ({here.get_status_display().lower()}).")


def _create_block(
    *,
    case: Case,
    actor: AbstractBaseUser,
    kind: str,
    scope: str,
    channel: Channel | None,
    reason: str,
    status: str,
    now: datetime,
) -> Block:
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationError({"reason": "Say why the account should be blocked."})
    channel = _resolve_scope(case, scope, channel)
    _refuse_if_already_blocked(case, scope, channel)
    block = Block(
        account_id=case.account_id,
        case=case,
        kind=kind,
        scope=scope,
        channel=channel,
        status=status,
        reason=reason,
        proposed_by=actor,
        proposed_at=now,
    )
    try:
        with transaction.atomic():
            block.save()
    except IntegrityError as error:  # a concurrent proposal won the race
        raise conflict("This account already has a block in that scope.") from error
    return block


def _require_warning_first(case: Case) -> None:
    """Where the policy makes a written warning a step before a block (HMPPS), refuse a block of an
    account that was sent none in the lookback, unless the case cites a zero-tolerance rule."""
    from policy.models import WarningBeforeBlock

    version = policy.current()
    if version.warning_before_block != WarningBeforeBlock.REQUIRED:
        return
    if any(rule.zero_tolerance for rule in case.rules.all()):
        return
    since = clock.now() - relativedelta(months=version.warning_lookback_months)
    if Warning.objects.filter(case__account=case.account_id, status=WarningStatus.SENT, sent_at__gte=since).exists():
        return
    raise ValidationError(
        f"Our policy needs a written warning before a block, except for zero-tolerance rules: no warning "
        f"was sent to this account in the last {version.warning_lookback_months} months. Send a warning first."
    )


@transaction.atomic
def block_propose(
    *, actor: AbstractBaseUser, case: Case, scope: str, reason: str, channel: Channel | None = None
) -> Block:
    """Propose blocking the case's account (one channel or all); the policy's ``block_approval`` signs off
    (NHDC: the Communications Manager)."""
    require_perm(actor, routing.PERM_PROPOSE_BLOCK, "propose blocks")
    case = _open_case(case)
    _refuse_under_safeguarding(case, "propose a block")
    _require_warning_first(case)
    now = clock.now()
    block = _create_block(
        case=case,
        actor=actor,
        kind=BlockKind.STANDARD,
        scope=scope,
        channel=channel,
        reason=reason,
        status=BlockStatus.AWAITING_SIGNOFF,
        now=now,
    )
    signoff = _request_signoff(SignOffKind.BLOCK, case_id=case.pk, actor=actor, now=now, block=block)
    record_event(
        case=case,
        kind=EventKind.BLOCK_PROPOSED,
        actor=actor,
        subject=block,
        after={**_block_state(block), "signoff": signoff.pk},
        note=block.reason,
    )
    return block


@transaction.atomic
def block_immediate(
    *, actor: AbstractBaseUser, case: Case, scope: str, reason: str, channel: Channel | None = None
) -> Block:
    """Block at once for extreme behaviour; the Managing Director is emailed. Who may is the policy's
    ``immediate_block`` (NHDC: the Communications Manager): anyone else is refused with PermissionDenied."""
    refusal = routing.immediate_block_refusal(actor, case)
    if refusal:
        raise PermissionDenied(refusal)
    case = _open_case(case)
    _refuse_under_safeguarding(case, "block")
    _require_warning_first(case)
    now = clock.now()
    block = _create_block(
        case=case,
        actor=actor,
        kind=BlockKind.IMMEDIATE,
        scope=scope,
        channel=channel,
        reason=reason,
        status=BlockStatus.AWAITING_SIGNOFF,
        now=now,
    )
    _activate(block, now)
    record_event(
        case=case,
        kind=EventKind.BLOCK_IMMEDIATE,
        actor=actor,
        subject=block,
        after=_block_state(block),
        note=block.reason,
    )
    return block


@transaction.atomic
def channel_ban(*, actor: AbstractBaseUser, case: Case, reason: str) -> Block:
    """Misinformation: remove the case's posts on that channel and ban the author from it only.

    Each removed post gets its own "post deleted" event, then the ban its "channel ban" event.
    The ban can be challenged at once (its rule has no appeal wait). The case must cite a rule
    marked channel-only (misinformation).
    """
    require_perm(actor, routing.PERM_CHANNEL_BAN, "ban accounts from a channel")
    case = _open_case(case)
    _refuse_under_safeguarding(case, "ban the account from the channel")
    if not case.rules.filter(channel_only_ban=True).exists():
        raise ValidationError("A channel ban is for misinformation: the case must cite that house rule.")
    _require_warning_first(case)  # a channel ban is a block: where the policy asks, a warning comes first
    now = clock.now()
    block = _create_block(
        case=case,
        actor=actor,
        kind=BlockKind.CHANNEL_BAN,
        scope=BlockScope.CHANNEL,
        channel=case.channel,
        reason=reason,
        status=BlockStatus.AWAITING_SIGNOFF,
        now=now,
    )
    _activate(block, now)
    removed = []
    for post in Post.objects.filter(case=case, channel=block.channel).exclude(visibility=Visibility.DELETED):
        post_set_visibility(actor=actor, post=post, visibility=Visibility.DELETED, note="Misinformation: removed.")
        removed.append(post.pk)
    record_event(
        case=case,
        kind=EventKind.CHANNEL_BAN,
        actor=actor,
        subject=block,
        after={**_block_state(block), "posts_deleted": removed},
        note=block.reason,
    )
    return block


def block_notify_managing_director(*, block_id: int) -> bool:
    """Send the Managing Director(s) the notice of an active block now, once (its outbox row is
    written when the block starts; this writes it for a block that started without one). Returns
    True when sent now. Kept for tasks queued before the outbox."""
    from escalation import notifications

    with transaction.atomic():
        block = Block.objects.select_for_update(of=("self",)).select_related("account", "channel").get(pk=block_id)
        if block.md_notified_at is not None or block.started_at is None:
            return False
        message = notifications.block_notice_queue(block)
    return outbox_deliver(message_id=message.pk) == "sent"


def police_report_notify_managing_director(*, report_id: int) -> bool:
    """Send the Managing Director(s) the notice of a police report now, once. Returns True when sent
    now. Kept for tasks queued before the outbox."""
    from escalation import notifications

    with transaction.atomic():
        report = PoliceReport.objects.select_for_update(of=("self",)).select_related("case__account").get(pk=report_id)
        if report.md_notified_at is not None:
            return False
        message = notifications.police_report_queue(report)
    return outbox_deliver(message_id=message.pk) == "sent"


@transaction.atomic
def block_acknowledge(*, actor: AbstractBaseUser, block: Block, note: str = "") -> Block:
    """The Managing Director records that they are aware of the block."""
    require_perm(actor, routing.PERM_ACKNOWLEDGE_BLOCK, "acknowledge blocks")
    block = Block.objects.select_for_update().get(pk=block.pk)
    if block.md_acknowledged_at is not None:
        return block
    if block.started_at is None:
        raise conflict(
            f"This block is {block.get_status_display().lower()}; only a block that started is acknowledged."
        )
    approvers = set(block.signoffs.filter(status=SignOffStatus.APPROVED).values_list("decided_by_id", flat=True))
    if actor.pk == block.proposed_by_id or actor.pk in approvers:
        # separation of duties (the database holds it too: escalation/migrations/0005)
        raise PermissionDenied(
            f"You proposed or approved this block: the {titles().head} who acknowledges it must be someone else."
        )
    block.md_acknowledged_by, block.md_acknowledged_at = actor, clock.now()
    block.save(update_fields=["md_acknowledged_by", "md_acknowledged_at"])
    record_event(case=block.case_id, kind=EventKind.MD_ACKNOWLEDGED, actor=actor, subject=block, note=clean_text(note))
    return block


@transaction.atomic
def block_undone_on_platform(*, actor: AbstractBaseUser, block: Block) -> Block:
    """The officer records that a lifted block was undone on the platform itself."""
    require_perm(actor, routing.PERM_MODERATE_POST, "record that a block was undone")
    block = Block.objects.select_for_update().get(pk=block.pk)
    if block.undone_on_platform_at is not None:
        return block
    if block.status != BlockStatus.LIFTED:
        raise conflict(f"This block is {block.get_status_display().lower()}; only a lifted block is undone.")
    block.undone_on_platform_by, block.undone_on_platform_at = actor, clock.now()
    block.save(update_fields=["undone_on_platform_by", "undone_on_platform_at"])
    record_event(case=block.case_id, kind=EventKind.BLOCK_UNDONE_ON_PLATFORM, actor=actor, subject=block)
    return block


@transaction.atomic
def police_report_record(
    *, actor: AbstractBaseUser, case: Case, force: str, reference: str, reported_on: date, block: Block | None = None
) -> PoliceReport:
    """Record that the matter was reported to the police; the Managing Director is emailed."""
    require_perm(actor, routing.PERM_REPORT_POLICE, "record police reports")
    case = Case.objects.select_for_update().get(pk=case.pk)
    errors = {}
    if not force.strip():
        errors["force"] = "Name the police force."
    if not reference.strip():
        errors["reference"] = "Give the police reference."
    if reported_on is None:
        errors["reported_on"] = "Give the date it was reported."
    elif reported_on > timezone.localdate(clock.now()):
        errors["reported_on"] = "The date reported cannot be in the future."
    if block is not None and block.case_id != case.pk:
        errors["block"] = "That block belongs to another case."
    if errors:
        raise ValidationError(errors)
    report = PoliceReport(
        case=case,
        block=block,
        force=clean_text(force).strip(),
        reference=clean_text(reference).strip(),
        reported_on=reported_on,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    report.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as error:  # the same reference recorded a moment ago, or before
        raise ValidationError(
            {"reference": f"{report.force} reference {report.reference} is already recorded."}
        ) from error
    record_event(
        case=case,
        kind=EventKind.POLICE_REPORTED,
        actor=actor,
        subject=report,
        after={"force": report.force, "reference": report.reference, "reported_on": reported_on.isoformat()},
    )
    from escalation import notifications

    notifications.police_report_queue(report)
    return report


# --- Appeals -----------------------------------------------------------------------------------


@transaction.atomic
def appeal_record(
    *,
    actor: AbstractBaseUser,
    block: Block,
    received_at: datetime | None = None,
    received_via: str = "",
    grounds: str = "",
) -> Appeal:
    """Record an appeal when it arrives.

    Before the block's appeal window opens it is recorded as premature with the date it opens;
    otherwise it goes to the Managing Director for a decision. Raises PermissionDenied,
    ValidationError (block not active, an appeal already under review, a future date).
    """
    require_perm(actor, routing.PERM_RECORD_APPEAL, "record appeals")
    if not policy.current().appeals:
        raise ValidationError("Our policy does not offer appeals against its decisions.")
    block = Block.objects.select_for_update().get(pk=block.pk)
    now = clock.now()
    received_at = received_at or now
    if received_at > now:
        raise ValidationError({"received_at": "The date received cannot be in the future."})
    if block.status != BlockStatus.ACTIVE:
        raise conflict(f"This block is {block.get_status_display().lower()}; only an active block can be appealed.")
    under_review = block.appeals.filter(status=AppealStatus.UNDER_REVIEW).first()
    if under_review is not None:
        raise conflict(f"Appeal {under_review.pk} against this block is already with the {titles().head}.")
    premature = not may_be_heard(block, received_at)
    appeal = Appeal(
        block=block,
        status=AppealStatus.PREMATURE if premature else AppealStatus.UNDER_REVIEW,
        received_at=received_at,
        received_via=clean_text(received_via).strip()[:120],
        grounds=clean_text(grounds).strip(),
        recorded_by=actor,
        recorded_at=now,
        window_opens_at=block.appeal_opens_at,
    )
    appeal.full_clean()
    appeal.save()
    if premature:
        opens = dates.say_date(block.appeal_opens_at)
        record_event(
            case=block.case_id,
            kind=EventKind.APPEAL_PREMATURE,
            actor=actor,
            subject=appeal,
            after={"status": appeal.status, "window_opens_at": block.appeal_opens_at.isoformat()},
            note=f"Appeals against this block can be heard from {opens}.",
        )
        notify.appeal_logged(appeal)
        return appeal
    signoff = _request_signoff(SignOffKind.APPEAL, case_id=block.case_id, actor=actor, now=now, appeal=appeal)
    record_event(
        case=block.case_id,
        kind=EventKind.APPEAL_RECEIVED,
        actor=actor,
        subject=appeal,
        after={"status": appeal.status, "signoff": signoff.pk},
        note=appeal.grounds,
    )
    return appeal


@transaction.atomic
def appeal_decide(*, actor: AbstractBaseUser, appeal: Appeal, overturn: bool, reason: str) -> Appeal:
    """The Managing Director decides an appeal under review (a reason is always required).

    Upheld: the block stays and the next appeal opens 12 months after this decision (a channel ban:
    after its rule's wait, none for misinformation, which can be challenged at any time). Overturned:
    the block is lifted, for the officer to undo on the platform. Raises PermissionDenied,
    ValidationError ("Already decided by …", missing reason, wrong state).
    """
    require_perm(actor, routing.PERM_DECIDE_APPEAL, "decide appeals")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the decision."})
    pending = SignOff.objects.filter(appeal_id=appeal.pk).order_by("-requested_at").first()
    if pending is None:
        appeal.refresh_from_db()
        raise conflict(f"This appeal is {appeal.get_status_display().lower()}; there is nothing to decide.")
    signoff = _lock_pending_signoff(actor=actor, signoff=pending, approve=overturn, reason=reason)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    target = AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD
    _check_move(appeal, APPEAL_TRANSITIONS, target, "appeal")
    block = Block.objects.select_for_update().get(pk=appeal.block_id)
    now = clock.now()
    _stamp_decision(signoff, actor=actor, approve=overturn, reason=reason, now=now)
    appeal.status, appeal.decided_by, appeal.decided_at = target, actor, now
    appeal.decision_reason = clean_text(reason).strip()
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    before = _block_state(block)
    if overturn:
        _check_move(block, BLOCK_TRANSITIONS, BlockStatus.LIFTED, "block")
        block.status, block.lifted_at, block.lifted_reason = BlockStatus.LIFTED, now, appeal.decision_reason
        block.save(update_fields=["status", "lifted_at", "lifted_reason"])
    else:
        if block.kind == BlockKind.CHANNEL_BAN:
            months = appeal_wait_months(block.case, block.kind)
        else:
            months = policy.current().appeal_wait_after_upheld_months
        block.appeal_opens_at = add_calendar_months(now, months)
        block.appeal_window_flagged_at = None
        block.save(update_fields=["appeal_opens_at", "appeal_window_flagged_at"])
    record_event(
        case=block.case_id,
        kind=EventKind.APPEAL_OVERTURNED if overturn else EventKind.APPEAL_UPHELD,
        actor=actor,
        subject=appeal,
        before={"appeal": AppealStatus.UNDER_REVIEW, "block": before},
        after={"appeal": target, "block": _block_state(block)},
        note=appeal.decision_reason,
    )
    return appeal


# --- Scheduled work ----------------------------------------------------------------------------

# One statement per chunk: lock the next blocks whose window has opened (skipping any another sweep
# holds), flag them, stamp them with the window the sweep's digest will name, and write each its
# timeline event. Nothing is carried through Python but the ids. The chunk is read along
# ``block_appeal_window_due_idx`` (windows opened, not yet flagged): ordered by id it was read along
# the primary key past every block flagged by the chunks before, 100 chunks × up to 1M rows at a
# million windows (issue 13). Flagging and stamping in one UPDATE writes each block once, not twice.
FLAG_OPEN_WINDOWS_SQL = """
WITH due AS (
    SELECT id FROM escalation_block
     WHERE status = 'active' AND appeal_window_flagged_at IS NULL AND appeal_opens_at < %(heard_before)s
     ORDER BY appeal_opens_at {order}
     LIMIT %(chunk)s
       FOR UPDATE SKIP LOCKED
), flagged AS (
    UPDATE escalation_block AS block
       SET appeal_window_flagged_at = %(now)s, appeal_digest_sent_for = block.appeal_opens_at
      FROM due WHERE block.id = due.id
    RETURNING block.id, block.case_id, block.appeal_opens_at
), events AS (
    INSERT INTO moderation_caseevent (case_id, kind, actor_id, actor_label, at, subject_type, subject_id, before,
                                      after, note)
    SELECT case_id, %(kind)s, NULL, 'system', %(now)s, 'block', id, '{}'::jsonb,
           jsonb_build_object('appeal_opens_at',
                              to_char(appeal_opens_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                              || CASE WHEN date_part('microseconds', appeal_opens_at)::bigint %% 1000000 = 0 THEN ''
                                      ELSE to_char(appeal_opens_at AT TIME ZONE 'UTC', '.US') END
                              || '+00:00'),
           %(note)s
      FROM flagged
)
SELECT id FROM flagged
"""
# the sweep takes the earliest windows first; its helpers the latest: each reads along the due index
# from its own end, past none of the rows the other holds (SKIP LOCKED would still keep them apart)
FLAG_OPEN_WINDOWS_EARLIEST_SQL = FLAG_OPEN_WINDOWS_SQL.replace("{order}", "ASC")
FLAG_OPEN_WINDOWS_LATEST_SQL = FLAG_OPEN_WINDOWS_SQL.replace("{order}", "DESC")
SWEEP_CHUNK = 10_000  # blocks flagged per statement and transaction: memory and lock time stay bounded
# A sweep with more than a chunk to do shares the chunks with this many helpers, each a thread on a
# database connection of its own (a second PostgreSQL backend: the chunks are CPU-bound in the
# database, and SKIP LOCKED hands each chunk to one of them; docs/performance.md has the figures).
SWEEP_HELPERS = 1

logger = logging.getLogger(__name__)


def _flag_chunks(params: dict, statement: str = FLAG_OPEN_WINDOWS_EARLIEST_SQL) -> list[int]:
    """Flag chunks until one comes back short (nothing left that another sweep does not hold)."""
    flagged: list[int] = []
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
            ids = [row[0] for row in cursor.fetchall()]
        flagged.extend(ids)
        if len(ids) < params["chunk"]:
            return flagged


def _flag_chunks_helping(params: dict, found: list[int]) -> None:
    """A helper's share, on this thread's own connection (closed at the end)."""
    try:
        found.extend(_flag_chunks(params, FLAG_OPEN_WINDOWS_LATEST_SQL))
    except Exception:  # the sweep's last pass takes whatever a failed helper left
        logger.exception("An appeal-window sweep helper failed")
    finally:
        connections.close_all()


def appeal_windows_flag(*, now: datetime | None = None, chunk: int = SWEEP_CHUNK) -> list[int]:
    """Flag every active block whose appeal window has opened, a chunk at a time.

    Each chunk is one statement in its own transaction: the blocks flagged (and stamped with the
    window the digest names) and one timeline event each, written by the database (948,000 windows
    opening at once no longer pass through Python).
    When the first chunk is full, ``SWEEP_HELPERS`` threads share the rest, each on its own
    database connection (not when the caller holds a transaction: its rows are not theirs to see).
    The sweep waits for them, takes whatever is left, then writes one digest to the Communications
    team naming what this sweep flagged. Idempotent: a block is flagged once per window, and a sweep
    running beside another skips the blocks it holds. Returns the ids flagged now.
    """
    now = now or clock.now()
    if not policy.current().appeals:
        return []  # no appeals under the policy: no window opens, no digest is sent
    # the one clock rule (escalation.windows): a window is open from the minute it opens
    heard_before = to_the_minute(now) + timedelta(minutes=1)
    params = {
        "now": now,
        "heard_before": heard_before,
        "chunk": chunk,
        "kind": EventKind.APPEAL_WINDOW_OPENED,
        "note": "The account owner may now appeal this block.",
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLAG_OPEN_WINDOWS_EARLIEST_SQL, params)
        flagged = [row[0] for row in cursor.fetchall()]
    if len(flagged) == chunk:
        helpers: list[tuple[threading.Thread, list[int]]] = []
        if not connection.in_atomic_block:
            for n in range(SWEEP_HELPERS):
                found: list[int] = []
                thread = threading.Thread(
                    target=_flag_chunks_helping, args=(params, found), name=f"appeal-sweep-helper-{n + 1}"
                )
                thread.start()
                helpers.append((thread, found))
        try:
            flagged.extend(_flag_chunks(params))
        finally:  # the digest (or the error) only once every helper's chunks are in
            for thread, found in helpers:
                thread.join()
                flagged.extend(found)
        if helpers:
            flagged.extend(_flag_chunks(params))  # a helper's chunk rolled back: its blocks are due still
    if flagged:
        # the blocks this sweep flagged (and stamped) named in one digest: by id when a chunk's worth,
        # else by the moment that flagged them
        with transaction.atomic():
            ids = flagged if len(flagged) <= chunk else None
            _appeal_window_digest_queue(ids, flagged_at=now, stamped=True)
    return sorted(flagged)


DIGEST_LISTS = 200  # a digest names this many blocks; beyond that it gives the number and the appeals page


def _appeal_window_digest_queue(
    block_ids: list[int] | None = None, *, flagged_at: datetime | None = None, stamped: bool = False
):
    """In the caller's transaction: the digest naming the flagged blocks (those in ``block_ids``, or
    those a sweep flagged at ``flagged_at``) that no digest has named for their current window,
    written to the outbox; the blocks stamped with the window it names. Returns (how many it names,
    the outbox row) or (0, None). ``stamped``: the sweep flagged and stamped them at ``flagged_at``
    already, in the statement that flagged them; they are only read.

    One set-based statement whatever the number: the blocks are stamped, counted and fingerprinted
    in the database (``UPDATE … RETURNING``, which locks them: a second digest beside this one waits,
    then finds them named); only the first ``DIGEST_LISTS`` ids come back to be listed in the email.
    JIT is off for it: at a million rows PostgreSQL spent longer compiling than running (issue 13).
    """
    from escalation import notifications

    if block_ids is not None:
        where, params = "id = ANY(%(ids)s)", {"ids": list(block_ids)}
    else:
        where, params = "appeal_window_flagged_at = %(flagged_at)s", {"flagged_at": flagged_at}
    params["lists"] = DIGEST_LISTS
    summary = """
        SELECT count(*),
               md5(string_agg(id || '@' || extract(epoch FROM appeal_opens_at), ',' ORDER BY appeal_opens_at, id)),
               (array_agg(id ORDER BY appeal_opens_at, id))[1:%(lists)s]
          FROM named
    """
    if stamped:
        params["flagged_at"] = flagged_at
        statement = f"""
            WITH named AS (
                SELECT id, appeal_opens_at FROM escalation_block
                 WHERE {where} AND appeal_window_flagged_at = %(flagged_at)s
            ) {summary}"""  # noqa: S608 - ``where`` is one of the two constant conditions above
    else:
        statement = f"""
            WITH named AS (
                UPDATE escalation_block SET appeal_digest_sent_for = appeal_opens_at
                 WHERE {where} AND appeal_window_flagged_at IS NOT NULL
                   AND appeal_digest_sent_for IS DISTINCT FROM appeal_opens_at
             RETURNING id, appeal_opens_at
            ) {summary}"""  # noqa: S608 - ``where`` is one of the two constant conditions above
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(statement, params)
        count, fingerprint, first = cursor.fetchone()
    if not count:
        return 0, None
    listed = list(Block.objects.filter(pk__in=first).select_related("account").order_by("appeal_opens_at", "pk"))
    message = notifications.queue(
        "appeal_window_digest",
        [policy.current().team_email],
        {"blocks": listed, "count": count, "more": count - len(listed)},
        key=f"appeal-digest:{fingerprint}",
    )
    return count, message


def appeal_window_digest_send(*, block_ids: list[int]) -> int:
    """Email the Communications team the flagged blocks in ``block_ids`` that no digest has named
    for their current window, now. Returns how many the email named (0: nothing to send).

    ``appeal_windows_flag`` writes its digest itself; this serves tasks queued before the outbox
    and windows opened again. The blocks stay locked until the digest's row and their stamps
    commit, so a second delivery waits and then finds them named.
    """
    with transaction.atomic():
        count, message = _appeal_window_digest_queue(block_ids)
    if message is not None:
        outbox_deliver(message_id=message.pk)
    return count


def _due_for_chase(last_chased_at: datetime | None, now: datetime) -> bool:
    return last_chased_at is None or due_after(last_chased_at, 1) <= now


def _working_days_ago(now: datetime, working_days) -> datetime:
    """A bound for the database: ``due_after(x, working_days) <= now`` only if ``x`` is at or before
    this. Office time passes no faster than the clock, so the deadline is at least the days' length of
    office time after ``x`` (less an hour a clock change may take out of a night; two to be safe)."""
    span = office_hours().day_length * float(working_days) - timedelta(hours=2)
    return now - max(span, timedelta(0))


def overdue_chase(*, now: datetime | None = None) -> dict[str, int]:
    """See ``_overdue_chase``: the policy read once for the run (``policy.request_scope``), not once
    for each item's deadline and email."""
    with policy.request_scope():
        return _overdue_chase(now=now)


@transaction.atomic
def _overdue_chase(*, now: datetime | None = None) -> dict[str, int]:
    """Remind the deciders of overdue sign-offs and the Managing Director about unacknowledged blocks.

    A reminder goes at most once per working day per item, with a timeline event, and never on a
    weekend or bank holiday (beat's schedule knows weekdays, not bank holidays). Returns counts.
    Each person is reminded as they chose (``NotificationPreference``, as every notification): an
    email, the next daily digest, or nothing; each is recorded (a ``Notification`` row per person).

    Set-based: the overdue items are read in one query each, their deciders (with their choice) once
    per kind and service area, and the reminders, notifications, stamps and events are written in one
    statement each, whatever the number of items (issue 13: 1,745 items took 7,265 statements).
    """
    now = now or clock.now()
    day = timezone.localdate(now).isoformat()
    chased = {"signoffs": 0, "acknowledgements": 0}
    if not office_hours().is_working_day(timezone.localdate(now)):
        return chased
    # the database keeps to the items that can be due for a reminder (a partial index each:
    # ``signoff_pending_due_idx``, ``block_unacknowledged_idx``); the exact working-day test follows
    # on those. Before, every overdue item was read and tested on each run, chased today or not.
    chased_before = _working_days_ago(now, 1)
    not_chased_today = Q(last_chased_at__isnull=True) | Q(last_chased_at__lte=chased_before)
    # the items are read lean (their own columns, no models): the email's few listed items are read
    # whole later (``ChaseReminders.save``); before, a million-block run built 11,000 models and hashed
    # the 100,000 cases and 200,000 accounts to join them.
    signoffs = [
        signoff
        for signoff in SignOff.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(not_chased_today, status=SignOffStatus.PENDING, due_at__lte=now)
        .order_by("pk")
        .values_list(
            "pk",
            "kind",
            "case_id",
            "appeal_id",
            "warning_id",
            "block_id",
            "requested_by_id",
            "last_chased_at",
            named=True,
        )
        if _due_for_chase(signoff.last_chased_at, now)
    ]
    deciders: dict[tuple[str, int | None], list[tuple[int, str, str]]] = {}
    reminders = notify.ChaseReminders(day=day)
    events = []  # (case, kind, subject type, subject, after as JSON, note): one INSERT
    said: dict[int, tuple[str, str]] = {}

    def said_of(reach: dict[str, list], nobody: str) -> tuple[str, str]:
        """The event's ``after`` (as JSON) and note, once for each set of people reached."""
        if id(reach) not in said:
            after = {"recipients": reach["email"], "in_digest": reach["digest"], "emails_off": reach["off"]}
            said[id(reach)] = (json.dumps(after), _chase_note(reach, nobody=nobody))
        return said[id(reach)]

    organisation = policy.current().organisation_name
    if signoffs:
        _jit_off()
        areas = _column(Case, "service_area_id", {signoff.case_id for signoff in signoffs})
        drafted = _column(Warning, "drafted_by_id", {signoff.warning_id for signoff in signoffs} - {None})
        proposed = _column(Block, "proposed_by_id", {signoff.block_id for signoff in signoffs} - {None})
        signoff_page = notify.path_maker("escalation:signoff_detail")
        appeal_page = notify.path_maker("escalation:appeal_detail")
        decided_by = {kind: routing.signoff_decided_by(kind) for kind in SignOffKind.values}
        kind_said = {kind: SignOffKind(kind).label.lower() for kind in SignOffKind.values}
    for signoff in signoffs:
        found = (signoff.kind, areas[signoff.case_id])
        if found not in deciders:
            deciders[found] = notify.people_with_choice(
                routing.deciders_for(kind=signoff.kind, service_area_id=found[1])
            )
        # who may not decide it (``signoff_authors``): whoever asked, and the author of the warning or block
        authors = {signoff.requested_by_id, drafted.get(signoff.warning_id), proposed.get(signoff.block_id)}
        reach = reminders.add(
            key=f"signoff-chase:{signoff.pk}:{day}",
            kind="signoff_chase",
            pk=signoff.pk,
            people=[person for person in deciders[found] if person[0] not in authors],
            subject=f"[{organisation}] Overdue: {kind_said[signoff.kind]} sign-off on case {signoff.case_id}",
            path=appeal_page(signoff.appeal_id) if signoff.kind == SignOffKind.APPEAL else signoff_page(signoff.pk),
            case_id=signoff.case_id,
            decided_by=decided_by[signoff.kind],
        )
        after, note = said_of(reach, NOBODY_TO_CHASE)
        events.append((signoff.case_id, EventKind.SIGNOFF_CHASED, "signoff", signoff.pk, after, note))
    SignOff.objects.filter(pk__in=[signoff.pk for signoff in signoffs]).update(last_chased_at=now)
    chased["signoffs"] = len(signoffs)

    blocks = []
    if policy.current().head_acknowledges_blocks:  # otherwise nothing is acknowledged, so nothing chased
        days = policy.current().acknowledgement_due_working_days
        blocks = [
            block
            for block in Block.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(md_last_chased_at__isnull=True) | Q(md_last_chased_at__lte=chased_before),
                status=BlockStatus.ACTIVE,
                md_acknowledged_at__isnull=True,
                started_at__lte=_working_days_ago(now, days),
            )
            .order_by("pk")
            .values_list("pk", "case_id", "account_id", "started_at", "md_last_chased_at", named=True)
            if due_after(block.started_at, days) <= now and _due_for_chase(block.md_last_chased_at, now)
        ]
    if blocks and not signoffs:
        _jit_off()
    heads = notify.people_with_choice(routing.holders_of(routing.PERM_ACKNOWLEDGE_BLOCK)) if blocks else []
    accounts = (
        SocialAccount.objects.only("pk", "handle", "platform").in_bulk({block.account_id for block in blocks})
        if blocks
        else {}
    )
    block_page = notify.path_maker("escalation:block_detail")
    nobody = f"No {titles().head} has an email address: tell them another way."
    for block in blocks:
        reach = reminders.add(
            key=f"acknowledgement-chase:{block.pk}:{day}",
            kind="acknowledgement_chase",
            pk=block.pk,
            people=heads,
            subject=f"[{organisation}] Please acknowledge: block of {accounts[block.account_id]}",
            path=block_page(block.pk),
            case_id=block.case_id,
        )
        after, note = said_of(reach, nobody)
        events.append((block.case_id, EventKind.ACKNOWLEDGEMENT_CHASED, "block", block.pk, after, note))
    Block.objects.filter(pk__in=[block.pk for block in blocks]).update(md_last_chased_at=now)
    chased["acknowledgements"] = len(blocks)
    reminders.save()
    record_system_events(events)
    return chased


def _column(model, column: str, ids: set[int]) -> dict[int, object]:
    """``{id: column}`` of ``model``'s rows ``ids`` (one query by primary key; none for no ids)."""
    return dict(model.objects.filter(pk__in=ids).values_list("pk", column)) if ids else {}


def _jit_off() -> None:
    """For the rest of the transaction: no JIT compiling. The people's queries (roles through groups,
    permissions and service areas, a few dozen rows) are estimated past ``jit_above_cost`` and spent
    about 200 ms each compiling (2.2 s of the chase's 10 s at a million blocks)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")


NOBODY_TO_CHASE = "Nobody who can decide this has an email address: chase them another way."


def _chase_note(reach: dict[str, list], *, nobody: str) -> str:
    """The chase event's note: empty when someone was emailed, else where the reminder went."""
    if reach["email"]:
        return ""
    if reach["digest"]:
        return "In the next daily digest of: " + ", ".join(reach["digest"])
    if reach["off"]:
        return "Everyone who could be reminded has turned emails off: chase them another way."
    return nobody
