"""Issue 11's acceptance: random policies driven through random sequences of casework.

Hypothesis draws a valid policy (published through ``policy.services.revise``, the real path), a
team of role holders (officers, managers, service directors, heads of the organisation, some
holding two roles at once), and a list of actions (record a case, hide or delete a post, draft,
submit, sign off, send or withdraw a warning, propose, approve, refuse an immediate block or a
channel ban, acknowledge it, log an appeal at a time before or after its wait, decide it, close a
case, let time pass), each tried by a random member of the team. A refusal — ``PermissionDenied``
or ``ValidationError``, the services' own — is fine; anything else is a crash and fails the test.

After every step these hold, read from the database:

- nobody decides their own request: a sign-off's decider is not its asker, nor the drafter of its
  warning, nor the proposer of its block; an appeal's decider is not its recorder; whoever proposed,
  approved and acknowledged one block are different people; each decider holds the deciding role;
- a required sign-off is never skipped: where the policy asks for one, every sent warning was
  signed off first (where it asks for none, no warning sign-off exists), and every standard block
  that started was approved;
- where a warning is required before a block, no block (a channel ban included) exists on an
  account that was sent no warning in the lookback before it, unless its case cites a
  zero-tolerance rule;
- no appeal is heard before its wait (the block's start + its rules' months; after an upheld
  appeal the policy's months, a channel ban its rule's; a channel ban at any time where the policy
  says so), none is marked premature after it, and none exists where the policy offers no appeals;
- a successful step that changes anything writes exactly one timeline event (a channel ban one
  more per post it removes), one that changes nothing writes none, and a refused step writes none
  and changes nothing.

Each example runs in a savepoint that is rolled back (as tests/moderation/test_ways_in_fuzz.py),
so one example sees none of another's rows. ``PROPERTY_EXAMPLES=500`` for a longer hunt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from escalation import routing
from escalation import services as escalation
from escalation.constants import (
    AppealStatus,
    BlockKind,
    BlockScope,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from escalation.models import Appeal, Block, SignOff, Warning
from moderation import clock
from moderation import services as moderation
from moderation.constants import CaseOutcome, Platform, Visibility
from moderation.models import Case, Channel, HouseRule, Post, ServiceArea
from policy import services as policy
from policy.models import BankHolidays, WarningBeforeBlock, WarningSignOff

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
OFFICER, MANAGER, DIRECTOR, HEAD = routing.OFFICER, routing.MANAGER, routing.SERVICE_DIRECTOR, routing.MANAGING_DIRECTOR
REFUSALS = (PermissionDenied, ValidationError)

PROPERTIES = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "15")),
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is a failure on the next run too
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what is generated ---------------------------------------------------------------------------

STARTS = [
    datetime(2027, 3, 15, 10, 0, tzinfo=LONDON),  # an ordinary Monday
    datetime(2027, 3, 26, 16, 59, 30, tzinfo=LONDON),  # the Friday before the clocks go forward
    datetime(2028, 1, 31, 9, 0, 37, tzinfo=LONDON),  # month-end: + 1 month is 29 February
    datetime(2026, 12, 24, 23, 30, tzinfo=LONDON),  # Christmas Eve, late
]
WAITS = [timedelta(0), timedelta(seconds=50), timedelta(hours=3), timedelta(days=2), timedelta(days=40)]
WAITS += [relativedelta(months=6), relativedelta(months=13)]
# when an appeal is received, from the moment its block's appeal window opens
APPEAL_OFFSETS = [
    -timedelta(days=400),
    -timedelta(days=30),
    -timedelta(minutes=1, seconds=1),
    -timedelta(seconds=1),
    timedelta(0),
    timedelta(seconds=30),
    timedelta(days=3),
]
ROLE_SETS = [
    frozenset({OFFICER}),
    frozenset({MANAGER}),
    frozenset({DIRECTOR}),
    frozenset({HEAD}),
    frozenset({MANAGER, HEAD}),  # one person, two roles: still never decides their own request
    frozenset({OFFICER, DIRECTOR}),
    frozenset({MANAGER, DIRECTOR}),
    frozenset(),
]
# the house rules a case may cite: the seeded ones and two made per example with a drawn wait
RULE_CODES = ["abusive", "discriminatory", "illegal", "misinformation", "custom-wait", "custom-channel-only"]


@st.composite
def policies(draw) -> dict:
    """A valid policy: every ladder setting, and calendars and targets that change the deadlines."""
    informed = draw(st.booleans())
    opening = draw(st.sampled_from([7, 9, 10]))
    return {
        "warning_signoff": draw(st.sampled_from(WarningSignOff.values)),
        "warning_before_block": draw(st.sampled_from(WarningBeforeBlock.values)),
        "head_informed_of_blocks": informed,
        "head_acknowledges_blocks": informed and draw(st.booleans()),
        "appeals": draw(st.booleans()),
        "appeal_wait_after_upheld_months": draw(st.sampled_from([0, 1, 6, 12, 24])),
        "channel_ban_challenge_any_time": draw(st.booleans()),
        "warning_lookback_months": draw(st.sampled_from([1, 6, 12, 24])),
        "working_weekdays": sorted(draw(st.sets(st.integers(0, 6), min_size=1))),
        "opening_time": datetime(2000, 1, 1, opening).time(),  # noqa: DTZ001
        "closing_time": datetime(2000, 1, 1, draw(st.integers(opening + 1, 23))).time(),  # noqa: DTZ001
        "bank_holidays": draw(st.sampled_from(BankHolidays.values)),
        "signoff_due_working_days": draw(st.sampled_from([Decimal("0.5"), Decimal("1"), Decimal("3")])),
        "acknowledgement_due_working_days": draw(st.sampled_from([Decimal("0.1"), Decimal("2")])),
    }


# the ladder's steps come up more often than the rest
ACTIONS = [
    *["record", "hide", "delete", "close", "wait", "wait"],
    *["draft", "draft", "submit", "submit", "submit", "sign_off", "sign_off", "sign_off", "send", "send", "send"],
    "withdraw",
    *["propose", "propose", "immediate", "channel_ban", "acknowledge", "acknowledge"],
    *["appeal", "appeal", "appeal", "decide_appeal", "decide_appeal"],
    *["next"] * 18,  # the next step up the ladder for a case: half the steps
]
# who can take a step, for the steps tried by "someone whose role can" (the rest: by anyone)
CAN = {
    "immediate": {MANAGER},
    "sign_off": {MANAGER, DIRECTOR},
    "acknowledge": {HEAD},
    "decide_appeal": {HEAD},
}
QUALIFIED = 8  # ``by`` from here on: someone whose role can take the step

actions = st.fixed_dictionaries(
    {
        "do": st.sampled_from(ACTIONS),
        "by": st.integers(0, 2 * QUALIFIED - 1),  # who tries it: a member of the team, or one who can
        "pick": st.integers(0, 7),  # which case, post, warning, sign-off, block or appeal
        "yes": st.booleans(),  # approve / overturn / all channels / a new account
        "k": st.integers(0, 6),  # a wait, an appeal's received time, a reason left out
        "rules": st.lists(st.integers(0, len(RULE_CODES) - 1), min_size=1, max_size=2, unique=True),
    }
)
# every example opens with a case or three, recorded by its first officer
openings = st.lists(
    actions.map(lambda step: {**step, "do": "record", "by": 0, "k": step["k"] or 2}), min_size=1, max_size=3
)


@dataclass
class World:
    """What the example set up: the policy it published, the team and their roles."""

    policy: object
    users: list
    roles: dict[int, frozenset] = field(default_factory=dict)
    areas_of: dict[int, set[int]] = field(default_factory=dict)
    channels: list = field(default_factory=list)
    areas: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    now: datetime = STARTS[0]
    n: int = 0  # posts made: each a new platform id


def make_world(*, settings_: dict, team: list[frozenset], director_areas: list[set[int]], waits: tuple, start):
    version = policy.revise(reason="Drawn by the property test.", **settings_)
    assert policy.current().pk == version.pk
    world = World(policy=version, users=[], now=start)
    world.areas = [ServiceArea.objects.create(name=f"Area {n}") for n in range(2)]
    world.channels = [
        Channel.objects.create(platform=Platform.FACEBOOK, name=f"Page {n}", handle=f"page{n}") for n in range(2)
    ]
    HouseRule.objects.create(code="custom-wait", title="Custom wait", appeal_wait_months=waits[0], position=90)
    HouseRule.objects.create(
        code="custom-channel-only",
        title="Custom channel-only",
        channel_only_ban=True,
        appeal_wait_months=waits[1],
        position=91,
    )
    world.rules = [HouseRule.objects.get(code=code) for code in RULE_CODES]
    groups = {name: Group.objects.get(name=name) for name in routing.ROLES}
    for n, roles in enumerate([frozenset({OFFICER}), *team]):  # someone can always record a case
        user = get_user_model().objects.create(username=f"member{n}", first_name="Member", last_name=str(n))
        user.groups.add(*(groups[r] for r in roles))
        world.users.append(user)
        world.roles[user.pk] = roles
        world.areas_of[user.pk] = set()
        if DIRECTOR in roles:
            for index in director_areas[n % len(director_areas)]:
                world.areas[index].directors.add(user)
                world.areas_of[user.pk].add(world.areas[index].pk)
    return world


# --- the steps -----------------------------------------------------------------------------------


def nth(queryset, pick: int, likely=None):
    """The ``pick``-th row of ``queryset``, from the rows the step is ``likely`` to move when there
    are some, three times in four (so most steps act on something that can move, and some on
    anything: a decided sign-off, a sent warning, a lifted block)."""
    rows = list(queryset.filter(likely).distinct().order_by("pk")) if likely is not None and pick % 4 != 3 else []
    rows = rows or list(queryset.order_by("pk"))
    return rows[pick % len(rows)] if rows else None


def reason(step) -> str:
    return "" if step["k"] == 0 else "As the policy says."


OPEN = Q(status="open")
LIKELY = {
    "hide": Q(visibility__in=[Visibility.VISIBLE, Visibility.RESTORED]),
    "delete": ~Q(visibility=Visibility.DELETED),
    "submit": Q(status=WarningStatus.DRAFT),
    "send": Q(status__in=[WarningStatus.DRAFT, WarningStatus.APPROVED]),
    "withdraw": Q(status__in=[WarningStatus.DRAFT, WarningStatus.APPROVED]),
    "sign_off": Q(status=SignOffStatus.PENDING),
    "channel_ban": Q(status="open", rules__channel_only_ban=True),
    "acknowledge": Q(started_at__isnull=False, md_acknowledged_at__isnull=True),
    "appeal": Q(status=BlockStatus.ACTIVE),
    "decide_appeal": Q(status=AppealStatus.UNDER_REVIEW),
}


def plan(world: World, step: dict) -> dict:
    """ "next": the step that moves a case on up the ladder (what a team that knows the policy does
    next), tried by whoever ``by`` says (often someone whose role can, sometimes anyone)."""
    case = nth(Case.objects.all(), step["pick"], OPEN)
    if case is None:
        return {**step, "do": "record"}
    pending = case.signoffs.filter(status=SignOffStatus.PENDING).order_by("pk").first()
    if pending is not None and pending.kind != SignOffKind.APPEAL:
        return {**step, "do": "sign_off", "target": pending, "k": step["k"] or 1}
    appeal = Appeal.objects.filter(block__case=case, status=AppealStatus.UNDER_REVIEW).first()
    if appeal is not None:
        return {**step, "do": "decide_appeal", "target": appeal, "k": step["k"] or 1}
    block = case.blocks.filter(status=BlockStatus.ACTIVE).order_by("pk").first()
    if block is not None:
        unacknowledged = block.md_acknowledged_at is None and world.policy.head_acknowledges_blocks
        return {**step, "do": "acknowledge" if unacknowledged and step["yes"] else "appeal", "target": block}
    warning = case.warnings.exclude(status=WarningStatus.WITHDRAWN).order_by("-pk").first()
    if warning is None:
        return {**step, "do": "draft", "target": case}
    if warning.status == WarningStatus.DRAFT and world.policy.warning_signoff != WarningSignOff.NONE:
        return {**step, "do": "submit", "target": warning}
    if warning.status != WarningStatus.SENT:
        return {**step, "do": "send", "target": warning}
    if case.rules.filter(channel_only_ban=True).exists() and step["yes"]:
        return {**step, "do": "channel_ban", "target": case, "k": step["k"] or 1}
    return {**step, "do": "immediate" if step["k"] == 6 else "propose", "target": case, "k": step["k"] or 1}


def who(world: World, step: dict):
    if step["by"] < QUALIFIED:
        return world.users[step["by"] % len(world.users)]
    can = CAN.get(step["do"], {OFFICER, MANAGER})
    qualified = [user for user in world.users if world.roles[user.pk] & can] or world.users
    return qualified[step["by"] % len(qualified)]


def run(world: World, step: dict):
    """Try ``step``; return what it acted on (None: nothing to act on). Refusals propagate."""
    actor = who(world, step)
    do, pick, yes, k = step["do"], step["pick"], step["yes"], step["k"]
    likely = LIKELY.get(do, OPEN)
    if do == "record":
        world.n += 1
        posts = [
            moderation.PostData(
                channel=world.channels[pick % 2],
                posted_at=world.now - timedelta(hours=1),
                text="You lot are useless.",
                external_id=f"p{world.n}",
            )
        ]
        old = nth(Post.objects.all(), pick) if k == 1 else None
        if old is not None:  # the same post recorded again: it leads to its case
            posts.append(moderation.PostData(channel=old.channel, posted_at=old.posted_at, external_id=old.external_id))
            posts[0] = replace(posts[0], channel=old.channel)
        return moderation.case_record(
            actor=actor,
            platform=Platform.FACEBOOK,
            handle=f"resident{world.n if yes else pick % 3}",
            posts=posts,
            rules=[world.rules[i] for i in step["rules"]],
            reason="Abusive.",
            service_area=[None, *world.areas][k % 3],
        ).case
    if do in ("hide", "delete"):
        post = step.get("target") or nth(Post.objects.all(), pick, likely)
        if post is None:
            return None
        visibility = Visibility.HIDDEN if do == "hide" else Visibility.DELETED
        if do == "hide" and post.visibility == Visibility.HIDDEN:
            visibility = Visibility.RESTORED
        return moderation.post_set_visibility(actor=actor, post=post, visibility=visibility)
    if do in ("draft", "propose", "immediate", "channel_ban", "close"):
        case = step.get("target") or nth(Case.objects.all(), pick, likely)
        if case is None:
            return None
        if do == "draft":
            return escalation.warning_draft(actor=actor, case=case)
        if do == "channel_ban":
            return escalation.channel_ban(actor=actor, case=case, reason=reason(step))
        if do == "close":
            return moderation.case_close(actor=actor, case=case, outcome=CaseOutcome.values[k % 5])
        scope = BlockScope.ALL if yes else BlockScope.CHANNEL
        service = escalation.block_propose if do == "propose" else escalation.block_immediate
        return service(actor=actor, case=case, scope=scope, reason=reason(step))
    if do in ("submit", "send", "withdraw"):
        warning = step.get("target") or nth(Warning.objects.all(), pick, likely)
        if warning is None:
            return None
        if do == "submit":
            return escalation.warning_submit(actor=actor, warning=warning)
        if do == "send":
            return escalation.warning_mark_sent(actor=actor, warning=warning)
        return escalation.warning_withdraw(actor=actor, warning=warning, reason=reason(step))
    if do == "sign_off":
        signoff = step.get("target") or nth(SignOff.objects.all(), pick, likely)
        if signoff is None:
            return None
        return escalation.signoff_decide(actor=actor, signoff=signoff, approve=yes, reason=reason(step))
    if do == "acknowledge":
        block = step.get("target") or nth(Block.objects.all(), pick, likely)
        return None if block is None else escalation.block_acknowledge(actor=actor, block=block)
    if do == "appeal":
        block = step.get("target") or nth(Block.objects.all(), pick, likely)
        if block is None:
            return None
        received = (block.appeal_opens_at or world.now) + APPEAL_OFFSETS[k]
        if received > world.now:  # the clock moves on to the day it arrives
            world.now = received + timedelta(seconds=5)
        with clock.travel_to(world.now):
            return escalation.appeal_record(actor=actor, block=block, received_at=received, grounds="Unfair.")
    if do == "decide_appeal":
        appeal = step.get("target") or nth(Appeal.objects.all(), pick, likely)
        if appeal is None:
            return None
        return escalation.appeal_decide(actor=actor, appeal=appeal, overturn=yes, reason=reason(step))
    if do == "wait":
        world.now = (world.now.astimezone(LONDON) + WAITS[k]).astimezone(UTC)
        return None
    raise AssertionError(do)


# --- what is checked -----------------------------------------------------------------------------


STATE_SQL = """
SELECT json_build_object(
  'cases', (SELECT json_agg(json_build_array(id, status, outcome) ORDER BY id) FROM moderation_case),
  'posts', (SELECT json_agg(json_build_array(id, case_id, visibility, text) ORDER BY id) FROM moderation_post),
  'warnings', (SELECT json_agg(json_build_array(id, status, text, sent_by_id, sent_at) ORDER BY id)
               FROM escalation_warning),
  'signoffs', (SELECT json_agg(json_build_array(id, status, decided_by_id, reason) ORDER BY id)
               FROM escalation_signoff),
  'blocks', (SELECT json_agg(json_build_array(id, status, started_at, appeal_opens_at, md_acknowledged_by_id,
                                              lifted_at) ORDER BY id) FROM escalation_block),
  'appeals', (SELECT json_agg(json_build_array(id, status, decided_by_id) ORDER BY id) FROM escalation_appeal)
), (SELECT count(*) FROM moderation_caseevent), (SELECT count(*) FROM moderation_outboxmessage)
"""


def state() -> tuple[dict, int, int]:
    """Everything a step may change, as plain values (one query: the machine is shared); and how many
    timeline events and queued emails there are."""
    with connection.cursor() as cursor:
        cursor.execute(STATE_SQL)
        rows, events, outbox = cursor.fetchone()
    rows = json.loads(rows) if isinstance(rows, str) else rows
    return {name: value or [] for name, value in rows.items()}, events, outbox


def months_after(moment: datetime, months: int) -> datetime:
    """Calendar months on the London wall clock (31 January + 1 month = 28 or 29 February)."""
    local = moment.astimezone(LONDON)
    return (local.replace(tzinfo=None) + relativedelta(months=months)).replace(tzinfo=LONDON).astimezone(UTC)


@dataclass
class Rows:
    """The example's escalation rows, read once per check (the machine is shared: few queries)."""

    warnings: dict[int, Warning]
    signoffs: list[SignOff]
    blocks: list[Block]
    appeals: list[Appeal]
    rules_of: dict[int, list[HouseRule]]  # case id → the house rules it cites

    @classmethod
    def read(cls) -> Rows:
        rules = {rule.pk: rule for rule in HouseRule.objects.all()}
        rules_of: dict[int, list[HouseRule]] = {}
        for case_id, rule_id in Case.rules.through.objects.values_list("case_id", "houserule_id"):
            rules_of.setdefault(case_id, []).append(rules[rule_id])
        return cls(
            warnings={w.pk: w for w in Warning.objects.select_related("case")},
            signoffs=list(SignOff.objects.select_related("case").order_by("pk")),
            blocks=list(Block.objects.order_by("pk")),
            appeals=list(Appeal.objects.order_by("pk")),
            rules_of=rules_of,
        )

    def approved(self, kind: str, **subject) -> list[SignOff]:
        ((name, pk),) = subject.items()
        return [
            s
            for s in self.signoffs
            if s.kind == kind and s.status == SignOffStatus.APPROVED and getattr(s, f"{name}_id") == pk
        ]


def rule_wait(rows: Rows, block: Block) -> int:
    channel_only = block.kind == BlockKind.CHANNEL_BAN
    waits = [r.appeal_wait_months for r in rows.rules_of[block.case_id] if r.channel_only_ban == channel_only]
    return max(waits, default=12)


def check_decisions(world: World, rows: Rows) -> None:
    """Nobody decides their own request, and every decider holds the deciding role."""
    version = world.policy
    blocks = {block.pk: block for block in rows.blocks}
    for signoff in rows.signoffs:
        if signoff.status == SignOffStatus.PENDING:
            continue
        authors = {signoff.requested_by_id}
        if signoff.warning_id is not None:
            authors.add(rows.warnings[signoff.warning_id].drafted_by_id)
        if signoff.block_id is not None:
            authors.add(blocks[signoff.block_id].proposed_by_id)
        assert signoff.decided_by_id not in authors, f"{signoff} decided by its own requester"
        roles = world.roles[signoff.decided_by_id]
        if signoff.kind == SignOffKind.WARNING:
            assert MANAGER in roles or (
                version.warning_signoff == WarningSignOff.MANAGER_OR_DIRECTOR
                and DIRECTOR in roles
                and signoff.case.service_area_id in world.areas_of[signoff.decided_by_id]
            ), f"{signoff} decided by {roles}"
        elif signoff.kind == SignOffKind.BLOCK:
            assert MANAGER in roles, f"{signoff} decided by {roles}"
        else:
            assert HEAD in roles, f"{signoff} decided by {roles}"
    for appeal in rows.appeals:
        if appeal.decided_by_id is not None:
            assert appeal.decided_by_id != appeal.recorded_by_id, f"{appeal} decided by its recorder"
            assert HEAD in world.roles[appeal.decided_by_id]
    for block in rows.blocks:
        approvers = {s.decided_by_id for s in rows.approved(SignOffKind.BLOCK, block=block.pk)}
        assert block.proposed_by_id not in approvers, f"{block} approved by its proposer"
        if block.md_acknowledged_by_id is not None:
            assert block.md_acknowledged_by_id not in {block.proposed_by_id, *approvers}, f"{block}: acknowledged"
            assert HEAD in world.roles[block.md_acknowledged_by_id]
        if block.kind == BlockKind.IMMEDIATE:
            assert MANAGER in world.roles[block.proposed_by_id], f"{block} made by {world.roles[block.proposed_by_id]}"


def check_signoffs(world: World, rows: Rows) -> None:
    """A required sign-off is never skipped (and none is asked for where the policy needs none)."""
    if world.policy.warning_signoff == WarningSignOff.NONE:
        assert not any(s.kind == SignOffKind.WARNING for s in rows.signoffs), "a warning sign-off, none needed"
    else:
        for warning in rows.warnings.values():
            approvals = rows.approved(SignOffKind.WARNING, warning=warning.pk)
            if warning.status == WarningStatus.SENT:
                assert any(s.decided_at <= warning.sent_at for s in approvals), f"{warning} sent without sign-off"
            if warning.status == WarningStatus.APPROVED:
                assert approvals, f"{warning} approved by nobody"
    for block in rows.blocks:
        if block.kind == BlockKind.STANDARD and block.started_at is not None:
            approvals = rows.approved(SignOffKind.BLOCK, block=block.pk)
            assert any(s.decided_at <= block.started_at for s in approvals), f"{block} started without sign-off"


def check_warning_first(world: World, rows: Rows) -> None:
    """Where the policy asks, a block (a channel ban too) follows a warning sent in the lookback."""
    if world.policy.warning_before_block != WarningBeforeBlock.REQUIRED:
        return
    sent = [w for w in rows.warnings.values() if w.status == WarningStatus.SENT]
    for block in rows.blocks:
        if any(rule.zero_tolerance for rule in rows.rules_of[block.case_id]):
            continue
        since = block.proposed_at - relativedelta(months=world.policy.warning_lookback_months)
        assert any(w.case.account_id == block.account_id and since <= w.sent_at <= block.proposed_at for w in sent), (
            f"{block} ({block.kind}) of an account sent no warning in the lookback"
        )


def window_opens(world: World, rows: Rows, appeal: Appeal) -> datetime | None:
    """When ``appeal`` could first be heard, worked out from the block's history (None: at any time)."""
    block = next(b for b in rows.blocks if b.pk == appeal.block_id)
    wait = rule_wait(rows, block)
    if block.kind == BlockKind.CHANNEL_BAN and (world.policy.channel_ban_challenge_any_time or wait == 0):
        return None
    upheld = [
        a for a in rows.appeals if a.block_id == block.pk and a.pk < appeal.pk and a.status == AppealStatus.UPHELD
    ]
    if not upheld:
        return months_after(block.started_at, wait)
    months = wait if block.kind == BlockKind.CHANNEL_BAN else world.policy.appeal_wait_after_upheld_months
    return months_after(max(a.decided_at for a in upheld), months)


def check_appeals(world: World, rows: Rows) -> None:
    """No appeal is heard before its wait, none is premature after it, none where appeals are off."""
    if not world.policy.appeals:
        assert not rows.appeals, "an appeal where the policy offers none"
        return
    for appeal in rows.appeals:
        opens = window_opens(world, rows, appeal)
        in_time = opens is None or appeal.received_at >= opens.replace(second=0, microsecond=0)
        heard = appeal.status != AppealStatus.PREMATURE
        when = timezone.localtime(appeal.received_at)
        assert heard == in_time, f"{appeal} received {when:%Y-%m-%d %H:%M:%S}, window opens {opens}: {appeal.status}"
        if appeal.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED):
            decided = SignOffStatus.APPROVED if appeal.status == AppealStatus.OVERTURNED else SignOffStatus.REFUSED
            assert any(
                s.appeal_id == appeal.pk and s.status == decided and s.decided_by_id == appeal.decided_by_id
                for s in rows.signoffs
            ), f"{appeal} decided without its sign-off"


def check_invariants(world: World) -> None:
    rows = Rows.read()
    check_decisions(world, rows)
    check_signoffs(world, rows)
    check_warning_first(world, rows)
    check_appeals(world, rows)


def events_expected(before: dict, after: dict, step: dict) -> int:
    """A state change writes one event; a channel ban one more for each post it removes."""
    if before == after:
        return 0
    if step["do"] == "channel_ban":
        old = {pk: visibility for pk, _, visibility, _ in before["posts"]}
        return 1 + sum(1 for pk, _, visibility, _ in after["posts"] if visibility != old.get(pk))
    return 1


def play(world: World, steps: list[dict]) -> list[str]:
    log = []
    now = state()
    for step in steps:
        before, events, outbox = now
        if step["do"] == "next":
            step = plan(world, step)
        try:
            with clock.travel_to(world.now):
                acted_on = run(world, step)
        except REFUSALS as refusal:
            log.append(f"{step} refused: {refusal}")
            event(f"{step['do']}: refused")
            if os.environ.get("PROPERTY_DEBUG"):
                print(step["do"], "by", sorted(world.roles[who(world, step).pk]), refusal)
            # a refusal changes nothing: no row, no event, no email
            now = state()
            assert now == (before, events, outbox), f"refused {step} changed something\n" + "\n".join(log)
        else:
            now = state()
            after, events_after, _ = now
            outcome = "done" if after != before or step["do"] == "wait" else "nothing to do"
            outcome = "no target" if acted_on is None and step["do"] != "wait" else outcome
            log.append(f"{step} {outcome}")
            event(f"{step['do']}: {outcome}")
            written = events_after - events
            expected = events_expected(before, after, step)
            assert written == expected, f"{step}: {written} event(s), not {expected}\n" + "\n".join(log)
            if after != before:
                check_invariants(world)
        # a refused step, or one with nothing to do, changed nothing (checked above): the invariants held
    return log


@PROPERTIES
@given(
    settings_=policies(),
    team=st.lists(st.sampled_from(ROLE_SETS), min_size=2, max_size=6),
    director_areas=st.lists(st.sets(st.integers(0, 1)), min_size=1, max_size=3),
    waits=st.tuples(st.sampled_from([0, 3, 12]), st.sampled_from([0, 2])),
    start=st.sampled_from(STARTS),
    opening=openings,
    steps=st.lists(actions, min_size=20, max_size=40),
)
def test_the_invariants_hold_whatever_the_policy_and_whoever_acts(
    db, settings_, team, director_areas, waits, start, opening, steps
):
    policy.forget()
    try:
        with transaction.atomic():
            world = make_world(settings_=settings_, team=team, director_areas=director_areas, waits=waits, start=start)
            play(world, [*opening, *steps])
            transaction.set_rollback(True)
    finally:
        policy.forget()  # the version this example published is rolled back: no reader may keep it
